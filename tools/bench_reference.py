#!/usr/bin/python3
"""Full-size reference bundle and PyTorch reference timings (printed as JSON; nothing here is committed).

    /usr/bin/python3 tools/bench_reference.py [--out tools/out/full] [--seed 0] [--threads 2] [--repeats 5]
                                              [--checkpoint coco_prefix-009.pt] [--no-clip] [--no-ort]

Writes into --out a full-size bundle: ``decoder.onnx`` (official DeCap size: width 768, 4 layers, 4 heads,
50257 outputs, 1024 positions, prefix 512; random GPT-2 initialisation from --seed, or the given official
checkpoint), the CLIP helper's random ViT-B/32-shaped towers (``image_encoder.onnx``, ``text_encoder.onnx``;
skipped with --no-clip) and ``decap-bundle.json``; then times, with ``torch.set_num_threads(threads)``:

* ``decoder.notebook_greedy_20_tokens_ms``: one caption the official notebook's way (no cache: the whole
  sequence [prefix, t1..tn] re-run at each step), exactly 20 steps (EOT ignored so every run does the same work);
* ``decoder.kv_cache_step_ms``: one cached step (one position, ``DeCapDecoder.step``, what decoder.onnx does) at
  steps 1, 10 and 30 (step s processes token s with s cached positions; step 0 is the prefix);
* with ORT (default): the same cached steps of the exported ``decoder.onnx`` in ONNX Runtime Java
  (``OrtSession.run`` alone, ``threads`` intra-op threads);
* the CLIP towers (``decap_tools.bench_clip``), unless --no-clip.

Medians over --repeats runs (after one warm-up). The JSON also reports torch's BLAS configuration and the
math libraries actually loaded (Debian's torch uses the system ``libblas.so.3``: OpenBLAS from
``libopenblas0-pthread``). ``OMP_WAIT_POLICY=PASSIVE`` is set before torch loads (libgomp's spin-wait is
pathological on shared cores).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))

from decap_tools import bundle, search  # noqa: E402
from decap_tools.decoder_model import DeCapDecoder, DecoderConfig, load_official_state_dict  # noqa: E402
from export_decoder import export_decoder, verify_decoder_onnx  # noqa: E402

STEPS = (1, 10, 30)
NOTEBOOK_TOKENS = 20


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def _stats(ms):
    return {"median_ms": round(statistics.median(ms), 3), "min_ms": round(min(ms), 3), "runs": len(ms)}


@torch.no_grad()
def bench_decoder_torch(model: DeCapDecoder, repeats: int, seed: int) -> dict:
    cfg = model.cfg
    g = torch.Generator().manual_seed(seed)
    prefix = torch.randn(1, cfg.prefix_dim, generator=g)
    prefix /= prefix.norm()

    def notebook_caption():
        # DeCap's notebook Decoding(): no cache, re-embed and re-run everything each step; 20 steps forced
        embeds = model.embed_prefix(prefix)
        for _ in range(NOTEBOOK_TOKENS):
            logits, _ = model.forward_embeds(embeds)
            nxt = torch.argmax(torch.softmax(logits[:, -1, :], dim=-1), -1).reshape(1, 1)
            embeds = torch.cat([embeds, model.decoder.transformer.wte(nxt)], dim=1)

    notebook_caption()
    ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        notebook_caption()
        ms.append((time.perf_counter() - t0) * 1000)
    result = {"notebook_greedy_20_tokens_ms": {**_stats(ms), "per_token_ms": round(statistics.median(ms) / 20, 3)}}

    per_step = {s: [] for s in STEPS}
    total = []
    for r in range(repeats + 1):
        past = model.empty_past(1)
        ids = torch.zeros(1, 1, dtype=torch.long)
        use = torch.tensor([True])
        t_all = time.perf_counter()
        for s in range(max(STEPS) + 1):
            t0 = time.perf_counter()
            logits, past = model.step(prefix, ids, use, past)
            dt = (time.perf_counter() - t0) * 1000
            if r > 0 and s in per_step:
                per_step[s].append(dt)
            ids = torch.argmax(logits, -1).reshape(1, 1)
            use = torch.tensor([False])
        if r > 0:
            total.append((time.perf_counter() - t_all) * 1000)
    result["kv_cache_step_ms"] = {f"step_{s}": _stats(v) for s, v in per_step.items()}
    result["kv_cache_31_positions_total_ms"] = _stats(total)
    return result


def bench_decoder_ort(onnx_path, cfg: DecoderConfig, threads: int, repeats: int, seed: int) -> dict:
    from decap_tools import ort
    sess = ort.Session(onnx_path, threads=threads)
    rng = np.random.default_rng(seed)
    prefix = rng.standard_normal((1, cfg.prefix_dim)).astype(np.float32)
    prefix /= np.linalg.norm(prefix)
    per_step = {s: [] for s in STEPS}
    for r in range(repeats + 1):
        z = np.zeros((1, cfg.heads, 0, cfg.head_dim), np.float32)
        past = [(z, z)] * cfg.layers
        ids = np.zeros((1, 1), np.int64)
        use = True
        for s in range(max(STEPS) + 1):
            feeds = {"prefix": prefix, "input_ids": ids, "use_prefix": np.array([use])}
            for i, (k, v) in enumerate(past):
                feeds[f"past_key_values.{i}.key"] = k
                feeds[f"past_key_values.{i}.value"] = v
            out, ms = sess.run(feeds, with_time=True)
            if r > 0 and s in per_step:
                per_step[s].append(ms)
            past = [(out[f"present.{i}.key"], out[f"present.{i}.value"]) for i in range(cfg.layers)]
            ids = np.argmax(out["logits"], -1).astype(np.int64).reshape(1, 1)
            use = False
    return {"threads": threads, "ort": ort.ORT_VERSION, "what": "OrtSession.run alone (no JVM/IPC time)",
            "kv_cache_step_ms": {f"step_{s}": _stats(v) for s, v in per_step.items()}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(TOOLS / "out" / "full"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--checkpoint", help="official DeCap state dict instead of a random decoder")
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--no-clip", action="store_true", help="skip the CLIP towers")
    ap.add_argument("--no-ort", action="store_true", help="skip ONNX Runtime Java verification and timings")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    if args.checkpoint:
        model = load_official_state_dict(torch.load(args.checkpoint, map_location="cpu"), heads=args.heads)
    else:
        model = DeCapDecoder(DecoderConfig()).init_random(args.seed).eval()
    cfg = model.cfg
    t0 = time.perf_counter()
    dec_path = export_decoder(model, out / "decoder.onnx")
    log(f"exported {dec_path} ({dec_path.stat().st_size} bytes) in {time.perf_counter() - t0:.1f} s")
    report = {"command": "tools/bench_reference.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "decoder_config": cfg.to_dict(), "threads": args.threads}
    if not args.no_ort:
        report["decoder_export_verification"] = verify_decoder_onnx(
            model, dec_path, search.Vocabulary(cfg.vocab_size), steps=4, batches=(1, 2), greedy_cases=1, log=log)

    files = {"decoder": dec_path}
    clip_section = None
    clip_full = None
    if not args.no_clip:
        from decap_tools.clip_export import make_full_size
        clip_full = make_full_size(out, seed=args.seed, verify=not args.no_ort, log=log)
        files.update(clip_full["files"])
        clip_section = clip_full["manifest_clip"]
    bundle.write_manifest(out, name="full-size-random" if not args.checkpoint else Path(args.checkpoint).stem,
                          description="Official-size DeCap decoder (random unless converted) with ViT-B/32-shaped "
                                      "random CLIP towers, for benchmarks only.",
                          created_by=report["command"], files=files,
                          embedding_dim=cfg.prefix_dim, decoder=bundle.decoder_section(cfg, None), clip=clip_section)

    from decap_tools.bench_clip import torch_blas_config
    report["torch_config"] = torch_blas_config()
    report["load_average_before"] = [round(x, 2) for x in os.getloadavg()]
    report["decoder_pytorch"] = bench_decoder_torch(model, args.repeats, args.seed)
    if not args.no_ort:
        report["decoder_onnxruntime_java"] = bench_decoder_ort(dec_path, cfg, args.threads, args.repeats, args.seed)
    if clip_full is not None:
        from decap_tools.bench_clip import bench_clip
        report["clip_pytorch"] = bench_clip(clip_full["clip"], threads=args.threads,
                                            onnx_files=None if args.no_ort else clip_full["files"])
    report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    (out / "bench_reference.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
