"""decap model bundles: a directory with ``decap-bundle.json`` (format in docs/model-bundle.md).

:func:`write_manifest` hashes the listed files and writes the manifest; :func:`read_manifest` reads one back
and checks every file's sha256.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Dict, Optional

FORMAT = "decap-bundle"
FORMAT_VERSION = 1
MANIFEST = "decap-bundle.json"
TOKENIZER_SECTION = {"type": "clip-bpe", "vocabulary": "bpe_simple_vocab_16e6.txt.gz", "vocab_size": 49408,
                     "sot_id": 49406, "eot_id": 49407, "pad_id": 0}
GENERATION_SECTION = {"max_tokens": 30, "eot_id": 49407}
FILE_KEYS = ("decoder", "image_encoder", "text_encoder", "vocab_map", "tokenizer_vocabulary")


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def decoder_section(cfg, vocab_map_key: Optional[str]) -> dict:
    """The manifest's ``decoder`` object for a :class:`decoder_model.DecoderConfig`."""
    return {"prefix_dim": cfg.prefix_dim, "width": cfg.width, "layers": cfg.layers, "heads": cfg.heads,
            "vocab_size": cfg.vocab_size, "max_positions": cfg.max_positions, "vocab_map": vocab_map_key}


def write_manifest(bundle_dir, name: str, description: str, created_by: str, files: Dict[str, os.PathLike],
                   embedding_dim: int, decoder: Optional[dict] = None, clip: Optional[dict] = None,
                   tokenizer: Optional[dict] = None, generation: Optional[dict] = None) -> Path:
    """Writes ``decap-bundle.json`` into ``bundle_dir``. ``files`` maps keys (decoder, image_encoder,
    text_encoder, vocab_map, tokenizer_vocabulary) to files inside the bundle directory; paths are stored
    relative to it. A word tokenizer's vocabulary must be listed as ``tokenizer_vocabulary`` (checksummed)."""
    bundle_dir = Path(bundle_dir)
    entries = {}
    for key, p in files.items():
        if key not in FILE_KEYS:
            raise ValueError(f"unknown bundle file key {key!r}; expected one of {FILE_KEYS}")
        p = Path(p)
        rel = os.path.relpath(p.resolve(), bundle_dir.resolve()).replace(os.sep, "/")
        if rel.startswith(".."):
            raise ValueError(f"{p} is outside the bundle directory {bundle_dir}")
        entries[key] = {"path": rel, "sha256": sha256(p)}
    if decoder is not None and decoder.get("vocab_map") is not None and decoder["vocab_map"] not in entries:
        raise ValueError(f"decoder.vocab_map names {decoder['vocab_map']!r}, which is not in files")
    if decoder is not None and decoder["prefix_dim"] != embedding_dim:
        raise ValueError(f"decoder prefix_dim: expected {embedding_dim} (embedding_dim), "
                         f"found {decoder['prefix_dim']}")
    tok = dict(tokenizer or TOKENIZER_SECTION)
    if tok.get("type") == "word":
        entry = entries.get("tokenizer_vocabulary")
        if entry is None or entry["path"] != tok.get("vocabulary"):
            raise ValueError(f"word tokenizer: files.tokenizer_vocabulary must be {tok.get('vocabulary')!r}, "
                             f"found {None if entry is None else entry['path']!r}")
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "name": name, "description": description,
                "created_by": created_by, "files": entries, "embedding_dim": embedding_dim}
    if clip is not None:
        manifest["clip"] = clip
    if decoder is not None:
        manifest["decoder"] = decoder
    manifest["tokenizer"] = tok
    manifest["generation"] = dict(generation or GENERATION_SECTION)
    out = bundle_dir / MANIFEST
    out.write_text(json.dumps(manifest, indent=2) + "\n")
    return out


def read_manifest(bundle_dir, check_hashes: bool = True) -> dict:
    """Reads a bundle's manifest; with ``check_hashes`` every listed file must exist with its sha256."""
    bundle_dir = Path(bundle_dir)
    m = json.loads((bundle_dir / MANIFEST).read_text())
    if m.get("format") != FORMAT or m.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{bundle_dir}: not a {FORMAT} v{FORMAT_VERSION} manifest")
    if check_hashes:
        for key, e in m["files"].items():
            # variants (files.<key>.variants.<precision>, see tools/quantize_bundle.py) are checked like the rest
            for name, entry in [(key, e)] + [(f"{key}.variants.{v}", ve) for v, ve in e.get("variants", {}).items()]:
                p = bundle_dir / entry["path"]
                if not p.is_file():
                    raise ValueError(f"bundle file {name}: {p} is missing")
                got = sha256(p)
                if got != entry["sha256"]:
                    raise ValueError(f"bundle file {name}: sha256 expected {entry['sha256']}, found {got}")
    return m
