"""PyTorch reference timings of the CLIP towers (the numbers the Java/ONNX Runtime side is compared with).

``bench_clip(clip)`` measures, with ``torch.set_num_threads(threads)``:

* ``image_encode_ms``: wall time of one ``encode_image`` call at batch 1 and batch 8 (median of the runs);
* ``text_encode_captions_per_s``: captions per second of ``encode_text`` at batch 64 on tokenized COCO
  captions (77-token form: the tower always processes all 77 positions).

It also reports torch's build/BLAS configuration, since the numbers depend on it.

Set ``OMP_WAIT_POLICY=PASSIVE`` in the environment *before torch is imported* (``tools/export_clip.py`` does):
on a shared 2-core machine libgomp's default active spin-wait makes 2-thread runs 10-50x slower (measured here:
tiny image tower 270 ms with the default policy vs 7 ms passive).
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import torch

from .clip_model import Clip


def torch_blas_config() -> Dict[str, object]:
    """What torch computes with: version, BLAS/LAPACK as built, MKL/MKL-DNN/OpenMP availability, threads."""
    show = torch.__config__.show()

    def setting(key):
        m = re.search(rf"{key}=([^,\s]+)", show)
        return m.group(1) if m else None

    return {
        "torch": torch.__version__,
        "blas_info": setting("BLAS_INFO"),
        "lapack_info": setting("LAPACK_INFO"),
        "mkl_available": torch.backends.mkl.is_available(),
        "mkldnn_available": torch.backends.mkldnn.is_available(),
        "openmp_available": torch.backends.openmp.is_available(),
        "cpu_capability": (re.search(r"CPU capability usage: (\S+)", show) or [None, None])[1],
        "num_threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "loaded_math_libraries": _loaded_math_libraries(),
        "env": {k: os.environ.get(k) for k in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                               "GOMP_SPINCOUNT")},
    }


def _loaded_math_libraries() -> List[str]:
    """Shared libraries actually mapped after a matmul (Debian's torch is built with BLAS_INFO=generic and
    uses whatever ``libblas.so.3`` the system selects, e.g. OpenBLAS)."""
    a = torch.ones(64, 64)
    (a @ a).sum()
    try:
        maps = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return []
    keys = ("blas", "lapack", "gomp", "dnnl", "mkl")
    return sorted({line.split()[-1] for line in maps if any(k in line.split()[-1].lower() for k in keys)
                   and line.split()[-1].startswith("/")})


def _cpu_model() -> Optional[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _timed(fn, repeats: int, warmup: int) -> List[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def coco_caption_ids(count: int, shared_dir=None) -> List[List[int]]:
    """The first ``count`` COCO val2017 captions in 77-token form (falls back to a fixed sentence when the
    shared data is absent)."""
    from .clip_export import default_shared_data
    from .clip_tokenizer import ClipTokenizer

    shared = Path(shared_dir) if shared_dir else default_shared_data()
    path = shared / "coco" / "captions_val2017.json"
    tok = ClipTokenizer(str(shared / "clip" / "bpe_simple_vocab_16e6.txt.gz"))
    if path.is_file():
        caps = [a["caption"] for a in json.loads(path.read_text())["annotations"][:count]]
    else:
        caps = ["a man riding a horse on a beach"] * count
    return tok.tokenize_batch(caps)


@torch.no_grad()
def bench_clip(clip: Clip, threads: int = 2, image_batches=(1, 8), text_batch: int = 64,
               image_repeats: int = 10, text_repeats: int = 3, seed: int = 0, shared_dir=None,
               onnx_files: Optional[Dict[str, Path]] = None) -> dict:
    """Times ``clip``'s towers in PyTorch (float32, eval, no grad). Returns a JSON-ready dict.

    With ``onnx_files`` (``{"image_encoder": path, "text_encoder": path}``, the decap-layout export of the same
    model) the same inputs are also timed in ONNX Runtime Java (``OrtSession.run`` alone, ``threads`` intra-op
    threads, all optimisations) under ``"onnxruntime_java"``."""
    torch.set_num_threads(threads)
    clip = clip.eval()
    cfg = clip.cfg
    g = torch.Generator().manual_seed(seed)
    result: Dict[str, object] = {"threads": threads, "model": cfg.to_dict(),
                                 "torch_config": torch_blas_config(),
                                 "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    image = {}
    for b in image_batches:
        x = torch.randn(b, 3, cfg.image_resolution, cfg.image_resolution, generator=g)
        reps = image_repeats if b == 1 else max(3, image_repeats // 2)
        ms = _timed(lambda: clip.encode_image(x), reps, warmup=1)
        image[f"batch_{b}"] = {"median_ms": round(statistics.median(ms), 3), "min_ms": round(min(ms), 3),
                               "per_image_ms": round(statistics.median(ms) / b, 3), "runs": reps}
    result["image_encode_ms"] = image
    ids = torch.tensor(coco_caption_ids(text_batch, shared_dir), dtype=torch.int64)
    ms = _timed(lambda: clip.encode_text(ids), text_repeats, warmup=1)
    med = statistics.median(ms)
    result["text_encode"] = {"batch": text_batch, "median_ms": round(med, 3), "min_ms": round(min(ms), 3),
                             "captions_per_s": round(text_batch / (med / 1000.0), 2), "runs": text_repeats,
                             "input": "first COCO val2017 captions, 77-token form"}
    if onnx_files:
        result["onnxruntime_java"] = _bench_ort(onnx_files, cfg, threads, image_batches, ids.numpy(),
                                                image_repeats, text_repeats, seed)
    return result


def _bench_ort(files, cfg, threads, image_batches, ids, image_repeats, text_repeats, seed) -> dict:
    from . import ort

    g = np.random.default_rng(seed)
    img = ort.Session(files["image_encoder"], threads=threads)
    txt = ort.Session(files["text_encoder"], threads=threads)
    out: Dict[str, object] = {"threads": threads, "ort": ort.ORT_VERSION}
    image = {}
    for b in image_batches:
        x = g.standard_normal((b, 3, cfg.image_resolution, cfg.image_resolution)).astype(np.float32)
        reps = image_repeats if b == 1 else max(3, image_repeats // 2)
        img.run({"pixel_values": x})
        ms = [img.run({"pixel_values": x}, with_time=True)[1] for _ in range(reps)]
        image[f"batch_{b}"] = {"median_ms": round(statistics.median(ms), 3), "min_ms": round(min(ms), 3),
                               "per_image_ms": round(statistics.median(ms) / b, 3), "runs": reps}
    out["image_encode_ms"] = image
    txt.run({"input_ids": ids})
    ms = [txt.run({"input_ids": ids}, with_time=True)[1] for _ in range(text_repeats)]
    med = statistics.median(ms)
    out["text_encode"] = {"batch": int(ids.shape[0]), "median_ms": round(med, 3), "min_ms": round(min(ms), 3),
                          "captions_per_s": round(ids.shape[0] / (med / 1000.0), 2), "runs": text_repeats}
    return out
