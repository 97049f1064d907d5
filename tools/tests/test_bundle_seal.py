"""Specifications of manifest sealing (tools/decap_tools/bundle.py; the Java side is ManifestSeal). Run:
    /usr/bin/python3 -m unittest discover -s tools/tests -p 'test_bundle_seal*.py'
"""
import json
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))

from decap_tools import bundle  # noqa: E402

FIXTURES = ROOT / "decap-onnx/src/test/resources/fixtures"
MINIATURE = ROOT / "decap-miniature/src/main/resources/dev/decap/miniature/bundle"
# The same manifest and digest as BundleVerificationTest.the_canonical_form_sorts_keys_by_code_point_...
EXAMPLE = ('{ "b": "q\\"\\\\\\n\u00e9", "\uffff": 1, "\U0001F600": 2, "a": [1.50, 2e-5, -0, true, null], '
           '"manifest_sha256": "x" }')


class CanonicalFormSpec(unittest.TestCase):
    def test_keys_sorted_by_code_point_seal_dropped_number_literals_kept(self):
        self.assertEqual(bundle.canonical_bytes(EXAMPLE).decode("utf-8"),
                         '{"a":[1.50,2e-5,-0,true,null],"b":"q\\"\\\\\\u000a\u00e9","\uffff":1,"\U0001F600":2}')
        self.assertEqual(bundle.manifest_sha256(EXAMPLE),
                         "b9428ee02ad529e1231d6bc5dceb4989f7ac374b18f2ebfe9d97bd0e2af2bba9")

    def test_duplicate_keys_and_nan_are_refused(self):
        with self.assertRaises(ValueError):
            bundle.canonical_bytes('{"a": 1, "a": 2}')
        with self.assertRaises(ValueError):
            bundle.canonical_bytes('{"a": NaN}')


class SealSpec(unittest.TestCase):
    def test_committed_bundles_are_sealed(self):
        for d in (FIXTURES / "tiny", FIXTURES / "official-layout", MINIATURE):
            m = bundle.read_manifest(d)
            self.assertEqual(m["manifest_sha256"], bundle.manifest_sha256((d / bundle.MANIFEST).read_text()), d)
            for e in m["files"].values():
                self.assertEqual(e["size"], (d / e["path"]).stat().st_size)
            self.assertIn("vocabulary_sha256", m["tokenizer"])

    def test_an_edit_breaks_the_seal_and_resealing_mends_it(self):
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp) / "b"
            shutil.copytree(FIXTURES / "tiny", d)
            p = d / bundle.MANIFEST
            p.write_text(p.read_text().replace('"max_tokens": 30', '"max_tokens": 31'))
            with self.assertRaises(ValueError):
                bundle.read_manifest(d)
            bundle.seal(d)
            self.assertEqual(bundle.read_manifest(d)["generation"]["max_tokens"], 31)
            (d / "vocab_map.json").write_text("[]")
            with self.assertRaises(ValueError):
                bundle.read_manifest(d)

    def test_resealing_a_sealed_bundle_changes_nothing(self):
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp) / "b"
            shutil.copytree(MINIATURE, d)
            before = json.loads((d / bundle.MANIFEST).read_text())
            bundle.seal(d)
            self.assertEqual(before, json.loads((d / bundle.MANIFEST).read_text()))


if __name__ == "__main__":
    unittest.main()
