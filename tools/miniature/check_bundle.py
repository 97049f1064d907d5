#!/usr/bin/python3
"""Runs the shipped miniature bundle entirely in ONNX Runtime Java (tools/OrtRun.java) and captions images with
PD (tau 0.01, greedy), as the Java library will: PNG -> pixels (/255, mean/std of the manifest) ->
image_encoder.onnx; memory.txt -> word tokenizer (vocab.txt) -> text_encoder.onnx; projection; decoder.onnx
with its KV cache (decap_tools.search.OrtSource). Prints one JSON line per image and a summary of fact accuracy.

Usage: /usr/bin/python3 tools/miniature/check_bundle.py [--images docs/samples] [--eval 100]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import world  # noqa: E402
from decap_tools import bundle, ort, search  # noqa: E402
from decap_tools.word_tokenizer import WordTokenizer  # noqa: E402

BUNDLE = ROOT / "decap-miniature/src/main/resources/dev/decap/miniature/bundle"
MEMORY = BUNDLE.parent / "memory.txt"


def check(bundle_dir=BUNDLE, memory=MEMORY, images=ROOT / "docs/samples", eval_count: int = 100) -> dict:
    """{"samples": [{"image", "caption", "correct"}], "summary": {...}} (see the module doc)."""
    b = Path(bundle_dir)
    m = bundle.read_manifest(b)
    tok = WordTokenizer.load(b / m["tokenizer"]["vocabulary"])
    n = m["clip"]["context_length"]
    mean = np.array(m["clip"]["mean"], np.float32).reshape(1, 3, 1, 1)
    std = np.array(m["clip"]["std"], np.float32).reshape(1, 3, 1, 1)
    mem_txt = [l for l in Path(memory).read_text(encoding="utf-8").split("\n") if l]
    ids = np.array([tok.encode_context(t, n) for t in mem_txt], np.int64)
    mem = np.concatenate([ort.run(b / "text_encoder.onnx", {"input_ids": ids[i:i + 1024]})["text_embeds"]
                          for i in range(0, len(ids), 1024)])
    mem /= np.linalg.norm(mem, axis=1, keepdims=True)
    d = m["decoder"]
    vocab = search.Vocabulary(d["vocab_size"], None, tokenizer_vocab_size=m["tokenizer"]["vocab_size"],
                              eot_id=m["generation"]["eot_id"])
    opts = search.DecodeOptions(max_tokens=m["generation"]["max_tokens"])

    def caption(pngs):
        px = np.stack([np.asarray(p.convert("RGB"), np.float32).transpose(2, 0, 1) / 255.0 for p in pngs])
        v = ort.run(b / "image_encoder.onnx", {"pixel_values": ((px - mean) / std).astype(np.float32)})["image_embeds"]
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        s = v @ mem.T / 0.01
        w = np.exp(s - s.max(1, keepdims=True))
        w /= w.sum(1, keepdims=True)
        p = w @ mem
        p /= np.linalg.norm(p, axis=1, keepdims=True)
        out = []
        for row in p.astype(np.float32):
            h = search.greedy(search.OrtSource(b / "decoder.onnx", row, d["layers"], d["heads"],
                                               d["width"] // d["heads"]), vocab, opts)
            out.append(tok.decode(h.decoder_ids))
        return out

    folder = Path(images)
    scenes = json.loads((folder / "scenes.json").read_text())["scenes"]
    caps = caption([Image.open(folder / s["image"]) for s in scenes])
    right = 0
    rows = []
    for s, c in zip(scenes, caps):
        sc = world.Scene(s["seed"], tuple(s["background"]), tuple(
            world.Obj(o["shape"], o["colour"], o["size"], o["cx"], o["cy"]) for o in s["objects"]), s["relation"])
        sp = world.parse_caption(c)
        ok = sp is not None and world.consistent(sp, sc)
        right += ok
        rows.append({"image": s["image"], "caption": c, "correct": ok})
    summary = {"samples": len(scenes), "samples_correct": right}
    if eval_count:
        sc = [world.sample_scene(x) for x in world.scene_seeds("eval", eval_count)]
        caps = caption([world.render(x) for x in sc])
        summary["eval"] = eval_count
        summary["eval_all_facts_correct"] = sum(
            (lambda sp, x: sp is not None and world.consistent(sp, x))(world.parse_caption(c), x)
            for c, x in zip(caps, sc)) / eval_count
    return {"samples": rows, "summary": summary}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", default=str(BUNDLE))
    ap.add_argument("--memory", default=str(MEMORY))
    ap.add_argument("--images", default=str(ROOT / "docs/samples"), help="folder with PNGs and scenes.json")
    ap.add_argument("--eval", type=int, default=100, help="also caption this many eval-split scenes")
    args = ap.parse_args(argv)
    r = check(args.bundle, args.memory, args.images, args.eval)
    for row in r["samples"]:
        print(json.dumps(row))
    print(json.dumps(r["summary"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
