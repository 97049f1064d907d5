"""decap model bundles: a directory with ``decap-bundle.json`` (format in docs/model-bundle.md).

:func:`write_manifest` hashes the listed files and writes a sealed manifest; :func:`seal` (re)seals an existing
one (every file's sha256 and size, the vocabulary's sha256, the manifest's own ``manifest_sha256``);
:func:`read_manifest` reads one back and checks it. :func:`canonical_bytes` is the manifest's canonical form, the
same as the Java side's ``ManifestSeal.canonicalBytes`` (docs/model-bundle.md, "Sealing").
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Dict, Optional

FORMAT = "decap-bundle"
FORMAT_VERSION = 1
MANIFEST = "decap-bundle.json"
# SHA-256 of the text of OpenAI's bpe_simple_vocab_16e6.txt.gz (decompressed: 3,194,984 bytes), the vocabulary
# every CLIP-BPE bundle of these tools expects; see vocabulary_sha256.
CLIP_BPE_VOCABULARY_SHA256 = "67603cfda2e032ad77b5f8808af37789d590db664b26df8705d2bf8b3c553fc8"
TOKENIZER_SECTION = {"type": "clip-bpe", "vocabulary": "bpe_simple_vocab_16e6.txt.gz", "vocab_size": 49408,
                     "sot_id": 49406, "eot_id": 49407, "pad_id": 0,
                     "vocabulary_sha256": CLIP_BPE_VOCABULARY_SHA256}
SEAL_FIELD = "manifest_sha256"
GENERATION_SECTION = {"max_tokens": 30, "eot_id": 49407}
FILE_KEYS = ("decoder", "image_encoder", "text_encoder", "vocab_map", "tokenizer_vocabulary")


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def vocabulary_sha256(path) -> str:
    """SHA-256 of a tokenizer vocabulary's text: of the decompressed bytes when the file is gzip (starts with
    1f 8b), else of the file's bytes. Recompressing a vocabulary does not change it; editing one line does."""
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    h = hashlib.sha256()
    with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _Number(str):
    """A JSON number kept as its literal text (the canonical form writes numbers exactly as the manifest does)."""


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        dup = sorted(k for k in set(keys) if keys.count(k) > 1)
        raise ValueError(f"duplicate key {dup[0]!r} in the manifest; every key must appear once")
    return dict(pairs)


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON; a manifest holds finite numbers only")


