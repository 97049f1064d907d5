#!/usr/bin/python3
"""Checks the committed fixtures (decap-onnx/src/test/resources/fixtures).

    /usr/bin/python3 tools/test_fixtures.py            # everything (about 3 minutes on 2 busy cores)
    DECAP_SKIP_REGENERATE=1 /usr/bin/python3 tools/test_fixtures.py   # only the checks of the committed files

1. Regeneration: ``make_fixtures.py`` is run into a temporary directory (same seed) and every file is compared
   with the committed one. ONNX files, manifests and the vocab map must be byte-identical (the exports are
   deterministic). Golden JSON files must be equal; if a float differs (another CPU or torch build can round
   differently) they are accepted when every integer/string/bool is identical and every float is within
   1e-5 relative / 1e-6 absolute, and the test prints that they were only numerically equal.
2. Bundles: every manifest's sha256 matches its file; shapes in the manifest match the ONNX graphs.
3. Replay in ONNX Runtime Java (what the Java tests do): every greedy case of the decoder goldens and a sample
   of beam cases through the committed ``decoder.onnx`` give identical tokens; the pipeline golden is recomputed
   end to end from the committed CLIP encoders (memory of 1000 captions, image embeddings, projection, top-5,
   greedy tokens).
Needs ../shared/data and the onnxruntime jar; skips (with a message) without them.
"""
import json
import os
import sys
import tempfile
import unittest
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from decap_tools import bundle, search  # noqa: E402

FIXTURES = Path(os.environ.get("DECAP_FIXTURES", ROOT / "decap-onnx" / "src" / "test" / "resources" / "fixtures"))
SHARED = Path(os.environ.get("DECAP_SHARED", ROOT.parent / "shared" / "data"))
HAVE_SHARED = (SHARED / "coco" / "captions_val2017.json").is_file()
HAVE_FIXTURES = (FIXTURES / "tiny" / "decap-bundle.json").is_file()
FIXTURE_BUDGET = 4_500_000


def _have_ort():
    try:
        from decap_tools import ort
        ort.ort_jar()
        return True
    except Exception:
        return False


HAVE_ORT = _have_ort()


