#!/usr/bin/python3
"""Builds the shipped miniature model in one command, with fixed seeds, on 2 CPU threads.

    /usr/bin/python3 tools/miniature/build_all.py

Stages (intermediate files in ``--work``, default ``tools/out/miniature``, not committed):

1. decoder-training text: captions of the ``decoder`` seed split; memory corpus (``memory`` split, every
   colour/shape/size/relation combination) -> ``memory.txt``;
2. tiny CLIP (``train_clip.py``), contrastive with hard negatives, on images of the ``clip`` split;
3. text-only decoder + bundle (``tools/train_decoder.py --with-towers``: official-layout decoder, converted with
   ``convert_checkpoint.convert``, CLIP towers exported in the decap layout, all verified in ONNX Runtime Java);
4. Python-side evaluation on held-out ``eval`` images (``evaluate.py``);
5. tokenizer golden (``tokenizer_cases.py``), sample images ``docs/samples/`` + ``scenes.json``, and the
   resources' ``README.md`` with the command, seeds, measured times and accuracy.

Output: ``decap-miniature/src/main/resources/dev/decap/miniature/{bundle/, memory.txt, README.md}``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import world  # noqa: E402

RESOURCES = ROOT / "decap-miniature/src/main/resources/dev/decap/miniature"
PY = "/usr/bin/python3"

#: Everything that determines the model (the README records it).
SETTINGS = {
    "decoder_scenes": 60000, "decoder_captions_per_scene": 1,
    "clip": {"steps": 1000, "batch": 128, "images": 30000, "negatives": 3, "lr": 2e-3, "embed_dim": 64, "seed": 0},
    "decoder": {"epochs": 5, "batch": 256, "lr": 2e-3, "width": 128, "layers": 2, "heads": 4, "max_length": 24,
                "seed": 0, "noise_std": 0.0},
    "eval_count": 600,
}


def _arg(c) -> str:
    """Paths inside the repository as repository-relative text (the commands run in the repository root, and
    the bundle's ``created_by`` then reads the same on every machine)."""
    if isinstance(c, Path):
        try:
            return os.path.relpath(c.resolve(), ROOT) if c.resolve().is_relative_to(ROOT) else str(c)
        except ValueError:
            return str(c)
    return str(c)


#: tools/quantize_bundle.py arguments of the shipped variants (both meet the accuracy targets of docs/performance.md,
#: "Quantized bundles"): int8 with float32 arithmetic; int4 by GPTQ (calibrated on the memory captions, blocks of 16)
#: with 8 bits (blocks of 32) for the tied embedding / LM head and block 0's attention and MLP input projection
QUANTIZED_VARIANTS = (["--decoder", "int8", "--image", "int8", "--accuracy-level", "0"],
                      ["--decoder", "int4", "--tied-bits", "8", "--accuracy-level", "0", "--block-size", "16",
                       "--int8-block-size", "32", "--int8-nodes", r"h\.0/attn|h\.0/mlp/c_fc",
                       "--gptq", RESOURCES / "memory.txt", "--gptq-act-order"])


def run(cmd, log, **kw):
    cmd = [_arg(c) for c in cmd]
    log("$ " + " ".join(cmd))
    t = time.time()
    subprocess.run(cmd, check=True, cwd=ROOT, **kw)
    return time.time() - t


def samples(out_dir: Path) -> list:
    """8 sample images from the ``samples`` split: the first three one-object scenes and the first five
    two-object scenes whose objects do not touch."""
    out_dir.mkdir(parents=True, exist_ok=True)
    singles, pairs = [], []
    s = world.SPLITS["samples"]
    while len(singles) < 3 or len(pairs) < 5:
        sc = world.sample_scene(s)
        s += 1
        if len(sc.objects) == 1:
            singles.append(sc)
            continue
        a, b = sc.objects
        if max(abs(a.cx - b.cx), abs(a.cy - b.cy)) >= a.r + b.r + 2:  # README pictures: objects apart
            pairs.append(sc)
    chosen = singles[:3] + pairs[:5]
    rows = []
    for i, sc in enumerate(chosen, 1):
        name = f"sample_{i}.png"
        world.render(sc).save(out_dir / name)
        rows.append({"image": name, **sc.to_dict(), "captions": world.captions_of(sc, 5)})
    (out_dir / "scenes.json").write_text(json.dumps({
        "created_by": "tools/miniature/build_all.py (world.render, Pillow, no antialiasing; the first 3 one-object "
                      "and the first 5 two-object scenes of the samples split whose objects do not touch)",
        "relation_meaning": "objects[0] relative to objects[1]", "scenes": rows}, indent=2) + "\n")
    return rows


def readme(report: dict) -> str:
    s = report["settings"]
    t = report["seconds"]
    ev = report["evaluation"]

    def row(name, r):
        return (f"| {name} | {100 * r['single_colour_shape']:.1f} % | {100 * r['pair_full']:.1f} % | "
                f"{100 * r['all_facts']:.1f} % | {100 * r['size']:.1f} % |")

    lines = [
        "# decap-miniature: a DeCap model trained here",
        "",
        "A tiny CLIP and a text-only DeCap decoder for the miniature world of `docs/miniature-world.md`",
        "(64x64 images of one or two coloured shapes). Everything here was generated and trained on this",
        "machine by one command; no downloaded weights.",
        "",
        "## Files",
        "- `bundle/`: `decap-bundle.json`, `image_encoder.onnx` (CNN, input `[batch,3,64,64]`),",
        "  `text_encoder.onnx` (transformer, `input_ids [batch,24]`), `decoder.onnx` (GPT-2, KV cache),",
        "  `vocab.txt` (word tokenizer, docs/model-bundle.md). Preprocessing: 64x64, mean/std 0.5/0.25.",
        "  Quantized variants (`tools/quantize_bundle.py --as-variants`, chosen with `OnnxOptions.precision`):",
        "  `decoder-int8.onnx` + `image_encoder-int8.onnx` (int8) and `decoder-int4.onnx` (int4 by GPTQ on",
        "  `memory.txt`, with the tied table and block 0's attention and MLP input projection at 8 bits); accuracy in",
        "  docs/performance.md (\"Quantized bundles\").",
        f"- `memory.txt`: the memory corpus, {report['memory_captions']} captions (every colour x shape x size",
        "  single object and every ordered colour/shape pair x relation), from the `memory` seed split,",
        "  disjoint from the decoder's training text.",
        "",
        "## How it was made",
        "```",
        "/usr/bin/python3 tools/miniature/build_all.py",
        "```",
        f"2 CPU threads (`torch.set_num_threads(2)`); measured on this machine (2 cores shared with other work):",
        f"total {t['total'] / 60:.1f} min (CLIP {t['clip'] / 60:.1f} min, decoder + export + ORT checks "
        f"{t['decoder'] / 60:.1f} min, evaluation {t['eval'] / 60:.1f} min); CPU time (user + system, all "
        f"processes) {t.get('cpu', float('nan')) / 60:.1f} min, so 2 otherwise idle cores need between about "
        f"{t.get('cpu', float('nan')) / 120:.1f} and {t.get('cpu', float('nan')) / 60:.1f} min of wall time.",
        "",
        "Seeds (`tools/miniature/world.py`, `SPLITS`): decoder text = scenes 1000000.."
        f"{1000000 + s['decoder_scenes'] - 1} ({s['decoder_captions_per_scene']} caption each); memory = split 2000000;",
        f"CLIP training images = 3000000..{3000000 + s['clip']['images'] - 1} (rasteriser variants seeded "
        f"{s['clip']['seed']}); Python evaluation = 4000000..{4000000 + s['eval_count'] - 1}; samples = 5000000...",
        "",
        "CLIP: " + ", ".join(f"{k} {v}" for k, v in s["clip"].items()) + ".",
        "Decoder (`tools/train_decoder.py`, text only): " + ", ".join(f"{k} {v}" for k, v in s["decoder"].items()) + ".",
        "",
        f"## Python-side accuracy ({s['eval_count']} held-out eval-seed images, greedy, tau 0.01)",
        "",
        "Facts are read from the generated caption with the grammar of docs/miniature-world.md.",
        "",
        "Contract rendering (Pillow, no antialiasing):",
        "",
        "| strategy | one object: colour+shape | two objects: both pairs + relation | all facts | stated sizes |",
        "|---|---|---|---|---|",
    ]
    lines += [row(k, ev["plain"][k]) for k in ("pd", "nnd", "visual", "retrieval")]
    for key, title in (("styled", "Training-time rasteriser variants (antialiasing on/off, 1 px edges, sub-pixel "
                                  "shifts, colour jitter, noise):"),
                       ("centre_sampled", "An independent centre-sampled rasteriser (Java2D-like fillOval/fillRect/"
                                          "fillPolygon without antialiasing; never used in training):")):
        if key in ev:
            lines += ["", title, "", "| strategy | one object: colour+shape | two objects: both pairs + relation | "
                      "all facts | stated sizes |", "|---|---|---|---|---|"]
            lines += [row(k, ev[key][k]) for k in ("pd", "nnd", "visual", "retrieval")]
    lines += ["", "PD = projection onto the memory (DeCap); NND = decode the nearest memory caption's embedding;",
              "visual = decode the image embedding directly; retrieval = the nearest memory caption verbatim.", ""]
    if "ort_check" in report:
        oc = report["ort_check"]
        lines += ["## The bundle in ONNX Runtime Java (`tools/miniature/check_bundle.py`)", "",
                  "PD, greedy, every model run in ONNX Runtime Java 1.24.1 as the library runs it: "
                  f"{oc['summary']['samples_correct']}/{oc['summary']['samples']} sample images of `docs/samples/` "
                  f"right; {100 * oc['summary']['eval_all_facts_correct']:.1f} % of the first "
                  f"{oc['summary']['eval']} eval-split images right on every fact.", "",
                  "| image | caption | facts right |", "|---|---|---|"]
        lines += [f"| `{r['image']}` | {r['caption']} | {'yes' if r['correct'] else 'no'} |" for r in oc["samples"]]
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default=str(ROOT / "tools/out/miniature"))
    ap.add_argument("--out", default=str(RESOURCES))
    ap.add_argument("--skip-clip", action="store_true", help="reuse WORK/clip (development only)")
    ap.add_argument("--smoke", action="store_true", help="tiny settings to test the pipeline (not the model)")
    args = ap.parse_args(argv)
    if args.smoke:
        SETTINGS.update({"decoder_scenes": 2000, "eval_count": 100})
        SETTINGS["clip"].update({"steps": 20, "images": 1000})
        SETTINGS["decoder"].update({"epochs": 1})
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    work, out = Path(args.work).resolve(), Path(args.out).resolve()
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    s = SETTINGS
    t0 = time.time()
    times = {}

    # 1. corpora
    dec_txt = work / "decoder_captions.txt"
    dec_txt.write_text("\n".join(world.corpus("decoder", s["decoder_scenes"], s["decoder_captions_per_scene"]))
                       + "\n", encoding="utf-8")
    memory = world.memory_corpus()
    (out / "memory.txt").write_text("\n".join(memory) + "\n", encoding="utf-8")
    times["corpora"] = time.time() - t0

    # 2. CLIP
    c = s["clip"]
    clip_dir = work / "clip"
    if args.skip_clip and (clip_dir / "clip.pt").is_file():
        times["clip"] = 0.0
    else:
        times["clip"] = run([PY, HERE / "train_clip.py", "--out", clip_dir, "--steps", c["steps"], "--batch",
                             c["batch"], "--images", c["images"], "--negatives", c["negatives"], "--lr", c["lr"],
                             "--embed-dim", c["embed_dim"], "--seed", c["seed"], "--threads", 2,
                             "--eval-every", max(1, c["steps"] // 3)], log)

    # 3. decoder + bundle
    d = s["decoder"]
    bundle_dir = out / "bundle"
    ckpt = work / "decap-miniature-decoder.pt"
    times["decoder"] = run([PY, ROOT / "tools/train_decoder.py", "--captions", dec_txt, "--clip-dir", clip_dir,
                            "--word-vocab", clip_dir / "vocab.txt", "--with-towers", "--out", bundle_dir,
                            "--name", "decap-miniature", "--checkpoint-out", ckpt, "--epochs", d["epochs"],
                            "--batch", d["batch"], "--lr", d["lr"], "--width", d["width"], "--layers", d["layers"],
                            "--heads", d["heads"], "--max-length", d["max_length"], "--seed", d["seed"],
                            "--noise-std", d["noise_std"], "--threads", 2],
                           log, stdout=open(work / "train_decoder.json", "w"))

    # 4. evaluation
    ev_json = work / "eval.json"
    times["eval"] = run([PY, HERE / "evaluate.py", "--clip-dir", clip_dir, "--decoder", ckpt, "--heads", d["heads"],
                         "--memory", out / "memory.txt", "--count", s["eval_count"], "--styled", "--examples", 12,
                         "--json", ev_json, "--threads", 2], log, stdout=subprocess.DEVNULL)
    times["total"] = time.time() - t0
    import resource
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    me = resource.getrusage(resource.RUSAGE_SELF)
    times["cpu"] = ru.ru_utime + ru.ru_stime + me.ru_utime + me.ru_stime

    # 5. goldens, samples, README
    import tokenizer_cases
    tokenizer_cases.write(HERE / "tokenizer_cases.jsonl")
    samples(ROOT / "docs/samples")
    report = {"settings": s, "seconds": times, "memory_captions": len(memory),
              "evaluation": json.loads(ev_json.read_text()),
              "clip_training": json.loads((clip_dir / "train_clip.json").read_text()),
              "decoder_training": json.loads((work / "train_decoder.json").read_text())}
    # quantized variants beside the float32 files (docs/performance.md, "Quantized bundles"; OnnxOptions.precision)
    for variant in QUANTIZED_VARIANTS:
        run([PY, ROOT / "tools/quantize_bundle.py", bundle_dir, bundle_dir, *variant, "--as-variants"], log)
    import check_bundle
    report["ort_check"] = check_bundle.check(bundle_dir, out / "memory.txt", ROOT / "docs/samples", 100)
    (work / "build_report.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "README.md").write_text(readme(report))
    sizes = {p.name: p.stat().st_size for p in sorted(bundle_dir.iterdir())}
    log(f"done in {times['total'] / 60:.1f} min; bundle files {sizes}; total {sum(sizes.values())} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
