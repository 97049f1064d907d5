#!/usr/bin/python3
"""Full-size benchmark, Python side: generates the full-size random bundle and times the PyTorch reference.

``generate``: a random ViT-B/32-shaped CLIP (``clip_export.make_full_size``) and a random decoder of the official
size (GPT-2, 4 layers, 4 heads, width 768, vocabulary 50257), exported by ``export_decoder.export_decoder`` into one
bundle directory with ``decap-bundle.json``; plus ``parity.json``: greedy (notebook computation, no cache) and
beam-3 reference results on random unit prefixes, in the format of ``golden/decoder_tiny.json``. The decoder's
weights are rescaled (larger ``ln_f`` gain and ``clip_project``) so that random captions depend on the prefix and
logit gaps are well above float noise; prefixes whose greedy top-1/top-2 gap falls below 1e-3 are re-drawn.

``bench``: PyTorch reference timings with ``torch.set_num_threads(threads)``: CLIP towers
(``bench_clip.bench_clip``, unless --no-clip-towers), decoder logits time at steps 1, 10, 30 both notebook-style
(the whole sequence re-run) and with a key/value cache, the notebook's projection over an N-row memory, and two
full captions (decoded photo -> torchvision CLIP preprocess -> image tower -> projection -> 20 greedy tokens):
``full_caption_notebook_ms`` exactly as the official notebook computes it (GPT-2 over the whole sequence at every
step, logits at every position as ``GPT2LMHeadModel`` returns them; projection ``(v @ M.T * 100).softmax(-1) @ M``)
and ``full_caption_kv_ms`` (the same with a key/value cache). One warm-up pass of each caption touches the memory,
the weights and the allocator first; then --repeats runs of the two, interleaved; each figure is the median with
min and max.

Usage (from the repository root; see tools/benchmark.sh):
  /usr/bin/python3 tools/bench_decoder.py generate --out DIR [--seed 0] [--parity 24]
  /usr/bin/python3 tools/bench_decoder.py bench --out DIR [--threads 2] [--memory 500000] [--repeats 5]
                                               [--shared ../shared/data] [--no-clip-towers]
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
    return {"median_ms": round(statistics.median(ms), 3), "min_ms": round(min(ms), 3), "max_ms": round(max(ms), 3),
            "runs": len(ms)}


CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
NOTEBOOK_TOKENS = 20


def clip_preprocess(size: int = 224):
    """CLIP's ``preprocess`` as ``clip.load`` returns it (torchvision): resize bicubic, centre crop, RGB, normalise."""
    from torchvision import transforms
    from torchvision.transforms import InterpolationMode
    return transforms.Compose([transforms.Resize(size, interpolation=InterpolationMode.BICUBIC),
                               transforms.CenterCrop(size), lambda im: im.convert("RGB"), transforms.ToTensor(),
                               transforms.Normalize(CLIP_MEAN, CLIP_STD)])


def notebook_projection(v: torch.Tensor, mem: torch.Tensor) -> torch.Tensor:
    """The official notebook's projection, as written there: ``sim = v @ M.T; (sim * 100).softmax(-1) @ M``, then
    normalised. ``v`` [1, d] unit, ``mem`` [N, d] unit rows."""
    sim = v @ mem.T
    p = (sim * 100).softmax(dim=-1) @ mem
    return p / p.norm(dim=-1, keepdim=True)


def notebook_greedy(model: DeCapDecoder, prefix: torch.Tensor, tokens: int) -> list:
    """The official notebook's ``Decoding`` loop (entry_length = ``tokens``, EOT not honoured so that every run does
    the same work): the decoder (GPT2LMHeadModel) runs over the whole embedding sequence at every step and returns
    the logits at every position; the last position's softmax argmax is appended."""
    tr = model.decoder.transformer
    embedding_cat = model.clip_project(prefix).reshape(1, 1, -1)
    out = []
    for _ in range(tokens):
        logits, _ = model.forward_embeds(embedding_cat)  # [1, t, vocab]: every position, as GPT2LMHeadModel
        logits = logits[:, -1, :]
        probs = torch.nn.functional.softmax(logits, -1)
        next_token = torch.argmax(probs, -1).unsqueeze(0)
        out.append(int(next_token))
        embedding_cat = torch.cat((embedding_cat, tr.wte(next_token)), dim=1)
    return out


