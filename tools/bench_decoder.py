#!/usr/bin/python3
"""Full-size benchmark, Python side: generates the full-size random bundle and times the PyTorch reference.

``generate``: a random ViT-B/32-shaped CLIP (``clip_export.make_full_size``) and a random decoder of the official
size (GPT-2, 4 layers, 4 heads, width 768, vocabulary 50257), exported by ``export_decoder.export_decoder`` into one
bundle directory with ``decap-bundle.json``; plus ``parity.json``: greedy (notebook computation, no cache) and
beam-3 reference results on random unit prefixes, in the format of ``golden/decoder_tiny.json``. The decoder's
weights are rescaled (larger ``ln_f`` gain and ``clip_project``) so that random captions depend on the prefix and
logit gaps are well above float noise; prefixes whose greedy top-1/top-2 gap falls below 1e-3 are re-drawn.

``bench``: PyTorch reference timings with ``torch.set_num_threads(threads)``: CLIP towers
(``bench_clip.bench_clip``), decoder logits time at steps 1, 10, 30 both notebook-style (the whole sequence re-run)
and with a key/value cache, projection over an N-row memory, and the notebook-style full caption (image encode +
projection over the memory + greedy decoding of 20 tokens without cache).

Usage (from the repository root; see tools/benchmark.sh):
  /usr/bin/python3 tools/bench_decoder.py generate --out DIR [--seed 0] [--parity 24]
  /usr/bin/python3 tools/bench_decoder.py bench --out DIR [--threads 2] [--memory 500000]
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: libgomp's spin-wait hurts on shared cores

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))

from decap_tools import bundle, search  # noqa: E402
from decap_tools.clip_export import make_full_size  # noqa: E402
from decap_tools.decoder_model import DeCapDecoder, DecoderConfig  # noqa: E402
from export_decoder import export_decoder  # noqa: E402

GREEDY_MARGIN = 1e-3
BEAM_MARGIN = 1e-4


def full_decoder(seed: int) -> DeCapDecoder:
    model = DeCapDecoder(DecoderConfig()).init_random(seed).eval()
    with torch.no_grad():
        model.clip_project.model[0].weight.mul_(40.0)   # captions depend on the prefix
        model.decoder.transformer.wpe.weight.mul_(5.0)   # and on the position
        model.decoder.transformer.ln_f.weight.fill_(6.0)  # logit gaps well above float noise
    return model


def f32(x: float) -> str:
    return repr(float(np.float32(x)))


def hyp_json(h: search.Hypothesis, vocab: search.Vocabulary) -> dict:
    return {"decoder_ids": h.decoder_ids, "token_ids": vocab.tokenizer_ids(h.decoder_ids), "text": None,
            "logprobs": [float(np.float32(x)) for x in h.logprobs], "sum_logprob": float(h.sum_logprob),
            "score": float(h.score), "finished_with_eot": h.finished_with_eot, "min_margin": float(h.min_margin)}


def generate(out: Path, seed: int, parity: int, log=print) -> None:
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    t0 = time.time()
    clip = make_full_size(out, seed=seed, verify=False, log=log)
    log(f"CLIP exported in {time.time() - t0:.0f} s")
    model = full_decoder(seed)
    dec = export_decoder(model, out / "decoder.onnx")
    log(f"decoder exported: {dec.stat().st_size} bytes")
    bundle.write_manifest(out, "full-random", "random weights of the official sizes (benchmark only)",
                          f"tools/bench_decoder.py generate --seed {seed}",
                          {"decoder": dec, **clip["files"]}, 512,
                          decoder=bundle.decoder_section(model.cfg, None), clip=clip["manifest_clip"])
    vocab = search.Vocabulary(model.cfg.vocab_size)
    rng = np.random.default_rng(seed + 5)
    prefixes, cases, redrawn = [], [], 0
    while len(prefixes) < parity:
        p = rng.standard_normal(512).astype(np.float32)
        p = (p / np.linalg.norm(p)).astype(np.float32)
        g = search.greedy(search.NoCacheSource(model, p), vocab)
        if g.min_margin < GREEDY_MARGIN:
            redrawn += 1
            continue
        pid = f"random-{len(prefixes)}"
        prefixes.append({"id": pid, "prefix": [float(x) for x in p]})
        cases.append({"prefix_id": pid, "search": "greedy", "mask": True, "min_tokens": 0, "max_tokens": 30,
                      "result": hyp_json(g, vocab)})
        if len(prefixes) <= parity // 3:
            b = search.beam_search(search.CachedSource(model, p), vocab, 3, 1.0)
            if b.min_margin >= BEAM_MARGIN and b.selection_margin >= BEAM_MARGIN:
                cases.append({"prefix_id": pid, "search": "beam", "beam_width": 3, "length_penalty": 1.0,
                              "mask": True, "min_tokens": 0, "max_tokens": 30, "result": hyp_json(b, vocab)})
    (out / "parity.json").write_text(json.dumps({"reference": "PyTorch, greedy notebook computation (no cache); "
                                                 "beam with KV cache", "redrawn": redrawn,
                                                 "prefixes": prefixes, "cases": cases}) + "\n")
    log(f"parity.json: {len(prefixes)} prefixes ({redrawn} re-drawn), {len(cases)} cases")


def timed(fn, reps: int, warmup: int = 1):
    for _ in range(warmup):
        fn()
    ms = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t) * 1000.0)
    return ms


def summary(ms):
    return {"median_ms": round(statistics.median(ms), 3), "min_ms": round(min(ms), 3), "runs": len(ms)}


@torch.no_grad()
def bench(out: Path, seed: int, threads: int, memory: int, shared, log=print) -> dict:
    from decap_tools.bench_clip import bench_clip
    from decap_tools.clip_model import VIT_B_32, build_random_clip
    torch.set_num_threads(threads)
    result = {"threads": threads, "torch": torch.__version__, "load_average_before": list(os.getloadavg())}
    clip = build_random_clip(VIT_B_32, seed).eval()
    log("timing CLIP towers")
    result["clip"] = bench_clip(clip, threads=threads, shared_dir=shared)
    model = full_decoder(seed)
    g = torch.Generator().manual_seed(seed)
    prefix = torch.randn(1, 512, generator=g)
    prefix /= prefix.norm()
    toks = torch.randint(0, 49000, (1, 40), generator=g)
    steps = {}
    for s in (1, 10, 30):
        nocache = timed(lambda: model.logits_no_cache(prefix, toks[:, :s - 1]), 5)
        # cached: the cache of s-1 positions is built once; the timed call processes position s-1 alone
        past = model.empty_past(1)
        if s > 1:
            _, past = model.step(prefix, toks[:, :1], torch.tensor([True]), past)
            for i in range(1, s - 1):
                _, past = model.step(prefix, toks[:, i:i + 1], torch.tensor([False]), past)
        use = torch.tensor([s == 1])
        ids = toks[:, s - 1:s] if s > 1 else toks[:, :1]
        cached = timed(lambda: model.step(prefix, ids, use, past), 10)
        steps[f"step_{s}"] = {"notebook_no_cache": summary(nocache), "kv_cache": summary(cached)}
    result["decoder_step_ms"] = steps
    log(f"decoder steps: {json.dumps(steps)}")
    rng = np.random.default_rng(seed)
    mem = torch.from_numpy(rng.standard_normal((memory, 512), dtype=np.float32))
    mem /= mem.norm(dim=1, keepdim=True)
    v = torch.randn(512, generator=g)
    v /= v.norm()

    def project(v):
        w = torch.softmax((mem @ v) / 0.01, dim=0)
        p = (w.unsqueeze(1) * mem).sum(0)
        return p / p.norm()

    result["projection_ms"] = {"memory": memory, **summary(timed(lambda: project(v), 5))}
    log(f"projection over {memory}: {result['projection_ms']}")
    vocab = search.Vocabulary(model.cfg.vocab_size)
    image = torch.randn(1, 3, 224, 224, generator=g)

    def caption():
        e = clip.encode_image(image)[0]
        p = project(e / e.norm()).numpy()
        return search.greedy(search.NoCacheSource(model, p), vocab, search.DecodeOptions(max_tokens=20,
                                                                                        min_tokens=20))

    ms = timed(caption, 3, warmup=0)
    result["full_caption_notebook_ms"] = {"tokens": 20, "memory": memory, **summary(ms),
                                          "steps": "encode_image + projection (torch) + greedy, whole sequence "
                                                   "re-run per token (the notebook's loop)"}
    log(f"full caption (notebook style): {result['full_caption_notebook_ms']}")
    result["load_average_after"] = list(os.getloadavg())
    (out / "pytorch.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--out", required=True)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--parity", type=int, default=24)
    b = sub.add_parser("bench")
    b.add_argument("--out", required=True)
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--threads", type=int, default=2)
    b.add_argument("--memory", type=int, default=500_000)
    b.add_argument("--shared")
    args = ap.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    if args.cmd == "generate":
        generate(Path(args.out), args.seed, args.parity, log)
    else:
        bench(Path(args.out), args.seed, args.threads, args.memory, args.shared, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
