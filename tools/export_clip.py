#!/usr/bin/python3
"""Export decap's CLIP towers to ONNX (layouts ``decap``, ``hf``, ``xenova``) and write CLIP fixtures.

Examples (run from the repository root with Debian's Python)::

    # a random CLIP of any size in one layout, verified in ONNX Runtime Java
    /usr/bin/python3 tools/export_clip.py export --layout xenova --preset tiny --seed 3 --out tools/out/xenova
    # a real OpenAI checkpoint (state dict saved with torch.save(model.state_dict())) in the decap layout
    /usr/bin/python3 tools/export_clip.py export --layout decap --preset vit-b-32 --state-dict sd.pt --out DIR
    # only the CLIP fixtures and goldens (make_fixtures.py writes them together with the decoder's)
    /usr/bin/python3 tools/export_clip.py fixtures --out decap-onnx/src/test/resources/fixtures --seed 0
    # full-size random ViT-B/32 CLIP as bundle components, plus PyTorch reference timings as JSON
    /usr/bin/python3 tools/export_clip.py full --out tools/out/full --bench
    # only the PyTorch reference timings of a random ViT-B/32 CLIP
    /usr/bin/python3 tools/export_clip.py bench --threads 2
    # the tiny text tower with a dynamic sequence axis (test resources beside the fixtures, ~200 kB each)
    /usr/bin/python3 tools/export_clip.py dynamic-fixture --out decap-onnx/src/test/resources/dynamic
    # full-size text towers only, dynamic and fixed 77-token axis, for tools/bench_text_encoding.sh
    /usr/bin/python3 tools/export_clip.py text-full --out tools/out/text

The decap layout's text tower is exported with a dynamic sequence axis (``input_ids [batch, sequence]``) unless
``--fixed-sequence`` is given; the committed fixtures under ``fixtures/tiny`` keep the fixed ``[batch, 77]`` axis.

Layouts and their I/O names: ``docs/clip-layouts.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# libgomp's active spin-wait makes 2-thread torch 10-50x slower when the 2 cores are shared with other work;
# passive waiting must be chosen before torch loads libgomp.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from decap_tools import clip_export  # noqa: E402
from decap_tools.clip_model import VIT_B_32, Clip, ClipConfig, build_random_clip, tiny_config  # noqa: E402


def _config(args) -> ClipConfig:
    if args.preset == "vit-b-32":
        return VIT_B_32
    if args.preset == "tiny":
        return tiny_config(embed_dim=args.embed_dim, width=args.width)
    raise SystemExit(f"unknown preset {args.preset}; use tiny or vit-b-32")


def cmd_export(args) -> int:
    cfg = _config(args)
    if args.state_dict:
        clip = Clip(cfg)
        sd = torch.load(args.state_dict, map_location="cpu")
        sd = {k: v for k, v in sd.items() if k not in ("input_resolution", "context_length", "vocab_size")}
        missing, unexpected = clip.load_state_dict(sd, strict=False)
        if missing or unexpected:
            raise SystemExit(f"state dict does not fit the {args.preset} shape: missing {missing}, "
                             f"unexpected {unexpected}")
        clip = clip.float().eval()
    else:
        clip = build_random_clip(cfg, args.seed)
    files = clip_export.export_layout(clip, args.layout, args.out, dynamic_sequence=not args.fixed_sequence)
    report = {"layout": args.layout, "files": {k: str(v) for k, v in files.items()}}
    if not args.no_verify:
        g = torch.Generator().manual_seed(args.seed)
        pixels = torch.randn(2, 3, cfg.image_resolution, cfg.image_resolution, generator=g).numpy()
        ids = np.zeros((2, cfg.context_length), dtype=np.int64)
        ids[:, 0] = 49406
        ids[0, 1:4] = [320, 1929, 49407]
        ids[1, 1:cfg.context_length] = 1000
        ids[1, cfg.context_length - 1] = 49407
        report["max_abs_diff_vs_pytorch"] = clip_export.verify_layout(clip, args.layout, files, pixels, ids)
        if args.layout == "decap" and not args.fixed_sequence:
            report["max_abs_diff_vs_pytorch"]["text_embeds_by_length"] = clip_export.verify_text_lengths(
                clip, files["text_encoder"], ids)
    print(json.dumps(report, indent=2))
    return 0


def cmd_fixtures(args) -> int:
    r = clip_export.make_clip_fixtures(args.out, seed=args.seed, shared_dir=args.shared,
                                       verify=not args.no_verify, log=lambda m: print(m, file=sys.stderr))
    print(json.dumps({"embedding_dim": r["embedding_dim"], "written": [str(p) for p in r["written"]],
                      "verification": r["verification"]}, indent=2))
    return 0


def cmd_full(args) -> int:
    torch.set_num_threads(args.threads)
    full = clip_export.make_full_size(args.out, seed=args.seed, verify=not args.no_verify,
                                      log=lambda m: print(m, file=sys.stderr),
                                      dynamic_sequence=not args.fixed_sequence)
    report = {"files": {k: str(v) for k, v in full["files"].items()}, "manifest_clip": full["manifest_clip"],
              "verification": full["verification"]}
    if args.bench:
        from decap_tools.bench_clip import bench_clip
        report["pytorch_reference"] = bench_clip(full["clip"], threads=args.threads, shared_dir=args.shared,
                                                 onnx_files=None if args.no_ort_bench else full["files"])
    print(json.dumps(report, indent=2))
    return 0


def cmd_dynamic_fixture(args) -> int:
    out = Path(args.out)
    r = clip_export.make_dynamic_text_fixture(out / "text_encoder.onnx", seed=args.seed, shared_dir=args.shared,
                                              verify=not args.no_verify, log=lambda m: print(m, file=sys.stderr))
    bad = clip_export.make_full_positions_text_fixture(out / "full_positions_text_encoder.onnx", seed=args.seed)
    print(json.dumps({"file": str(r["file"]), "bytes": r["file"].stat().st_size, "full_positions": str(bad),
                      "max_abs_diff_vs_pytorch_77": max(r["verification"].values()) if r["verification"] else None,
                      "lengths_checked": len(r["verification"])}, indent=2))
    return 0


def cmd_text_full(args) -> int:
    """The ViT-B/32-shaped random text tower twice: ``text_encoder.onnx`` (dynamic sequence axis) and
    ``text_encoder_fixed77.onnx`` (the fixed ``[batch, 77]`` export), same weights, both verified."""
    torch.set_num_threads(args.threads)
    clip = build_random_clip(VIT_B_32, args.seed)
    out = Path(args.out)
    g = torch.Generator().manual_seed(args.seed)
    ids = np.zeros((3, 77), dtype=np.int64)
    ids[:, 0] = 49406
    ids[0, 1:6] = [320, 1929, 530, 320, 2867]
    ids[0, 6] = 49407
    ids[1, 1:20] = torch.randint(1, 49405, (19,), generator=g).numpy()
    ids[1, 20] = 49407
    ids[2, 1:76] = np.arange(1000, 1075)
    ids[2, 76] = 49407
    report = {"seed": args.seed, "files": {}, "verification": {}}
    from decap_tools import ort
    for name, dynamic in (("text_encoder.onnx", True), ("text_encoder_fixed77.onnx", False)):
        tmp = out / (name + ".d")
        files = clip_export.export_layout(clip, "decap", tmp, dynamic_sequence=dynamic, image=False)
        target = out / name
        files["text_encoder"].replace(target)
        tmp.rmdir()
        report["files"][name] = str(target)
        if not args.no_verify:
            ref = clip_export.encode_texts(clip, ids.tolist())
            got = ort.run(target, {"input_ids": ids})["text_embeds"]
            v = {"L=77": clip_export._check(f"{name} at 77", got, ref)}
            if dynamic:
                v.update(clip_export.verify_text_lengths(clip, target, ids))
            report["verification"][name] = v
            print(f"{name} verified in ONNX Runtime Java: {v}", file=sys.stderr)
    print(json.dumps(report, indent=2))
    return 0


def cmd_bench(args) -> int:
    from decap_tools.bench_clip import bench_clip
    clip = build_random_clip(VIT_B_32, args.seed)
    print(json.dumps(bench_clip(clip, threads=args.threads, shared_dir=args.shared), indent=2))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="export one CLIP in one layout")
    e.add_argument("--layout", choices=clip_export.LAYOUTS, default="decap")
    e.add_argument("--preset", choices=("tiny", "vit-b-32"), default="tiny")
    e.add_argument("--embed-dim", type=int, default=clip_export.TINY_EMBED_DIM)
    e.add_argument("--width", type=int, default=32)
    e.add_argument("--state-dict", help="OpenAI-layout state dict (.pt) instead of random weights")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--out", required=True)
    e.add_argument("--no-verify", action="store_true")
    e.add_argument("--fixed-sequence", action="store_true",
                   help="decap layout: text tower input_ids [batch, 77] instead of a dynamic sequence axis")
    e.set_defaults(fn=cmd_export)
    f = sub.add_parser("fixtures", help="tiny CLIP fixtures + goldens")
    f.add_argument("--out", required=True, help="decap-onnx/src/test/resources/fixtures")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--shared", help="../shared/data (default: beside the repository)")
    f.add_argument("--no-verify", action="store_true")
    f.set_defaults(fn=cmd_fixtures)
    u = sub.add_parser("full", help="full-size random ViT-B/32 CLIP (decap layout) + PyTorch timings")
    u.add_argument("--out", required=True)
    u.add_argument("--seed", type=int, default=0)
    u.add_argument("--threads", type=int, default=2)
    u.add_argument("--bench", action="store_true", help="time PyTorch, and ONNX Runtime Java on the export")
    u.add_argument("--no-ort-bench", action="store_true", help="with --bench: PyTorch timings only")
    u.add_argument("--shared")
    u.add_argument("--no-verify", action="store_true")
    u.set_defaults(fn=cmd_full)
    u.add_argument("--fixed-sequence", action="store_true", help="text tower input_ids [batch, 77]")
    d = sub.add_parser("dynamic-fixture", help="tiny text tower with a dynamic sequence axis (test resource)")
    d.add_argument("--out", required=True, help="decap-onnx/src/test/resources/dynamic")
    d.add_argument("--seed", type=int, default=0, help="0 = the weights of fixtures/tiny/text_encoder.onnx")
    d.add_argument("--shared")
    d.add_argument("--no-verify", action="store_true")
    d.set_defaults(fn=cmd_dynamic_fixture)
    t = sub.add_parser("text-full", help="full-size text towers, dynamic and fixed axis (encoding bench)")
    t.add_argument("--out", required=True)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--no-verify", action="store_true")
    t.set_defaults(fn=cmd_text_full)
    b = sub.add_parser("bench", help="PyTorch timings of a random ViT-B/32 CLIP (no export)")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--threads", type=int, default=2)
    b.add_argument("--shared")
    b.set_defaults(fn=cmd_bench)
    args = p.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
