#!/usr/bin/python3
"""Writes the word-tokenizer parity golden ``tools/miniature/tokenizer_cases.jsonl`` (and ``vocab.txt`` beside it).

One JSON object per line: ``{"text": ..., "ids": encode(text), "context_length": 24,
"context_ids": encodeContext(text, 24), "decoded": decode(ids), "decoded_context": decode(context_ids)}``,
computed by :mod:`decap_tools.word_tokenizer` over the miniature vocabulary. Cases: world captions (every frame,
with and without sizes and periods) and edge cases (case folding, NFC, unknown words, punctuation runs, digits,
Unicode spaces, combining marks, truncation, empty text).

Usage: /usr/bin/python3 tools/miniature/tokenizer_cases.py [--out tools/miniature/tokenizer_cases.jsonl]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import world  # noqa: E402
import train_clip  # noqa: E402

EDGE = [
    "", " ", "\t\n", "A RED CIRCLE", "A Red Circle To The Left Of A Blue Square.",
    "a red circle.", "a red circle .", "a red circle...", "a red circle , a blue square", "red,blue;green",
    "a red-circle", "the (big) blue square!", "it's a red circle", "a  red   circle", " leading and trailing ",
    "a red circle\nbelow a blue square", "tabs\tbetween\twords",
    "a crimson circle", "a red hexagon", "two red circles", "r2d2 and c3po", "42", "3.14", "a 7px circle",
    "caf\u00e9", "cafe\u0301", "CAFE\u0301", "\u00c9COLE", "na\u00efve", "stra\u00dfe", "STRASSE",
    "\u0130stanbul", "I\u0307", "\u03a3\u0391\u03a3", "\u041a\u0420\u0410\u0421\u041d\u042b\u0419 \u043a\u0440\u0443\u0433",
    "\u7ea2\u8272\u5706\u5f62", "\u7ea2 \u8272", "red\u00a0circle", "red\u3000circle", "red\u2003circle",
    "red\u200bcircle", "red\u0085circle", "a red circle \U0001F600", "\U0001F534 red", "emoji\u2764\ufe0f",
    "a\u0301", "\u0301a", "x\u0308\u0301", "\ufb01ne", "\u2460 circle", "\u00bd", "\u2163 squares",
    "<|startoftext|>", "<|endoftext|>", "<pad>", "<unk>", "red<unk>circle", "a red circle <|endoftext|>",
    "@#$%", "a -- b", "\"quoted\" red", "\u00abred\u00bb", "red\u2014blue", "red\u2019s",
    "left of above below to the right", ". . .", ".red", "red.", "a.b.c",
    " ".join(["red"] * 30), " ".join(["a red circle to the left of a blue square"] * 3),
    "a small red circle to the left of a large blue square to the right of a tiny green triangle .",
]


def cases(tok, context_length: int, seed: int = 0, world_cases: int = 300):
    rng = random.Random(seed)
    texts = list(EDGE)
    seen = set(texts)
    s = 0
    while len(texts) < len(EDGE) + world_cases:
        sc = world.sample_scene(world.SPLITS["samples"] + 900_000 + s)
        s += 1
        c = world.caption(sc, rng)
        if rng.random() < 0.15:
            c = c.upper() if rng.random() < 0.5 else c.capitalize()
        if c not in seen:
            seen.add(c)
            texts.append(c)
    for t in texts:
        ids = tok.encode(t)
        ctx = tok.encode_context(t, context_length)
        yield {"text": t, "ids": ids, "context_length": context_length, "context_ids": ctx,
               "decoded": tok.decode(ids), "decoded_context": tok.decode(ctx)}


def write(out, tok=None, context_length: int = train_clip.CONTEXT_LENGTH) -> Path:
    tok = tok or train_clip.world_tokenizer()
    out = Path(out)
    with open(out, "w", encoding="utf-8") as f:
        for c in cases(tok, context_length):
            f.write(json.dumps(c, ensure_ascii=True) + "\n")  # \u escapes: no raw U+0085/U+2028 inside lines
    tok.save(out.parent / "vocab.txt")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(HERE / "tokenizer_cases.jsonl"))
    args = ap.parse_args(argv)
    p = write(args.out)
    print(f"wrote {p} and {p.parent / 'vocab.txt'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
