#!/usr/bin/python3
"""PyTorch side of the memory-encoding benchmark: CLIP text tower at 77 tokens vs at the real token length.

    /usr/bin/python3 tools/bench_text_encoding.py --captions 2000 --threads 2 --repeats 3 \
        [--java-dump tools/out/text/java_bucketed.f32] [--out tools/out/text/pytorch.json]

The model is the random ViT-B/32-shaped CLIP of ``tools/export_clip.py text-full`` (``build_random_clip(VIT_B_32,
seed)``, the same weights as its ONNX exports). Captions: the first N annotations of COCO val2017, tokenized by
the tokenizer port. Modes, timed over all captions in calls of ``--call`` captions, runs of ``--batch``:

* ``pytorch_77``: ``encode_text`` on ``[batch, 77]`` ids (what CLIP's ``tokenize`` gives);
* ``pytorch_dynamic``: per call, captions sorted by token count, runs of ``--batch`` cut to the run's longest
  caption (zero padded behind shorter ones), results put back in caption order, as the Java encoder does.

Reports captions/s (median and best), max |diff| / min cosine of dynamic vs 77, and with ``--java-dump`` (the
bucketed Java embeddings, float32 LE) of Java vs PyTorch at 77.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads libgomp (see bench_clip.py)
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from decap_tools.bench_clip import torch_blas_config  # noqa: E402
from decap_tools.clip_export import default_shared_data  # noqa: E402
from decap_tools.clip_model import VIT_B_32, build_random_clip  # noqa: E402
from decap_tools.clip_tokenizer import ClipTokenizer  # noqa: E402


@torch.no_grad()
def encode_77(clip, ids: np.ndarray, batch: int, call: int) -> np.ndarray:
    out = []
    for start in range(0, len(ids), call):
        part = ids[start:start + call]
        for b in range(0, len(part), batch):
            out.append(clip.encode_text(torch.from_numpy(part[b:b + batch])).numpy())
    return np.concatenate(out)


@torch.no_grad()
def encode_dynamic(clip, ids: np.ndarray, lengths: np.ndarray, batch: int, call: int) -> np.ndarray:
    out = np.empty((len(ids), clip.cfg.embed_dim), dtype=np.float32)
    for start in range(0, len(ids), call):
        idx = np.arange(start, min(len(ids), start + call))
        idx = idx[np.argsort(lengths[idx], kind="stable")]
        for b in range(0, len(idx), batch):
            run = idx[b:b + batch]
            n = int(lengths[run].max())
            out[run] = clip.encode_text(torch.from_numpy(np.ascontiguousarray(ids[run, :n]))).numpy()
    return out


def compare(a: np.ndarray, b: np.ndarray) -> dict:
    cos = np.sum(a.astype(np.float64) * b, axis=1) / (np.linalg.norm(a.astype(np.float64), axis=1)
                                                      * np.linalg.norm(b.astype(np.float64), axis=1))
    return {"max_abs_diff": float(np.max(np.abs(a.astype(np.float64) - b))), "min_cosine": float(cos.min())}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--captions", type=int, default=2000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--call", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--shared", type=Path, default=None)
    p.add_argument("--java-dump", type=Path, default=None)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    shared = args.shared or default_shared_data()
    caps = [a["caption"] for a in
            json.loads((shared / "coco" / "captions_val2017.json").read_text())["annotations"][:args.captions]]
    tok = ClipTokenizer(str(shared / "clip" / "bpe_simple_vocab_16e6.txt.gz"))
    ids = np.array(tok.tokenize_batch(caps), dtype=np.int64)
    lengths = np.array([int(np.nonzero(r)[0].max()) + 1 for r in ids])
    clip = build_random_clip(VIT_B_32, args.seed)

    result = {"captions": len(caps), "threads": args.threads, "batch": args.batch, "call": args.call,
              "repeats": args.repeats, "mean_tokens_per_caption_sot_eot_included": float(lengths.mean()),
              "torch_config": torch_blas_config(), "load_average_before": list(os.getloadavg())}
    warm = min(len(ids), 2 * args.batch)
    encode_77(clip, ids[:warm], args.batch, args.call)
    encode_dynamic(clip, ids[:warm], lengths[:warm], args.batch, args.call)
    modes = {"pytorch_77": lambda: encode_77(clip, ids, args.batch, args.call),
             "pytorch_dynamic": lambda: encode_dynamic(clip, ids, lengths, args.batch, args.call)}
    seconds = {m: [] for m in modes}
    emb = {}
    for r in range(args.repeats):
        for m, fn in modes.items():
            t0 = time.perf_counter()
            emb[m] = fn()
            seconds[m].append(time.perf_counter() - t0)
            print(f"repeat {r} {m:16s} {seconds[m][-1]:.1f} s, {len(caps) / seconds[m][-1]:.1f} captions/s",
                  file=sys.stderr)
    result["captions_per_s"] = {m: {"median": len(caps) / statistics.median(s), "best": len(caps) / min(s),
                                    "seconds": s} for m, s in seconds.items()}
    result["speedup_dynamic_vs_77_median"] = (result["captions_per_s"]["pytorch_dynamic"]["median"]
                                              / result["captions_per_s"]["pytorch_77"]["median"])
    result["dynamic_vs_77"] = compare(emb["pytorch_dynamic"], emb["pytorch_77"])
    if args.java_dump and args.java_dump.is_file():
        java = np.fromfile(str(args.java_dump), dtype="<f4").reshape(len(caps), -1)
        result["java_bucketed_vs_pytorch_77"] = compare(java, emb["pytorch_77"])
    result["load_average_after"] = list(os.getloadavg())
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
