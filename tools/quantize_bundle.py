#!/usr/bin/python3
"""Quantized decap bundles: weight-only block-quantized decoder and image tower (ONNX Runtime contrib operators).

    /usr/bin/python3 tools/quantize_bundle.py IN OUT [--decoder int8|int4|fp16] [--image int8|int4|fp16]
                                              [--block-size 32] [--accuracy-level 4] [--tied-bits 4|8]
                                              [--int8-nodes REGEX] [--int8-block-size N] [--scale-search]
                                              [--gptq CAPTIONS] [--gptq-damp 0.01] [--gptq-act-order]
                                              [--exclude REGEX] [--as-variants] [--check] [--report FILE]

Reads the bundle IN and writes the bundle OUT (a new directory, or IN itself with --as-variants):

* ``--decoder int8|int4``: every decoder MatMul/Gemm with a constant weight (attention and MLP projections, the
  tied LM head ``Gemm(h, wte, transB=1)``) becomes ``com.microsoft::MatMulNBits`` (symmetric, one float32 scale per
  ``--block-size`` input values of each output); the token embedding ``Gather(wte, ids)`` becomes
  ``GatherBlockQuantized`` on the same codes and scales, so no float32 table remains. The prefix projection
  ``clip_project`` stays float32 unless ``--exclude ''`` (see DECODER_EXCLUDE); ``--tied-bits 8`` keeps the tied
  table at 8 bits under ``--decoder int4``. ``--accuracy-level 4`` (default) lets ONNX Runtime quantize the
  activations to int8 per block (its fast CPU kernels; with 0 the int8 kernel of ORT 1.24 is ~50x slower).
  ``--decoder fp16``: the weights are stored as float16 and cast back to float32 in the graph (ONNX Runtime folds
  the casts at load); ``--fp16-matmul`` runs the matmuls and gathers in float16 instead (slower on x86 CPUs).
* How the codes are chosen (same format): round to nearest by default; ``--scale-search`` searches each block's
  clipping factor; ``--gptq CAPTIONS`` quantizes the decoder by GPTQ, calibrated on those captions embedded by the
  bundle's text tower (:mod:`decap_tools.calibrate`; word-tokenizer bundles), ``--gptq-act-order`` in order of
  decreasing input activity. ``--int8-nodes REGEX`` (with ``--decoder int4``): matching decoder nodes get 8-bit
  weights, in blocks of ``--int8-block-size`` (also the tied table's under ``--tied-bits 8``).
* ``--image int8|int4|fp16``: the same for the image tower's MatMul/Gemm weights (``Conv`` stays float32).
* Other files (text tower, vocabulary, vocab map) are copied unchanged.
* The manifest records each file's ``precision`` (``fp32``, ``fp16``, ``int8``, ``int4``). Without
  ``--as-variants`` the quantized files are OUT's defaults. With ``--as-variants`` OUT keeps IN's files as defaults
  and lists the quantized ones under ``files.<key>.variants.<precision>``; run it again on OUT to add more
  (e.g. int8 and int4 decoders); Java selects one with ``OnnxOptions.builder().precision(..)``.
* ``--check``: runs the new graphs beside the float32 ones in ONNX Runtime Java (``decap_tools/ort.py``) on a few
  random inputs and reports the decoder's greedy-token agreement over 16 random prefixes and logits/embedding
  cosines (a summary goes to stderr, the full report to ``--report``).

Format of the quantized graphs and of the manifest fields: docs/model-bundle.md ("Precision and variants").
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))

from decap_tools import bundle  # noqa: E402
from decap_tools.quantize import PRECISIONS, quantize_graph, streamed_bytes  # noqa: E402

COMPONENTS = {"decoder": "decoder", "image": "image_encoder"}
MODEL_KEYS = ("decoder", "image_encoder", "text_encoder")   # the files that have a precision
# clip_project maps the prefix into the decoder (one small Gemm, 1.5 MB of 267 at full size): the most sensitive
# matrix by far (on the miniature model, quantizing it alone to int4 changed 45 % of greedy captions)
DECODER_EXCLUDE = "clip_project"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def file_entry(bundle_dir: Path, rel_path: str, precision: str) -> dict:
    """One manifest file entry for a file inside ``bundle_dir``."""
    p = bundle_dir / rel_path
    return {"path": rel_path, "sha256": bundle.sha256(p), "size": p.stat().st_size, "precision": precision}


def variant_path(default_path: str, precision: str) -> str:
    p = Path(default_path)
    return str(p.with_name(f"{p.stem}-{precision}{p.suffix}")).replace(os.sep, "/")


def gptq_hessians(src: Path, model: onnx.ModelProto, bundle_dir: Path, manifest: dict, captions_path: str,
                  precision: str, block_size: int, tied_bits, exclude, scale_search: bool, damp: float,
                  int8_nodes, act_order: bool, int8_block_size) -> dict:
    """Sequential GPTQ calibration of the decoder ``src`` on the captions of ``captions_path``
    (:mod:`decap_tools.calibrate`): initializer name -> Hessian, for :func:`quantize_graph`'s ``hessians``."""
    import copy
    from decap_tools import calibrate
    from decap_tools.quantize import quantize_matrix
    dry = quantize_graph(copy.deepcopy(model), precision, block_size=block_size, tied_bits=tied_bits,
                         exclude=exclude, int8_nodes=int8_nodes, int8_block_size=int8_block_size)
    # the weights quantize_graph quantizes, with their bits and block sizes
    layout = {r["weight"]: (r["bits"], r["block_size"]) for r in dry.replaced if "weight" in r}
    captions = calibrate.read_captions(captions_path)
    prefixes, token_ids = calibrate.caption_inputs(bundle_dir, manifest, captions)
    torch_model, keys = calibrate.decoder_from_onnx(src, int(manifest["decoder"]["heads"]))

    def quantize(name, w_kn, h):
        q = quantize_matrix(w_kn, *layout[name], scale_search, h, damp, act_order)
        return q.dequantized_kn()

    log(f"GPTQ calibration: {len(captions)} captions of {captions_path}")
    return calibrate.gptq_hessians(torch_model, keys, prefixes, token_ids, quantize, layout, log=log)


