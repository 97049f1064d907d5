#!/usr/bin/python3
"""Converts an official DeCap checkpoint into a decoder-only decap bundle.

The checkpoint is what DeCap's ``train.py`` saves (``torch.save(model.state_dict())``, e.g.
``coco_prefix-009.pt``): keys ``decoder.transformer.*``, ``decoder.lm_head.weight`` (tied to ``wte``),
``clip_project.model.0.*`` and GPT-2's ``attn.bias`` / ``attn.masked_bias`` buffers (ignored). Sizes (width,
layers, vocabulary, positions, prefix) are read from the tensors; the number of attention heads is not stored in
a state dict and is given by ``--heads`` (official decoder: 4).

Output: ``DIR/decoder.onnx`` (one graph with KV cache) and ``DIR/decap-bundle.json`` (no vocab map: decoder id =
tokenizer id; masking removes ids >= 49408). The tokenizer vocabulary ``bpe_simple_vocab_16e6.txt.gz`` is not
copied: put it beside the bundle or give its path to the Java side. Unless ``--no-verify``, the export is checked
in ONNX Runtime Java against PyTorch (logits and greedy tokens).

Usage: /usr/bin/python3 tools/convert_checkpoint.py --checkpoint coco_prefix-009.pt --out DIR [--heads 4]
       [--name NAME]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from decap_tools import bundle, search  # noqa: E402
from decap_tools.decoder_model import load_official_state_dict  # noqa: E402
from export_decoder import export_decoder, verify_decoder_onnx  # noqa: E402


def load_checkpoint(path) -> dict:
    state = torch.load(path, map_location="cpu")
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a state dict (torch.save(model.state_dict())), found {type(state)}")
    # a state dict saved from a DistributedDataParallel wrapper carries a "module." prefix
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    return state


def convert(checkpoint, out_dir, heads: int = 4, name: str = None, verify: bool = True, log=print,
            tokenizer: dict = None, extra_files: dict = None, clip: dict = None, generation: dict = None,
            description: str = None, created_by: str = None) -> dict:
    """Writes the decoder-only bundle; returns {"manifest": Path, "config": dict, "verification": dict|None}.

    ``tokenizer`` / ``generation`` / ``clip``: manifest sections (default: CLIP BPE, and no CLIP towers);
    ``extra_files``: more bundle files {key: path inside out_dir} (CLIP towers, a word tokenizer's vocabulary)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = load_official_state_dict(load_checkpoint(checkpoint), heads=heads)
    cfg = model.cfg
    log(f"checkpoint {checkpoint}: {json.dumps(cfg.to_dict())}")
    onnx_path = export_decoder(model, out_dir / "decoder.onnx")
    files = {"decoder": onnx_path, **(extra_files or {})}
    manifest = bundle.write_manifest(
        out_dir, name=name or Path(checkpoint).stem,
        description=description or f"DeCap decoder converted from {Path(checkpoint).name} (decoder only)",
        created_by=created_by or f"tools/convert_checkpoint.py --checkpoint {Path(checkpoint).name} --heads {heads}",
        files=files, embedding_dim=cfg.prefix_dim,
        decoder=bundle.decoder_section(cfg, None), clip=clip, tokenizer=tokenizer, generation=generation)
    verification = None
    if verify:
        if tokenizer is not None:
            vocab = search.Vocabulary(cfg.vocab_size, tokenizer_vocab_size=tokenizer["vocab_size"],
                                      eot_id=tokenizer["eot_id"])
        else:
            vocab = search.Vocabulary(cfg.vocab_size)
        verification = verify_decoder_onnx(model, onnx_path, vocab, steps=6, batches=(1, 2), greedy_cases=2,
                                           log=log)
    log(f"wrote {manifest}")
    return {"manifest": manifest, "config": cfg.to_dict(), "verification": verification, "model": model}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="official DeCap state dict (.pt)")
    ap.add_argument("--out", required=True, help="bundle directory to write")
    ap.add_argument("--heads", type=int, default=4, help="attention heads (default 4, the official decoder)")
    ap.add_argument("--name", help="bundle name (default: the checkpoint's file stem)")
    ap.add_argument("--no-verify", action="store_true", help="skip the ONNX Runtime check")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    r = convert(args.checkpoint, args.out, heads=args.heads, name=args.name, verify=not args.no_verify)
    if r["verification"] is not None:
        print(json.dumps(r["verification"]))


if __name__ == "__main__":
    main()
