"""(Re)seals a decap model bundle's manifest in place: every file's ``sha256`` and ``size``, the tokenizer
vocabulary's ``vocabulary_sha256`` and the manifest's own ``manifest_sha256`` (docs/model-bundle.md, "Sealing").

    /usr/bin/python3 tools/seal_manifest.py BUNDLE_DIR [BUNDLE_DIR ...] [--vocab PATH] [--check]

Run it after editing a manifest or replacing a bundle file (the Java equivalent is ``decap bundle seal``).
``--vocab PATH``: record the sha256 of this CLIP BPE vocabulary (default: keep the one the manifest has; a word
tokenizer's vocabulary is always taken from the bundle). ``--check``: change nothing, exit 1 if a manifest is not
sealed as it would be.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from decap_tools import bundle  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bundles", nargs="+", type=Path, metavar="BUNDLE_DIR")
    ap.add_argument("--vocab", type=Path, help="CLIP BPE vocabulary whose sha256 to record")
    ap.add_argument("--check", action="store_true", help="only check that each manifest is sealed")
    args = ap.parse_args(argv)
    if args.vocab is not None and not args.vocab.is_file():
        ap.error(f"--vocab {args.vocab} is not a file")
    failed = 0
    for d in args.bundles:
        path = d / bundle.MANIFEST
        if not path.is_file():
            print(f"error: no {bundle.MANIFEST} in {d}", file=sys.stderr)
            return 2
        if args.check:
            current = json.loads(path.read_text(encoding="utf-8"))
            expected = bundle.seal_manifest_dict(d, json.loads(path.read_text(encoding="utf-8")), args.vocab)
            ok = current == expected
            print(f"{path}: {'sealed' if ok else 'NOT sealed (run tools/seal_manifest.py ' + str(d) + ')'}")
            failed += 0 if ok else 1
        else:
            bundle.seal(d, args.vocab)
            m = json.loads(path.read_text(encoding="utf-8"))
            print(f"sealed {path}: {len(m.get('files') or {})} files, manifest_sha256 {m[bundle.SEAL_FIELD]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