def quantize_file(src: Path, dst: Path, precision: str, block_size: int, accuracy_level: int,
                  tied_bits=None, exclude=None, fp16_matmul=False, scale_search=False, gptq=None,
                  damp=0.01, int8_nodes=None, act_order=False, int8_block_size=None) -> dict:
    """Quantizes one model file; ``gptq``: ``(bundle_dir, manifest, captions_path)`` for a GPTQ decoder."""
    t0 = time.perf_counter()
    model = onnx.load(str(src))
    hessians = None
    if gptq is not None and precision in ("int8", "int4"):
        hessians = gptq_hessians(src, model, *gptq, precision, block_size, tied_bits, exclude, scale_search, damp,
                                 int8_nodes, act_order, int8_block_size)
    report = quantize_graph(model, precision, block_size=block_size, accuracy_level=accuracy_level,
                            tied_bits=tied_bits, exclude=exclude, fp16_matmul=fp16_matmul,
                            scale_search=scale_search, hessians=hessians, damp=damp, int8_nodes=int8_nodes,
                            act_order=act_order, int8_block_size=int8_block_size)
    tmp = dst.with_name(dst.name + ".tmp")
    onnx.save(model, str(tmp))
    os.replace(tmp, dst)
    out = {**report.to_dict(), "file": dst.name, "file_bytes": dst.stat().st_size,
           "source_bytes": src.stat().st_size, "streamed_bytes_per_run": streamed_bytes(model),
           "source_streamed_bytes_per_run": streamed_bytes(onnx.load(str(src))),
           "scale_search": scale_search, "gptq": sorted(hessians) if hessians else [],
           "seconds": round(time.perf_counter() - t0, 1)}
    log(f"{src.name} -> {dst.name} ({precision}): {out['replaced']} nodes quantized, "
        f"{out['source_bytes'] / 1e6:.1f} MB -> {out['file_bytes'] / 1e6:.1f} MB in {out['seconds']} s")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="bundle directory to read")
    ap.add_argument("output", help="bundle directory to write (may equal input with --as-variants)")
    ap.add_argument("--decoder", choices=[p for p in PRECISIONS if p != "fp32"])
    ap.add_argument("--image", choices=[p for p in PRECISIONS if p != "fp32"])
    ap.add_argument("--block-size", type=int, default=32, help="values per scale along K (power of 2, >= 16)")
    ap.add_argument("--accuracy-level", type=int, default=4, choices=(0, 1, 2, 3, 4),
                    help="MatMulNBits accuracy_level: 4 = int8 compute (default), 0 = float32 compute")
    ap.add_argument("--tied-bits", type=int, choices=(4, 8),
                    help="bits of the decoder's tied embedding / LM head when they should differ from --decoder's "
                         "(e.g. --decoder int4 --tied-bits 8)")
    ap.add_argument("--exclude", metavar="REGEX",
                    help="nodes whose name matches stay float32 (default: the decoder's prefix projection, "
                         f"{DECODER_EXCLUDE!r}; '' quantizes everything)")
    ap.add_argument("--int8-nodes", metavar="REGEX",
                    help="with --decoder int4: decoder MatMul/Gemm nodes whose name matches get 8-bit weights "
                         "(mixed precision; the file stays the int4 variant, the report lists each node's bits)")
    ap.add_argument("--int8-block-size", type=int, metavar="N",
                    help="with --decoder int4: block size of its 8-bit weights (--tied-bits 8, --int8-nodes); "
                         "default --block-size")
    ap.add_argument("--fp16-matmul", action="store_true",
                    help="with fp16: run matmuls and gathers in float16 (default: float16 storage, float32 compute)")
    ap.add_argument("--scale-search", action="store_true",
                    help="per-block scales by a clipping search (factors 1.00..0.70 of the largest magnitude, the "
                         "one with the least squared error of the block) instead of the largest magnitude")
    ap.add_argument("--gptq", metavar="CAPTIONS",
                    help="quantize the decoder by GPTQ, calibrated on these captions (text file, one a line; "
                         "embedded by the bundle's text tower; word-tokenizer bundles) instead of round to nearest")
    ap.add_argument("--gptq-damp", type=float, default=0.01, metavar="F",
                    help="GPTQ damping: F * mean(diag H) added to the Hessian's diagonal (default 0.01)")
    ap.add_argument("--gptq-act-order", action="store_true",
                    help="GPTQ: quantize the input features by decreasing activity (diag H), every block's scales "
                         "set beforehand from the float weights (default: in K order, scales set as GPTQ goes)")
    ap.add_argument("--as-variants", action="store_true",
                    help="keep IN's files as defaults and add the quantized files as variants")
    ap.add_argument("--check", action="store_true", help="compare with float32 in ONNX Runtime Java")
    ap.add_argument("--report", help="write the JSON report here")
    args = ap.parse_args(argv)
    if not args.decoder and not args.image:
        ap.error("nothing to do: give --decoder and/or --image")
    if (args.int8_nodes or args.int8_block_size) and args.decoder != "int4":
        ap.error(f"--int8-nodes / --int8-block-size mix 8-bit weights into an int4 decoder: expected --decoder int4, "
                 f"found {args.decoder}")
    if args.gptq and args.decoder not in ("int8", "int4"):
        ap.error(f"--gptq quantizes the decoder: expected --decoder int8 or int4, found {args.decoder}")
    if args.gptq and not Path(args.gptq).is_file():
        ap.error(f"--gptq {args.gptq}: no such file (expected a text file of calibration captions, one a line)")
    src, out = Path(args.input).resolve(), Path(args.output).resolve()
    manifest = bundle.read_manifest(src, check_hashes=True)
    files = manifest["files"]
    jobs = {COMPONENTS[c]: p for c, p in (("decoder", args.decoder), ("image", args.image)) if p}
    for key in jobs:
        if key not in files:
            ap.error(f"{src} has no {key} (files: {sorted(files)})")
    in_place = src == out
    if in_place and not args.as_variants:
        ap.error("OUT equals IN: pass --as-variants to add variants in place, or choose another OUT")
    if not in_place:
        if out.exists() and any(out.iterdir()):
            ap.error(f"{out} exists and is not empty; choose a new directory")
        out.mkdir(parents=True, exist_ok=True)

    report = {"command": "tools/quantize_bundle.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "input": str(src), "output": str(out), "files": {}}
    new_files = {}
    for key, entry in files.items():
        default_precision = entry.get("precision", "fp32")
        if key in jobs and not args.as_variants:
            continue
        if not in_place:
            for rel in [entry["path"]] + [v["path"] for v in entry.get("variants", {}).values()]:
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src / rel, out / rel)
        new_files[key] = {**entry, "precision": default_precision} if key in MODEL_KEYS else dict(entry)

    for key, precision in jobs.items():
        entry = files[key]
        if entry.get("precision", "fp32") != "fp32":
            ap.error(f"files.{key} of {src} is {entry['precision']}, not fp32; quantize from a float32 bundle")
        rel = variant_path(entry["path"], precision) if args.as_variants else entry["path"]
        report["files"][key] = quantize_file(src / entry["path"], out / rel, precision, args.block_size,
                                             args.accuracy_level, args.tied_bits if key == "decoder" else None,
                                             DECODER_EXCLUDE if args.exclude is None and key == "decoder"
                                             else args.exclude, args.fp16_matmul, args.scale_search,
                                             (src, manifest, args.gptq) if args.gptq and key == "decoder" else None,
                                             args.gptq_damp, args.int8_nodes if key == "decoder" else None,
                                             args.gptq_act_order, args.int8_block_size)
        new_entry = file_entry(out, rel, precision)
        if args.as_variants:
            variants = dict(new_files[key].get("variants", {}))
            variants[precision] = new_entry
            new_files[key] = {**new_files[key], "variants": variants}
        else:
            new_files[key] = new_entry
        if args.check:
            from decap_tools import quantize_check
            report["files"][key]["check"] = quantize_check.compare(key, src / entry["path"], out / rel, manifest,
                                                                   log=log)

    manifest = dict(manifest)
    manifest["files"] = new_files
    what = ", ".join(f"{k} {p}" for k, p in jobs.items())
    method = ("GPTQ on " + Path(args.gptq).name + (" in activity order" if args.gptq_act_order else "") + ", "
              if args.gptq else "") + ("scale search, " if args.scale_search else "")
    mixed = ""
    if args.decoder == "int4" and (args.tied_bits == 8 or args.int8_nodes):
        wide = (["tied table"] if args.tied_bits == 8 else []) + ([f"nodes {args.int8_nodes}"] if args.int8_nodes
                                                                  else [])
        mixed = f"8 bits for the decoder's {' and '.join(wide)} (block {args.int8_block_size or args.block_size}), "
    note = f"{'Variants' if args.as_variants else 'Quantized'}: {what} (tools/quantize_bundle.py, {method}{mixed}" \
           f"block {args.block_size}, accuracy level {args.accuracy_level})."
    description = manifest.get("description", "")
    if args.as_variants:   # a variant made again replaces its earlier note
        description = re.sub(r" ?Variants: " + re.escape(what) + r" \(tools/quantize_bundle\.py, [^()]*"
                             r"(\([^()]*\)[^()]*)*\)\.", "", description)
    manifest["description"] = (description.rstrip(". ") + ". " + note).lstrip(". ")
    if not args.as_variants:
        manifest["created_by"] = report["command"] + " (from: " + manifest.get("created_by", "?") + ")"
        manifest["name"] = manifest.get("name", "bundle") + "-" + "-".join(f"{p}" for p in jobs.values())
    bundle.seal_manifest_dict(out, manifest)  # sizes, vocabulary and manifest checksums of the edited manifest
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".manifest-", suffix=".json")
    os.chmod(tmp, 0o644)
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp, out / bundle.MANIFEST)
    bundle.read_manifest(out, check_hashes=True)
    log(f"wrote {out / bundle.MANIFEST}")
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
