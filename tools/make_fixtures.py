#!/usr/bin/python3
"""Generates every committed test fixture and golden file of decap (the ONE command).

    /usr/bin/python3 tools/make_fixtures.py [--out decap-onnx/src/test/resources/fixtures] [--seed 0]
                                            [--shared ../shared/data] [--no-verify]

Writes (paths relative to --out; formats in tools/README.md):

* ``tiny/``: the tiny random bundle: ``decoder.onnx`` (prefix 64, width 64, 2 layers, 2 heads, 4096 decoder ids,
  40 positions), ``vocab_map.json``, CLIP ``image_encoder.onnx`` / ``text_encoder.onnx`` (by
  ``decap_tools.clip_export``), ``decap-bundle.json``.
* ``layouts/{hf,xenova}/``: tiny CLIP fixtures in those layouts (``decap_tools.clip_export``).
* ``official-layout/``: ``tools/convert_checkpoint.py`` applied to a random state dict in the official layout
  (GPT-2 buffers, tied head, 50257 outputs, width 4): a decoder-only bundle without a vocab map.
* ``golden/decoder_tiny.json``: greedy and beam cases of the tiny decoder (PyTorch reference, notebook way).
* ``golden/decoder_official_layout.json``: greedy cases of the official-layout bundle (masked and not).
* ``golden/pipeline_tiny.json``: image -> tiny CLIP -> projection decoding over 1000 COCO captions -> tokens.
* ``golden/clip_*.json``: CLIP embeddings (``decap_tools.clip_export``).

Everything is deterministic for a given seed. With verification on (default), ONNX exports are run in ONNX
Runtime Java (tools/OrtRun.java) and every greedy golden case plus a sample of beam cases is replayed through
``decoder.onnx`` and must give identical tokens.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

# libgomp's busy-waiting makes multi-threaded torch crawl on shared cores; must be set before torch loads
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))

from decap_tools import bundle, search  # noqa: E402
from decap_tools.decoder_model import DeCapDecoder, DecoderConfig, official_state_dict  # noqa: E402
from export_decoder import export_decoder, verify_decoder_onnx  # noqa: E402

DEFAULT_OUT = ROOT / "decap-onnx" / "src" / "test" / "resources" / "fixtures"
TINY_VOCAB = 4096
TINY_MASKED = 8
MEMORY_SIZE = 1000
TAU = 0.01
GREEDY_MARGIN = 1e-3   # prefixes whose greedy top-1/top-2 logit gap falls below this are re-drawn
BEAM_MARGIN = 1e-4     # same for gaps between adjacent beam candidate scores / final normalised scores
RANDOM_PREFIXES = 48
TEXT_PREFIXES = 12


def log(msg):
    print(msg, flush=True)


# ------------------------------------------------------------------------------------------ tiny decoder
def build_vocab_map(tokenizer, captions, size: int, masked: int, seed: int):
    """Decoder vocabulary of the tiny bundle: SOT, EOT, every tokenizer id of ``captions`` (the memory),
    then ids of the following captions until ``size - masked`` entries, plus ``masked`` entries of -1; all in
    a seeded random order (so no code can rely on decoder id == tokenizer id)."""
    ids = [search.EOT_TOKENIZER_ID, 49406]
    seen = set(ids)
    for c in captions:
        for t in tokenizer.encode(c):
            if t not in seen:
                seen.add(t)
                ids.append(t)
    used = len(ids)
    if used > size - masked:
        raise ValueError(f"memory captions use {used} token ids, more than the decoder vocabulary allows")
    return ids, used


def fill_vocab(ids, more_captions, tokenizer, size: int, masked: int, seed: int):
    ids = list(ids)
    seen = set(ids)
    for c in more_captions:
        if len(ids) >= size - masked:
            break
        for t in tokenizer.encode(c):
            if t not in seen and len(ids) < size - masked:
                seen.add(t)
                ids.append(t)
    ids += [-1] * masked
    rng = np.random.default_rng(seed + 11)
    order = rng.permutation(len(ids))
    return [int(ids[i]) for i in order]


def shape_random_decoder(model: DeCapDecoder, seed: int, eot_decoder_id: int, boosted=(), kt=3.0, kp=5.0, kc=40.0,
                         kw=10.0, gain=6.0, eot_bias=2.0) -> DeCapDecoder:
    """Rescales a GPT-2-initialised decoder so that greedy captions are non-trivial: larger token/position
    embeddings and block weights (outputs depend on prefix, history and position), a strong ``clip_project``
    (captions depend on the prefix), a large ``ln_f`` gain (logit gaps well above float noise) and an EOT bias
    (lengths vary); ``boosted`` decoder ids (the masked ones) get larger embeddings so that unmasked search
    picks them."""
    cfg = model.cfg
    g = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        tr = model.decoder.transformer
        tr.wte.weight.mul_(kt)
        tr.wpe.weight.mul_(kp)
        model.clip_project.model[0].weight.mul_(kc)
        for b in tr.h:
            for lin in (b.attn.c_attn, b.attn.c_proj, b.mlp.c_fc, b.mlp.c_proj):
                lin.weight.mul_(kw)
        tr.ln_f.weight.fill_(gain)
        u = torch.randn(cfg.width, generator=g)
        u /= u.norm()
        tr.ln_f.bias.copy_(u * 2.0)
        tr.wte.weight[eot_decoder_id] += u * (eot_bias / 2.0)
        for d in boosted:
            tr.wte.weight[d] *= 1.6
    return model.eval()


# ------------------------------------------------------------------------------------------ golden helpers
def _f32(x):
    from decap_tools.clip_export import _F32
    return _F32(x)


def _f32_list(a):
    from decap_tools.clip_export import f32_list
    return f32_list(a)


def hypothesis_json(h: search.Hypothesis, vocab: search.Vocabulary, tokenizer) -> dict:
    tok_ids = vocab.tokenizer_ids(h.decoder_ids)
    text_ids = [t for t in tok_ids if t >= 0 and t not in (49406, 49407)]
    out = {"decoder_ids": h.decoder_ids, "token_ids": tok_ids,
           "text": tokenizer.decode(text_ids).strip() if all(t >= 0 for t in tok_ids) else None,
           "logprobs": _f32_list(h.logprobs), "sum_logprob": _f32(h.sum_logprob), "score": float(h.score),
           "finished_with_eot": h.finished_with_eot, "min_margin": float(h.min_margin)}
    if h.selection_margin != float("inf"):
        out["selection_margin"] = float(h.selection_margin)
    return out


def run_case(model, prefix, vocab, case) -> search.Hypothesis:
    opts = search.DecodeOptions(max_tokens=case.get("max_tokens", 30), min_tokens=case.get("min_tokens", 0),
                                mask=case.get("mask", True))
    src = search.NoCacheSource(model, prefix)
    if case["search"] == "greedy":
        return search.greedy(src, vocab, opts)
    return search.beam_search(src, vocab, case["beam_width"], case["length_penalty"], opts)


def margins_ok(case, h) -> bool:
    if case["search"] == "greedy":
        return h.min_margin >= GREEDY_MARGIN
    return h.min_margin >= BEAM_MARGIN and h.selection_margin >= BEAM_MARGIN


def case_plan(k: int):
    """The search settings run on prefix number ``k``."""
    plan = [{"search": "greedy", "mask": True},
            {"search": "greedy", "mask": False},
            {"search": "greedy", "mask": True, "min_tokens": 5}]
    for a in (0.0, 1.0, 2.0):
        plan.append({"search": "beam", "beam_width": 3, "length_penalty": a, "mask": True})
    if k % 4 == 0:
        for a in (0.0, 1.0, 2.0):
            plan.append({"search": "beam", "beam_width": 5, "length_penalty": a, "mask": True})
    if k % 4 == 1:
        plan.append({"search": "beam", "beam_width": 3, "length_penalty": 1.0, "mask": True, "min_tokens": 5})
        plan.append({"search": "beam", "beam_width": 3, "length_penalty": 1.0, "mask": False})
        plan.append({"search": "greedy", "mask": True, "max_tokens": 8})
        plan.append({"search": "beam", "beam_width": 1, "length_penalty": 0.0, "mask": True})
    if k % 4 == 3:
        plan.append({"search": "beam", "beam_width": 3, "length_penalty": 0.0, "mask": True, "max_tokens": 8})
    for c in plan:
        c.setdefault("min_tokens", 0)
        c.setdefault("max_tokens", 30)
    return plan


def decode_prefix_cases(model, prefix, vocab, tokenizer, k):
    """All cases of one prefix, or None if a decision margin is too small (the prefix is then re-drawn)."""
    out = []
    for case in case_plan(k):
        h = run_case(model, prefix, vocab, case)
        if not margins_ok(case, h):
            return None
        out.append({**case, "result": hypothesis_json(h, vocab, tokenizer)})
    return out


# ------------------------------------------------------------------------------------------ goldens
def decoder_golden(model, vocab, tokenizer, memory_unit, memory_texts, seed):
    rng = np.random.default_rng(seed + 21)
    prefixes, cases = [], []
    redrawn = 0
    k = 0
    while len(prefixes) < RANDOM_PREFIXES:
        p = rng.standard_normal(model.cfg.prefix_dim).astype(np.float32)
        p = (p / np.linalg.norm(p)).astype(np.float32)
        cs = decode_prefix_cases(model, p, vocab, tokenizer, k)
        if cs is None:
            redrawn += 1
            continue
        pid = f"random-{len(prefixes)}"
        prefixes.append({"id": pid, "source": "random unit vector", "prefix": _f32_list(p)})
        cases += [{"prefix_id": pid, **c} for c in cs]
        k += 1
        if k % 12 == 0:
            log(f"  decoder golden: {k} random prefixes done ({redrawn} re-drawn)")
    skipped = 0
    row = 0
    step = max(1, len(memory_texts) // (TEXT_PREFIXES * 2))
    added = 0
    while added < TEXT_PREFIXES:
        if row >= len(memory_texts):
            raise AssertionError("not enough memory captions with clear decision margins for the text prefixes")
        p = memory_unit[row]
        cs = decode_prefix_cases(model, p, vocab, tokenizer, k)
        if cs is None:
            skipped += 1
        else:
            pid = f"text-{row}"
            prefixes.append({"id": pid, "source": "unit tiny-CLIP text embedding of memory caption",
                             "memory_index": row, "text": memory_texts[row], "prefix": _f32_list(p)})
            cases += [{"prefix_id": pid, **c} for c in cs]
            added += 1
            k += 1
        row += step
    log(f"decoder golden: {len(prefixes)} prefixes ({redrawn} random prefixes re-drawn, {skipped} memory rows "
        f"skipped for margins), {len(cases)} cases")
    return prefixes, cases


def pipeline_golden(clip, model, vocab, tokenizer, shared: Path, memory_ids, memory_unit, captions):
    from decap_tools.clip_export import encode_preprocessed, load_preprocessed
    images = sorted(p.name for p in (shared / "images").glob("*.jpg"))
    mem_t = torch.from_numpy(memory_unit)
    out = []
    for name in images:
        stem = name[:-len(".jpg")]
        rel = f"golden/preprocessed/{stem}_224.f32"
        emb = encode_preprocessed(clip, load_preprocessed(shared / rel)[None])[0].astype(np.float32)
        v = torch.from_numpy(emb)
        v = v / v.norm()
        sims = mem_t @ v
        w = torch.softmax(sims / TAU, dim=0)
        proj = (w.unsqueeze(1) * mem_t).sum(0)
        proj = proj / proj.norm()
        top = torch.topk(w, 5)
        p = proj.numpy().astype(np.float32)
        h = search.greedy(search.NoCacheSource(model, p), vocab)
        best = int(torch.argmax(sims))
        out.append({"image": f"images/{name}", "preprocessed": rel, "image_embedding": _f32_list(emb),
                    "image_embedding_unit": _f32_list(v.numpy()), "projected": _f32_list(p),
                    "top5": [{"index": int(i), "weight": _f32(float(x)), "similarity": _f32(float(sims[i])),
                              "caption": captions[int(i)]} for x, i in zip(top.values, top.indices)],
                    "nearest": {"index": best, "caption": captions[best]},
                    "greedy": hypothesis_json(h, vocab, tokenizer)})
        if h.min_margin < GREEDY_MARGIN:
            log(f"warning: pipeline image {name}: greedy margin {h.min_margin:.2e} < {GREEDY_MARGIN}")
    row_sums = memory_unit.astype(np.float64).sum(1)
    return {
        "memory": {
            "source": "../shared/data/coco/captions_val2017.json",
            "selection": f"the first {MEMORY_SIZE} entries of \"annotations\" in file order, field \"caption\"",
            "count": MEMORY_SIZE,
            "tokenizer": "CLIP BPE (tools/decap_tools/clip_tokenizer.py), 77-token form",
            "encoder": "fixtures/tiny/text_encoder.onnx, then L2-normalised (float32)",
            "first_captions": captions[:20],
            "first_token_ids": [list(map(int, r)) for r in memory_ids[:20]],
            "first_rows": [_f32_list(r) for r in memory_unit[:3]],
            "row_sums": [float(x) for x in row_sums],
            "row_sums_note": "sum of each unit row's 64 float32 values, accumulated in float64",
        },
        "projection": {"tau": TAU, "formula": "w = softmax(m.v / tau); p = normalize(sum_i w_i m_i)",
                       "image_encoder": "fixtures/tiny/image_encoder.onnx on the preprocessed tensor"},
        "decoding": {"search": "greedy", "mask": True, "max_tokens": 30, "min_tokens": 0,
                     "bundle": "fixtures/tiny"},
        "images": out,
    }


# ------------------------------------------------------------------------------------------ official layout
def official_layout_fixture(out: Path, tokenizer, seed: int, verify: bool):
    """A random decoder in the official checkpoint layout (50257 outputs, GPT-2 buffers, tied head), converted
    by convert_checkpoint.py, plus its greedy golden. Width 4 keeps the file under 1 MB."""
    import convert_checkpoint
    cfg = DecoderConfig(prefix_dim=64, width=4, layers=1, heads=2, vocab_size=50257, max_positions=1024)
    model = DeCapDecoder(cfg).init_random(seed + 31)
    high = list(range(search.TOKENIZER_VOCAB_SIZE, cfg.vocab_size))
    rng = np.random.default_rng(seed + 33)
    boosted = [int(x) for x in rng.choice(high, 40, replace=False)]
    shape_random_decoder(model, seed + 31, search.EOT_TOKENIZER_ID, boosted=boosted, kt=3.0, kp=3.0, kc=20.0,
                         kw=5.0, gain=6.0, eot_bias=1.0)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "random_official_layout.pt"
        torch.save(official_state_dict(model), ckpt)
        r = convert_checkpoint.convert(ckpt, out / "official-layout", heads=cfg.heads, name="official-layout-random",
                                       verify=verify, log=log)
    loaded = r["model"]
    vocab = search.Vocabulary(cfg.vocab_size)
    rng = np.random.default_rng(seed + 35)
    cases, prefixes = [], []
    with_high = 0
    while len(prefixes) < 8:
        p = rng.standard_normal(cfg.prefix_dim).astype(np.float32)
        p = (p / np.linalg.norm(p)).astype(np.float32)
        hm = search.greedy(search.NoCacheSource(loaded, p), vocab, search.DecodeOptions(mask=True))
        hn = search.greedy(search.NoCacheSource(loaded, p), vocab, search.DecodeOptions(mask=False))
        if min(hm.min_margin, hn.min_margin) < GREEDY_MARGIN:
            continue
        uses_high = any(d >= search.TOKENIZER_VOCAB_SIZE for d in hn.decoder_ids)
        if not uses_high and with_high < 4 and len(prefixes) >= 4:
            continue
        with_high += uses_high
        pid = f"random-{len(prefixes)}"
        prefixes.append({"id": pid, "prefix": _f32_list(p)})
        for mask, h in ((True, hm), (False, hn)):
            cases.append({"prefix_id": pid, "search": "greedy", "mask": mask, "min_tokens": 0, "max_tokens": 30,
                          "result": hypothesis_json(h, vocab, tokenizer)})
    log(f"official-layout golden: {len(prefixes)} prefixes, {with_high} unmasked captions use ids >= 49408")
    golden = {"bundle": "fixtures/official-layout", "created_by": f"tools/make_fixtures.py --seed {seed}",
              "checkpoint": "random state dict in the official layout (torch.save(model.state_dict()), GPT-2 "
                            "attn.bias/masked_bias buffers, tied lm_head), converted by tools/convert_checkpoint.py",
              "vocab_map": None, "note": "no vocab map: decoder id = tokenizer id; masking removes ids >= 49408; "
                                         "unmasked results may contain them (token_ids -1, text null)",
              "prefixes": prefixes, "cases": cases}
    return golden, r


# ------------------------------------------------------------------------------------------ verification
def replay_in_ort(onnx_path, model, vocab, prefixes, cases, beam_sample: int = 24):
    """Replays golden cases through decoder.onnx in ONNX Runtime Java; tokens must be identical."""
    by_id = {p["id"]: np.asarray(p["prefix"], np.float32) for p in prefixes}
    cfg = model.cfg
    n_greedy = n_beam = 0
    worst = 0.0
    beams = [c for c in cases if c["search"] == "beam"]
    sample = set(id(c) for c in beams[::max(1, len(beams) // beam_sample)])
    for c in cases:
        if c["search"] == "beam" and id(c) not in sample:
            continue
        src = search.OrtSource(onnx_path, by_id[c["prefix_id"]], cfg.layers, cfg.heads, cfg.head_dim)
        opts = search.DecodeOptions(max_tokens=c["max_tokens"], min_tokens=c["min_tokens"], mask=c["mask"])
        if c["search"] == "greedy":
            h = search.greedy(src, vocab, opts)
            n_greedy += 1
        else:
            h = search.beam_search(src, vocab, c["beam_width"], c["length_penalty"], opts)
            n_beam += 1
        if h.decoder_ids != c["result"]["decoder_ids"]:
            raise AssertionError(f"ORT replay of {c}: tokens {h.decoder_ids}")
        worst = max(worst, float(np.max(np.abs(np.asarray(h.logprobs) - np.asarray(c["result"]["logprobs"])))))
    log(f"ORT replay: {n_greedy} greedy and {n_beam} beam cases give identical tokens; log-prob max abs diff "
        f"{worst:.3g}")
    return {"greedy_cases": n_greedy, "beam_cases": n_beam, "logprob_max_abs_diff": worst}


def check_cached_equals_notebook(model, vocab, prefixes, cases):
    """The PyTorch KV-cache path (what decoder.onnx computes) must reproduce the notebook path."""
    by_id = {p["id"]: np.asarray(p["prefix"], np.float32) for p in prefixes}
    n = 0
    for c in cases:
        if c["search"] != "greedy" and n % 3:
            n += 1
            continue
        opts = search.DecodeOptions(max_tokens=c["max_tokens"], min_tokens=c["min_tokens"], mask=c["mask"])
        src = search.CachedSource(model, by_id[c["prefix_id"]])
        h = (search.greedy(src, vocab, opts) if c["search"] == "greedy"
             else search.beam_search(src, vocab, c["beam_width"], c["length_penalty"], opts))
        if h.decoder_ids != c["result"]["decoder_ids"]:
            raise AssertionError(f"KV-cached PyTorch differs from the notebook path on {c}")
        n += 1
    log(f"KV-cached PyTorch search equals the notebook search on {n} cases")


# ------------------------------------------------------------------------------------------ main
FIXTURES_README = """# Test fixtures (generated; do not edit)