def kv_greedy(model: DeCapDecoder, prefix: torch.Tensor, tokens: int) -> list:
    """The same greedy decoding with a key/value cache: one position per step (``DeCapDecoder.step``)."""
    ids = torch.zeros(1, 1, dtype=torch.long)
    logits, past = model.step(prefix, ids, torch.tensor([True]), model.empty_past(1))
    out = []
    no = torch.tensor([False])
    for i in range(tokens):
        t = int(torch.argmax(logits, -1))
        out.append(t)
        if i + 1 < tokens:
            logits, past = model.step(prefix, torch.tensor([[t]]), no, past)
    return out


@torch.no_grad()
def bench(out: Path, seed: int, threads: int, memory: int, shared, repeats: int = 5, clip_towers: bool = True,
          log=print) -> dict:
    from PIL import Image
    from decap_tools.bench_clip import bench_clip
    from decap_tools.clip_model import VIT_B_32, build_random_clip
    torch.set_num_threads(threads)
    result = {"threads": threads, "torch": torch.__version__, "repeats": repeats,
              "load_average_before": list(os.getloadavg())}
    clip = build_random_clip(VIT_B_32, seed).eval()
    if clip_towers:
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
    v = torch.randn(1, 512, generator=g)
    v /= v.norm()
    photo_dir = Path(shared) / "images" if shared else None
    photos = sorted(photo_dir.glob("*.jpg")) if photo_dir and photo_dir.is_dir() else []
    if photos:
        with Image.open(photos[0]) as im:
            photo = im.copy()
        photo.load()
    else:  # no shared photos: a synthetic 640 x 480 image
        photo = Image.fromarray(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8))
    preprocess = clip_preprocess(224)

    def embed(image):
        e = clip.encode_image(preprocess(image).unsqueeze(0)).float()
        return e / e.norm(dim=-1, keepdim=True)

    def caption_notebook():
        return notebook_greedy(model, notebook_projection(embed(photo), mem), NOTEBOOK_TOKENS)

    def caption_kv():
        return kv_greedy(model, notebook_projection(embed(photo), mem), NOTEBOOK_TOKENS)

    # warm-up: one pass of each touches the memory (1 GB at 500k rows), the weights and the allocator once
    t = time.perf_counter()
    same = caption_notebook() == caption_kv()
    result["warm_up_s"] = round(time.perf_counter() - t, 3)
    result["kv_tokens_equal_notebook_tokens"] = same
    result["projection_ms"] = {"memory": memory, "formula": "(v @ M.T * 100).softmax(-1) @ M, normalised",
                               **summary(timed(lambda: notebook_projection(v, mem), repeats))}
    log(f"projection over {memory}: {result['projection_ms']}")
    result["image_embed_ms"] = {"steps": "torchvision CLIP preprocess of a decoded PIL image + encode_image + "
                                         "normalise", **summary(timed(lambda: embed(photo), repeats))}
    # the two captions interleaved, so that both see the same machine load
    nb, kv = [], []
    for _ in range(repeats):
        nb += timed(caption_notebook, 1, warmup=0)
        kv += timed(caption_kv, 1, warmup=0)
    result["full_caption_notebook_ms"] = {
        "tokens": NOTEBOOK_TOKENS, "memory": memory, **summary(nb),
        "steps": "decoded PIL image -> CLIP preprocess -> encode_image -> (v @ M.T * 100).softmax(-1) @ M -> "
                 "notebook greedy loop: GPT-2 over the whole sequence at every step, logits at every position"}
    result["full_caption_kv_ms"] = {
        "tokens": NOTEBOOK_TOKENS, "memory": memory, **summary(kv),
        "steps": "as full_caption_notebook_ms, greedy with a key/value cache (one position per step)"}
    log(f"full caption (notebook): {result['full_caption_notebook_ms']}")
    log(f"full caption (KV cache): {result['full_caption_kv_ms']}")
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
    b.add_argument("--repeats", type=int, default=5)
    b.add_argument("--no-clip-towers", action="store_true", help="skip the CLIP tower timings")
    args = ap.parse_args(argv)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    if args.cmd == "generate":
        generate(Path(args.out), args.seed, args.parity, log)
    else:
        bench(Path(args.out), args.seed, args.threads, args.memory, args.shared, args.repeats,
              not args.no_clip_towers, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