def _canonical(value, out: list) -> None:
    if isinstance(value, _Number):
        out.append(str(value))
    elif isinstance(value, str):
        out.append('"')
        for ch in value:
            if ch == '"':
                out.append('\\"')
            elif ch == "\\":
                out.append("\\\\")
            elif ord(ch) < 0x20:
                out.append("\\u%04x" % ord(ch))
            else:
                out.append(ch)
        out.append('"')
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif isinstance(value, list):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _canonical(v, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        for i, k in enumerate(sorted(value)):
            if i:
                out.append(",")
            _canonical(k, out)
            out.append(":")
            _canonical(value[k], out)
        out.append("}")
    else:
        raise TypeError(f"not a JSON value: {value!r}")


def canonical_bytes(manifest_text) -> bytes:
    """The canonical content of a manifest (docs/model-bundle.md, "Sealing"): the JSON with the top-level
    ``manifest_sha256`` removed, object keys sorted by code point, no whitespace, numbers exactly as written,
    strings with only ``"``, ``\\`` and U+0000..U+001F escaped (as ``\\"``, ``\\\\``, ``\\u00xx``), UTF-8."""
    if isinstance(manifest_text, bytes):
        manifest_text = manifest_text.decode("utf-8")
    m = json.loads(manifest_text, parse_int=_Number, parse_float=_Number, parse_constant=_refuse_constant,
                   object_pairs_hook=_no_duplicates)
    if not isinstance(m, dict):
        raise ValueError("a manifest is a JSON object")
    m.pop(SEAL_FIELD, None)
    out: list = []
    _canonical(m, out)
    return "".join(out).encode("utf-8")


def manifest_sha256(manifest_text) -> str:
    """The ``manifest_sha256`` a manifest with this text must carry: SHA-256 of :func:`canonical_bytes`."""
    return hashlib.sha256(canonical_bytes(manifest_text)).hexdigest()


def _file_entries(node):
    """Every object under ``files`` that has a ``path`` (at any depth: variants listed inside an entry too)."""
    if isinstance(node, dict):
        if isinstance(node.get("path"), str):
            yield node
        for v in node.values():
            if isinstance(v, (dict, list)):
                yield from _file_entries(v)
    elif isinstance(node, list):
        for v in node:
            yield from _file_entries(v)


def seal_manifest_dict(bundle_dir, manifest: dict, vocabulary=None) -> dict:
    """Fills in the seal of a manifest (in place, and returns it): ``sha256`` and ``size`` of every file entry
    (every object under ``files`` with a ``path``), ``tokenizer.vocabulary_sha256`` (from ``vocabulary`` when
    given, from the bundle's own vocabulary file for a word tokenizer, else kept as it is) and ``manifest_sha256``
    last. The files must be inside ``bundle_dir``."""
    bundle_dir = Path(bundle_dir)
    for entry in _file_entries(manifest.get("files") or {}):
        p = bundle_dir / entry["path"]
        if not p.resolve().is_relative_to(bundle_dir.resolve()):
            raise ValueError(f"{entry['path']} is outside the bundle directory {bundle_dir}")
        if not p.is_file():
            raise ValueError(f"bundle file {entry['path']} is missing from {bundle_dir}")
        entry["sha256"] = sha256(p)
        entry["size"] = p.stat().st_size
    tok = manifest.get("tokenizer")
    if isinstance(tok, dict):
        if vocabulary is not None:
            tok["vocabulary_sha256"] = vocabulary_sha256(vocabulary)
        elif tok.get("type") == "word" and tok.get("vocabulary"):
            tok["vocabulary_sha256"] = vocabulary_sha256(bundle_dir / tok["vocabulary"])
    manifest.pop(SEAL_FIELD, None)
    text = json.dumps(manifest, indent=2, ensure_ascii=False)
    manifest[SEAL_FIELD] = manifest_sha256(text)
    return manifest


def _write_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def seal(bundle_dir, vocabulary=None) -> Path:
    """(Re)seals ``bundle_dir/decap-bundle.json`` in place (key order kept, written atomically); see
    :func:`seal_manifest_dict`. Run it after any edit of the manifest or of a bundle file."""
    path = Path(bundle_dir) / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates)
    seal_manifest_dict(bundle_dir, manifest, vocabulary)
    _write_atomically(path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return path


def decoder_section(cfg, vocab_map_key: Optional[str]) -> dict:
    """The manifest's ``decoder`` object for a :class:`decoder_model.DecoderConfig`."""
    return {"prefix_dim": cfg.prefix_dim, "width": cfg.width, "layers": cfg.layers, "heads": cfg.heads,
            "vocab_size": cfg.vocab_size, "max_positions": cfg.max_positions, "vocab_map": vocab_map_key}


def write_manifest(bundle_dir, name: str, description: str, created_by: str, files: Dict[str, os.PathLike],
                   embedding_dim: int, decoder: Optional[dict] = None, clip: Optional[dict] = None,
                   tokenizer: Optional[dict] = None, generation: Optional[dict] = None,
                   vocabulary=None) -> Path:
    """Writes a sealed ``decap-bundle.json`` into ``bundle_dir``. ``files`` maps keys (decoder, image_encoder,
    text_encoder, vocab_map, tokenizer_vocabulary) to files inside the bundle directory; paths are stored
    relative to it. A word tokenizer's vocabulary must be listed as ``tokenizer_vocabulary`` (checksummed).
    ``vocabulary``: the CLIP BPE file the bundle expects, when not OpenAI's (whose sha256 the default tokenizer
    section carries)."""
    bundle_dir = Path(bundle_dir)
    entries = {}
    for key, p in files.items():
        if key not in FILE_KEYS:
            raise ValueError(f"unknown bundle file key {key!r}; expected one of {FILE_KEYS}")
        p = Path(p)
        rel = os.path.relpath(p.resolve(), bundle_dir.resolve()).replace(os.sep, "/")
        if rel.startswith(".."):
            raise ValueError(f"{p} is outside the bundle directory {bundle_dir}")
        entries[key] = {"path": rel, "sha256": sha256(p), "size": p.stat().st_size}
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
    seal_manifest_dict(bundle_dir, manifest, vocabulary)
    out = bundle_dir / MANIFEST
    _write_atomically(out, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return out


def read_manifest(bundle_dir, check_hashes: bool = True) -> dict:
    """Reads a bundle's manifest; with ``check_hashes`` every listed file must exist with its sha256 (and its size,
    when recorded) and a sealed manifest must match its ``manifest_sha256``."""
    bundle_dir = Path(bundle_dir)
    text = (bundle_dir / MANIFEST).read_text(encoding="utf-8")
    m = json.loads(text, object_pairs_hook=_no_duplicates)
    if check_hashes and SEAL_FIELD in m and m[SEAL_FIELD] != manifest_sha256(text):
        raise ValueError(f"{bundle_dir}: {SEAL_FIELD} expected {m[SEAL_FIELD]}, found {manifest_sha256(text)}; "
                         f"the manifest was edited after it was sealed (reseal: tools/seal_manifest.py)")
    if m.get("format") != FORMAT or m.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{bundle_dir}: not a {FORMAT} v{FORMAT_VERSION} manifest")
    if check_hashes:
        for key, e in m["files"].items():
            # variants (files.<key>.variants.<precision>, see tools/quantize_bundle.py) are checked like the rest
            for name, entry in [(key, e)] + [(f"{key}.variants.{v}", ve) for v, ve in e.get("variants", {}).items()]:
                p = bundle_dir / entry["path"]
                if not p.is_file():
                    raise ValueError(f"bundle file {name}: {p} is missing")
                if "size" in entry and p.stat().st_size != entry["size"]:
                    raise ValueError(f"bundle file {name}: size expected {entry['size']} bytes, found {p.stat().st_size}")
                got = sha256(p)
                if got != entry["sha256"]:
                    raise ValueError(f"bundle file {name}: sha256 expected {entry['sha256']}, found {got}")
    return m