def json_close(a, b, path="$", rel=1e-5, abs_=1e-6):
    """Returns None when equal within tolerance (floats only), else the first difference."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None or isinstance(a, str):
        return None if a == b else f"{path}: {a!r} != {b!r}"
    if isinstance(a, int) and isinstance(b, int):
        return None if a == b else f"{path}: {a} != {b}"
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return None if abs(a - b) <= abs_ + rel * abs(b) else f"{path}: {a!r} vs {b!r}"
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            d = json_close(a[k], b[k], f"{path}.{k}", rel, abs_)
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = json_close(x, y, f"{path}[{i}]", rel, abs_)
            if d:
                return d
        return None
    return f"{path}: {type(a).__name__} vs {type(b).__name__}"


@unittest.skipUnless(HAVE_FIXTURES, f"no committed fixtures at {FIXTURES}")
class CommittedFixtures(unittest.TestCase):
    def test_total_size_is_within_budget(self):
        total = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file())
        self.assertLess(total, FIXTURE_BUDGET, f"fixtures take {total} bytes")
        big = [p for p in FIXTURES.rglob("*") if p.is_file() and p.stat().st_size > 5_000_000]
        self.assertEqual([], big)

    def test_every_bundle_manifest_matches_its_files_and_graphs(self):
        import onnx
        for d in ("tiny", "official-layout"):
            m = bundle.read_manifest(FIXTURES / d)  # checks sha256
            dec = m["decoder"]
            g = onnx.load(str(FIXTURES / d / m["files"]["decoder"]["path"]))
            ins = {i.name: [x.dim_value or x.dim_param for x in i.type.tensor_type.shape.dim] for i in g.graph.input}
            self.assertEqual(["batch", dec["prefix_dim"]], ins["prefix"])
            self.assertEqual(["batch", dec["heads"], "past_len", dec["width"] // dec["heads"]],
                             ins[f"past_key_values.{dec['layers'] - 1}.value"])
            self.assertNotIn(f"past_key_values.{dec['layers']}.key", ins)
            self.assertEqual(m["embedding_dim"], dec["prefix_dim"])
            if dec["vocab_map"]:
                vm = json.loads((FIXTURES / d / m["files"][dec["vocab_map"]]["path"]).read_text())
                self.assertEqual(dec["vocab_size"], len(vm))
                self.assertEqual(1, vm.count(49407))
                self.assertTrue(all(-1 <= t < 49408 for t in vm))


@unittest.skipUnless(HAVE_FIXTURES and HAVE_ORT, "needs the committed fixtures and the onnxruntime jar")
class ReplayInOnnxRuntime(unittest.TestCase):
    def _replay(self, name, golden, beam_every=7):
        g = json.loads((FIXTURES / "golden" / golden).read_text())
        m = bundle.read_manifest(FIXTURES / name)
        dec = m["decoder"]
        vm = None
        if dec["vocab_map"]:
            vm = json.loads((FIXTURES / name / m["files"][dec["vocab_map"]]["path"]).read_text())
        vocab = search.Vocabulary(dec["vocab_size"], vm)
        prefixes = {p["id"]: np.asarray(p["prefix"], np.float32) for p in g["prefixes"]}
        onnx_path = FIXTURES / name / m["files"]["decoder"]["path"]
        n = 0
        for i, c in enumerate(g["cases"]):
            if c["search"] == "beam" and i % beam_every:
                continue
            src = search.OrtSource(onnx_path, prefixes[c["prefix_id"]], dec["layers"], dec["heads"],
                                   dec["width"] // dec["heads"])
            opts = search.DecodeOptions(max_tokens=c["max_tokens"], min_tokens=c["min_tokens"], mask=c["mask"])
            h = (search.greedy(src, vocab, opts) if c["search"] == "greedy"
                 else search.beam_search(src, vocab, c["beam_width"], c["length_penalty"], opts))
            self.assertEqual(c["result"]["decoder_ids"], h.decoder_ids, f"case {i}: {c}")
            self.assertEqual(c["result"]["token_ids"], vocab.tokenizer_ids(h.decoder_ids))
            np.testing.assert_allclose(h.logprobs, c["result"]["logprobs"], atol=1e-4)
            self.assertAlmostEqual(c["result"]["score"], h.score, delta=1e-4)
            n += 1
        return n

    def test_tiny_decoder_golden_replays_in_onnx_runtime(self):
        self.assertGreater(self._replay("tiny", "decoder_tiny.json"), 200)

    def test_official_layout_golden_replays_in_onnx_runtime(self):
        self.assertEqual(16, self._replay("official-layout", "decoder_official_layout.json"))

    @unittest.skipUnless(HAVE_SHARED, f"../shared/data not found: {SHARED}")
    def test_pipeline_golden_recomputes_from_the_committed_encoders(self):
        from decap_tools import ort
        from decap_tools.clip_tokenizer import ClipTokenizer
        g = json.loads((FIXTURES / "golden" / "pipeline_tiny.json").read_text())
        tiny = FIXTURES / "tiny"
        m = bundle.read_manifest(tiny)
        tok = ClipTokenizer(str(SHARED / "clip" / "bpe_simple_vocab_16e6.txt.gz"))
        anns = json.loads((SHARED / "coco" / "captions_val2017.json").read_text())["annotations"]
        caps = [a["caption"] for a in anns[:g["memory"]["count"]]]
        self.assertEqual(g["memory"]["first_captions"], caps[:20])
        ids = np.array(tok.tokenize_batch(caps), np.int64)
        self.assertEqual(g["memory"]["first_token_ids"], ids[:20].tolist())
        te = tiny / m["files"]["text_encoder"]["path"]
        mem = np.concatenate([ort.run(te, {"input_ids": ids[i:i + 250]})["text_embeds"]
                              for i in range(0, len(ids), 250)])
        mem = (mem / np.linalg.norm(mem, axis=1, keepdims=True)).astype(np.float32)
        np.testing.assert_allclose(mem.astype(np.float64).sum(1), g["memory"]["row_sums"], atol=1e-4)
        ie = tiny / m["files"]["image_encoder"]["path"]
        dec = m["decoder"]
        vocab = search.Vocabulary(dec["vocab_size"], json.loads((tiny / m["files"]["vocab_map"]["path"]).read_text()))
        for img in g["images"]:
            px = np.fromfile(SHARED / img["preprocessed"], "<f4").reshape(1, 3, 224, 224)
            emb = ort.run(ie, {"pixel_values": px})["image_embeds"][0]
            np.testing.assert_allclose(emb, img["image_embedding"], atol=1e-4)
            v = emb / np.linalg.norm(emb)
            sims = mem @ v
            w = np.exp((sims - sims.max()) / g["projection"]["tau"])
            w /= w.sum()
            p = (w[:, None] * mem).sum(0)
            p /= np.linalg.norm(p)
            np.testing.assert_allclose(p, img["projected"], atol=1e-4)
            self.assertEqual([t["index"] for t in img["top5"]], list(np.argsort(-w, kind="stable")[:5]))
            # decode the golden projected vector (the Java side does the same), then the recomputed one
            for prefix in (np.asarray(img["projected"], np.float32), p.astype(np.float32)):
                h = search.greedy(search.OrtSource(tiny / m["files"]["decoder"]["path"], prefix, dec["layers"],
                                                   dec["heads"], dec["width"] // dec["heads"]), vocab)
                self.assertEqual(img["greedy"]["decoder_ids"], h.decoder_ids, img["image"])


@unittest.skipIf(os.environ.get("DECAP_SKIP_REGENERATE"), "DECAP_SKIP_REGENERATE is set")
@unittest.skipUnless(HAVE_FIXTURES and HAVE_SHARED, "needs the committed fixtures and ../shared/data")
class Regeneration(unittest.TestCase):
    def test_make_fixtures_reproduces_every_committed_file(self):
        import make_fixtures
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / "fixtures"
            make_fixtures.make_fixtures(fresh, seed=0, shared=SHARED, verify=False)
            committed_files = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*") if p.is_file())
            fresh_files = sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file())
            self.assertEqual(committed_files, fresh_files)
            only_numeric = []
            for rel in committed_files:
                a, b = (fresh / rel).read_bytes(), (FIXTURES / rel).read_bytes()
                if a == b:
                    continue
                if rel.startswith("golden/") or rel.endswith("golden.json"):
                    diff = json_close(json.loads(a), json.loads(b))
                    self.assertIsNone(diff, f"{rel} differs: {diff}")
                    only_numeric.append(rel)
                else:
                    self.fail(f"{rel} is not byte-identical to a fresh export")
            if only_numeric:
                print(f"\nnote: numerically (not byte-) equal: {only_numeric}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    unittest.main(verbosity=2)