Tiny random models and PyTorch golden outputs for the Java parity tests. Every file here is written by one
command, run from the repository root (Debian: `apt-get install -y python3-torch python3-torchvision python3-onnx
python3-regex libopenblas0-pthread`; `../shared/data` beside the repository):

    /usr/bin/python3 tools/make_fixtures.py --seed {seed}

Check that a fresh run reproduces these files: `/usr/bin/python3 tools/test_fixtures.py`.
Contents and golden formats: `tools/README.md`; bundle format: `docs/model-bundle.md`.

- `tiny/`: a complete bundle (decap-layout CLIP towers, decoder with a 4096-id vocabulary map).
- `layouts/hf/`, `layouts/xenova/`: tiny CLIP towers with Hugging Face (optimum) and Xenova I/O names.
- `official-layout/`: a decoder-only bundle converted by `tools/convert_checkpoint.py` from a random state dict in
  the official DeCap checkpoint layout.
- `golden/`: embeddings, greedy/beam decoding and full-pipeline references from the PyTorch implementation.
"""


def make_fixtures(out: Path, seed: int = 0, shared: Path = None, verify: bool = True) -> dict:
    from decap_tools.clip_export import dump_json, encode_texts, make_clip_fixtures
    from decap_tools.clip_tokenizer import ClipTokenizer
    torch.set_num_threads(1)  # tiny models: one thread is fastest and keeps results reproducible
    out = Path(out)
    shared = Path(shared) if shared else ROOT.parent / "shared" / "data"
    if not (shared / "coco" / "captions_val2017.json").is_file():
        raise FileNotFoundError(f"{shared}/coco/captions_val2017.json not found: pass --shared ../shared/data")
    tiny = out / "tiny"
    tiny.mkdir(parents=True, exist_ok=True)
    (out / "golden").mkdir(parents=True, exist_ok=True)

    # CLIP side (tiny towers, layouts, CLIP goldens)
    clip_r = make_clip_fixtures(out, seed=seed, shared_dir=shared, verify=verify, log=log)
    clip = clip_r["clip"].eval()
    dim = clip_r["embedding_dim"]

    tokenizer = ClipTokenizer(str(shared / "clip" / "bpe_simple_vocab_16e6.txt.gz"))
    anns = json.loads((shared / "coco" / "captions_val2017.json").read_text())["annotations"]
    captions = [a["caption"] for a in anns[:MEMORY_SIZE]]
    memory_ids = tokenizer.tokenize_batch(captions)
    mem = encode_texts(clip, memory_ids)
    memory_unit = (mem / np.linalg.norm(mem, axis=1, keepdims=True)).astype(np.float32)

    # tiny decoder + vocabulary map
    ids, used = build_vocab_map(tokenizer, captions, TINY_VOCAB, TINY_MASKED, seed)
    vocab_map = fill_vocab(ids, [a["caption"] for a in anns[MEMORY_SIZE:]], tokenizer, TINY_VOCAB, TINY_MASKED,
                           seed)
    vocab = search.Vocabulary(TINY_VOCAB, vocab_map)
    masked_ids = [j for j, t in enumerate(vocab_map) if t < 0]
    cfg = DecoderConfig(prefix_dim=dim, width=64, layers=2, heads=2, vocab_size=TINY_VOCAB, max_positions=40)
    model = shape_random_decoder(DeCapDecoder(cfg).init_random(seed), seed, vocab.eot_decoder_id,
                                 boosted=masked_ids)
    vm_path = tiny / "vocab_map.json"
    vm_path.write_text(json.dumps(vocab_map) + "\n")
    dec_path = export_decoder(model, tiny / "decoder.onnx")
    log(f"tiny decoder: {json.dumps(cfg.to_dict())}; vocab map: {used} ids from the memory captions, "
        f"{TINY_MASKED} masked, EOT = decoder id {vocab.eot_decoder_id}")
    verification = {"clip": clip_r["verification"]}
    if verify:
        verification["tiny_decoder_export"] = verify_decoder_onnx(model, dec_path, vocab, seed=seed, log=log)
    files = {"decoder": dec_path, "image_encoder": clip_r["files"]["image_encoder"],
             "text_encoder": clip_r["files"]["text_encoder"], "vocab_map": vm_path}
    bundle.write_manifest(
        tiny, name="tiny-random",
        description="Tiny random DeCap bundle for tests: random CLIP towers (decap layout) and a random decoder "
                    "with a restricted 4096-id vocabulary (8 ids map to -1). Captions are meaningless.",
        created_by=f"tools/make_fixtures.py --seed {seed}", files=files, embedding_dim=dim,
        decoder=bundle.decoder_section(cfg, "vocab_map"), clip=clip_r["manifest_clip"])

    # decoder golden
    prefixes, cases = decoder_golden(model, vocab, tokenizer, memory_unit, captions, seed)
    check_cached_equals_notebook(model, vocab, prefixes, cases)
    if verify:
        verification["tiny_decoder_replay"] = replay_in_ort(dec_path, model, vocab, prefixes, cases)
    dump_json({"bundle": "fixtures/tiny", "created_by": f"tools/make_fixtures.py --seed {seed}",
               "reference": "PyTorch, notebook computation (full sequence re-run each step, no cache), float32",
               "semantics": "SPEC 'Decoding semantics'; see tools/README.md",
               "eot_token_id": 49407, "eot_decoder_id": vocab.eot_decoder_id, "masked_decoder_ids": masked_ids,
               "greedy_margin_threshold": GREEDY_MARGIN, "beam_margin_threshold": BEAM_MARGIN,
               "prefixes": prefixes, "cases": cases}, out / "golden" / "decoder_tiny.json")

    # pipeline golden
    pipe = pipeline_golden(clip, model, vocab, tokenizer, shared, memory_ids, memory_unit, captions)
    if verify:
        for img in pipe["images"]:
            src = search.OrtSource(dec_path, np.asarray(img["projected"], np.float32), cfg.layers, cfg.heads,
                                   cfg.head_dim)
            if search.greedy(src, vocab).decoder_ids != img["greedy"]["decoder_ids"]:
                raise AssertionError(f"pipeline {img['image']}: ORT greedy differs from PyTorch")
        log(f"pipeline golden: ORT greedy equals PyTorch on {len(pipe['images'])} images")
    dump_json({"bundle": "fixtures/tiny", "created_by": f"tools/make_fixtures.py --seed {seed}", **pipe},
              out / "golden" / "pipeline_tiny.json")

    # official layout (convert_checkpoint round trip)
    og, conv = official_layout_fixture(out, tokenizer, seed, verify)
    if verify:
        verification["official_layout_export"] = conv["verification"]
        verification["official_layout_replay"] = replay_in_ort(
            out / "official-layout" / "decoder.onnx", conv["model"], search.Vocabulary(50257), og["prefixes"],
            og["cases"])
    dump_json(og, out / "golden" / "decoder_official_layout.json")

    (out / "README.md").write_text(FIXTURES_README.format(seed=seed))
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    log(f"fixtures written under {out}: {total} bytes in all")
    return {"verification": verification, "total_bytes": total}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="fixtures root (default: decap-onnx test resources)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shared", help="reference data dir (default ../shared/data beside the repository)")
    ap.add_argument("--no-verify", action="store_true", help="skip ONNX Runtime Java checks")
    args = ap.parse_args(argv)
    make_fixtures(Path(args.out), seed=args.seed, shared=Path(args.shared) if args.shared else None,
                  verify=not args.no_verify)


if __name__ == "__main__":
    main()
