#!/usr/bin/python3
"""Python-side evaluation of the miniature model (PyTorch reference; the Java evaluation is the official one).

On held-out images of the ``eval`` seed split (rendered as the contract says, Pillow without antialiasing, and
optionally with the training-time rasteriser variants), four strategies, greedy decoding:

* ``pd``: projection onto the memory corpus (w = softmax(M v / tau), tau 0.01; p = normalize(w M)), decoded;
* ``nnd``: the nearest memory caption's embedding, decoded;
* ``visual``: the image embedding itself, decoded (the modality gap makes this the weak one);
* ``retrieval``: the nearest memory caption, verbatim.

With ``--styled`` also on the training-time rasteriser variants (``styled``) and on an independent
centre-sampled rasteriser (``centre_sampled``, :func:`world.render_centre_sampled`, Java2D-like, never used in
training).

Facts are read from captions with ``world.parse_caption`` (docs/miniature-world.md). Reported per strategy:
``single_colour_shape`` (one-object scenes: colour and shape right), ``pair_full`` (two-object scenes: both
colour-shape pairs and the relation right), ``all_facts`` (every stated fact right, sizes included, object
count right), ``size`` (share of stated sizes that are right), ``parse_fail``.

Usage: /usr/bin/python3 tools/miniature/evaluate.py --clip-dir DIR --decoder PT --memory memory.txt
           [--count 600] [--styled] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.nn import functional as F  # noqa: E402

import world  # noqa: E402
import train_clip  # noqa: E402
from decap_tools.decoder_model import load_official_state_dict  # noqa: E402

STRATEGIES = ("pd", "nnd", "visual", "retrieval")


@torch.no_grad()
def greedy_batch(decoder, prefixes: torch.Tensor, eot: int, max_tokens: int):
    """Greedy decoding of many prefixes at once (no cache; the official notebook's computation)."""
    b = prefixes.shape[0]
    toks = torch.zeros(b, 0, dtype=torch.long)
    done = torch.zeros(b, dtype=torch.bool)
    for _ in range(max_tokens):
        nxt = decoder.logits_no_cache(prefixes, toks).argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, eot), nxt)
        toks = torch.cat([toks, nxt[:, None]], 1)
        done |= nxt == eot
        if bool(done.all()):
            break
    out = []
    for row in toks.tolist():
        out.append(row[:row.index(eot)] if eot in row else row)
    return out


def score(caps, scenes) -> dict:
    single = [0, 0]
    pair = [0, 0]
    allf = [0, 0]
    size = [0, 0]
    fails = 0
    for c, sc in zip(caps, scenes):
        sp = world.parse_caption(c)
        allf[1] += 1
        n = len(sc.objects)
        (single if n == 1 else pair)[1] += 1
        if sp is None:
            fails += 1
            continue
        if len(sp.mentions) == n:
            bare = world.CaptionSpec(tuple(world.Mention(m.colour, m.shape, None) for m in sp.mentions),
                                     sp.relation, 0, sp.articles, sp.size_words, False)
            if world.consistent(bare, sc):
                (single if n == 1 else pair)[0] += 1
            if world.consistent(sp, sc):
                allf[0] += 1
            # sizes: a stated size is right when the mention's object (by colour) has it
            by_colour = {o.colour: o for o in sc.objects}
            for m in sp.mentions:
                if m.size is not None and m.colour in by_colour:
                    size[1] += 1
                    size[0] += by_colour[m.colour].size == m.size
    return {"single_colour_shape": single[0] / max(1, single[1]), "pair_full": pair[0] / max(1, pair[1]),
            "all_facts": allf[0] / max(1, allf[1]), "size": size[0] / max(1, size[1]),
            "parse_fail": fails / max(1, allf[1]), "singles": single[1], "pairs": pair[1]}


@torch.no_grad()
def evaluate(clip, tok, decoder, memory, count: int = 600, styled: bool = False, tau: float = 0.01,
             start: int = 0, max_tokens: int = 24, examples: int = 0) -> dict:
    seeds = world.scene_seeds("eval", count, start=start)
    imgs, scenes = train_clip.render_pool(seeds, styled=styled, style_seed=12345)
    enc = train_clip.Encoder(tok, clip.cfg.context_length)
    mem = torch.cat([clip.encode_text(enc(memory[i:i + 512])) for i in range(0, len(memory), 512)])
    mem = F.normalize(mem, dim=-1)
    v = torch.cat([clip.encode_image(train_clip.to_pixels(imgs[i:i + 256])) for i in range(0, len(imgs), 256)])
    v = F.normalize(v, dim=-1)
    sims = v @ mem.T
    w = torch.softmax(sims / tau, dim=-1)
    pd = F.normalize(w @ mem, dim=-1)
    nn_idx = sims.argmax(1)
    prefixes = {"pd": pd, "nnd": mem[nn_idx], "visual": v}
    result = {}
    captions = {}
    for name, p in prefixes.items():
        caps = []
        for i in range(0, len(p), 200):
            caps += [tok.decode(ids) for ids in greedy_batch(decoder, p[i:i + 200], tok.eot_id, max_tokens)]
        captions[name] = caps
    captions["retrieval"] = [memory[i] for i in nn_idx.tolist()]
    for name in STRATEGIES:
        result[name] = score(captions[name], scenes)
    if examples:
        result["examples"] = [{"seed": sc.seed, "truth": world.captions_of(sc, 1)[0],
                               **{k: captions[k][i] for k in STRATEGIES}} for i, sc in enumerate(scenes[:examples])]
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clip-dir", required=True)
    ap.add_argument("--decoder", required=True, help="official-layout decoder state dict (.pt)")
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--memory", required=True, help="memory corpus, one caption per line")
    ap.add_argument("--count", type=int, default=600)
    ap.add_argument("--styled", action="store_true", help="also evaluate rasteriser variants (AA, edges, noise)")
    ap.add_argument("--examples", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="write the results here too")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    clip, tok = train_clip.load(args.clip_dir)
    decoder = load_official_state_dict(torch.load(args.decoder, map_location="cpu"), heads=args.heads)
    memory = [l.strip() for l in Path(args.memory).read_text(encoding="utf-8").splitlines() if l.strip()]
    res = {"count": args.count, "tau": 0.01, "plain": evaluate(clip, tok, decoder, memory, args.count,
                                                                examples=args.examples)}
    if args.styled:
        res["styled"] = evaluate(clip, tok, decoder, memory, args.count, styled=True)
        res["centre_sampled"] = evaluate(clip, tok, decoder, memory, args.count, styled="centre")
    text = json.dumps(res, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
