"""Specifications of the decoder tooling. Run:
    /usr/bin/python3 -m unittest discover -s tools/tests -p 'test_decoder*.py'

ONNX Runtime checks skip when the onnxruntime jar is missing.
"""
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from decap_tools import bundle, search  # noqa: E402
from decap_tools.decoder_model import (DeCapDecoder, DecoderConfig, infer_config,  # noqa: E402
                                       load_official_state_dict, official_state_dict)


def _ort_available():
    try:
        from decap_tools import ort
        ort.ort_jar()
        return True
    except Exception:
        return False


HAVE_ORT = _ort_available()
torch.set_num_threads(1)


def small_decoder(vocab=300, seed=0, width=16, heads=2, layers=2, prefix_dim=8, positions=40):
    m = DeCapDecoder(DecoderConfig(prefix_dim=prefix_dim, width=width, layers=layers, heads=heads,
                                   vocab_size=vocab, max_positions=positions)).init_random(seed)
    with torch.no_grad():
        m.decoder.transformer.wte.weight.mul_(5.0)
        m.decoder.transformer.wpe.weight.mul_(5.0)
        m.clip_project.model[0].weight.mul_(20.0)
        m.decoder.transformer.ln_f.weight.fill_(8.0)
    return m.eval()


def unit(rng, n):
    p = rng.standard_normal(n).astype(np.float32)
    return p / np.linalg.norm(p)


class DecoderModelSpec(unittest.TestCase):
    def test_state_dict_keys_are_the_official_checkpoint_keys(self):
        m = DeCapDecoder(DecoderConfig(prefix_dim=8, width=16, layers=2, heads=2, vocab_size=50, max_positions=10))
        keys = set(m.state_dict())
        expected = {"decoder.transformer.wte.weight", "decoder.transformer.wpe.weight",
                    "decoder.transformer.ln_f.weight", "decoder.transformer.ln_f.bias", "decoder.lm_head.weight",
                    "clip_project.model.0.weight", "clip_project.model.0.bias"}
        for i in range(2):
            for part in ("ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
                         "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
                         "mlp.c_proj.weight", "mlp.c_proj.bias"):
                expected.add(f"decoder.transformer.h.{i}.{part}")
        self.assertEqual(expected, keys)
        # GPT-2 Conv1D layout: [in, out]
        self.assertEqual((16, 48), tuple(m.state_dict()["decoder.transformer.h.0.attn.c_attn.weight"].shape))
        self.assertIs(m.decoder.lm_head.weight, m.decoder.transformer.wte.weight)

    def test_official_layout_with_gpt2_buffers_loads_and_sizes_are_inferred(self):
        m = small_decoder()
        sd = official_state_dict(m)
        self.assertIn("decoder.transformer.h.0.attn.bias", sd)
        self.assertIn("decoder.transformer.h.1.attn.masked_bias", sd)
        cfg = infer_config(sd, heads=2)
        self.assertEqual(m.cfg, cfg)
        loaded = load_official_state_dict(sd, heads=2)
        p = unit(np.random.default_rng(0), 8)
        toks = torch.tensor([[3, 4, 5]])
        with torch.no_grad():
            a = m.logits_no_cache(torch.from_numpy(p)[None], toks)
            b = loaded.logits_no_cache(torch.from_numpy(p)[None], toks)
        self.assertTrue(torch.equal(a, b))

    def test_untied_head_is_refused(self):
        sd = official_state_dict(small_decoder())
        sd["decoder.lm_head.weight"] = sd["decoder.lm_head.weight"].clone() + 1.0
        with self.assertRaises(ValueError):
            load_official_state_dict(sd, heads=2)

    def test_kv_cached_step_equals_full_recompute_at_every_position(self):
        m = small_decoder()
        rng = np.random.default_rng(1)
        prefix = torch.from_numpy(np.stack([unit(rng, 8), unit(rng, 8)]))
        toks = torch.tensor([[5, 9, 11, 2, 7], [1, 1, 3, 250, 4]])
        with torch.no_grad():
            logits, past = m.step(prefix, torch.zeros(2, 1, dtype=torch.long), torch.tensor([True]),
                                  m.empty_past(2))
            for t in range(toks.shape[1] + 1):
                ref = m.logits_no_cache(prefix, toks[:, :t])
                self.assertLess(float((logits - ref).abs().max()), 1e-5, f"position {t}")
                if t < toks.shape[1]:
                    logits, past = m.step(prefix, toks[:, t:t + 1], torch.tensor([False]), past)
                    self.assertEqual(t + 2, past[0][0].shape[2])


class SearchSpec(unittest.TestCase):
    def setUp(self):
        self.model = small_decoder(vocab=300)
        vm = list(range(300))
        vm[7], vm[8] = -1, -1
        vm[299] = 49407
        vm[0] = 299
        self.vocab = search.Vocabulary(300, vm)

    def test_width_one_beam_without_length_penalty_equals_greedy(self):
        rng = np.random.default_rng(2)
        for _ in range(5):
            p = unit(rng, 8)
            g = search.greedy(search.NoCacheSource(self.model, p), self.vocab)
            b = search.beam_search(search.NoCacheSource(self.model, p), self.vocab, 1, 0.0)
            self.assertEqual(g.decoder_ids, b.decoder_ids)
            self.assertAlmostEqual(g.score, b.score, places=5)

    def test_masked_ids_are_never_chosen_and_min_tokens_delays_eot(self):
        rng = np.random.default_rng(3)
        for _ in range(5):
            p = unit(rng, 8)
            opts = search.DecodeOptions(min_tokens=4)
            for h in (search.greedy(search.NoCacheSource(self.model, p), self.vocab, opts),
                      search.beam_search(search.NoCacheSource(self.model, p), self.vocab, 3, 1.0, opts)):
                self.assertFalse({7, 8} & set(h.decoder_ids))
                self.assertNotIn(299, h.decoder_ids[:4])
                self.assertLessEqual(len(h.decoder_ids), 30)

    def test_greedy_stops_after_eot_and_reports_it(self):
        vocab = search.Vocabulary(300, [49407 if j == 5 else j for j in range(300)])

        class Fixed(search.LogitsSource):
            def __init__(self):
                self.n = 0

            def _l(self):
                l = np.zeros((1, 300), np.float32)
                l[0, 10 + self.n] = 3.0
                if self.n == 2:
                    l[0, 5] = 5.0
                return l

            def first(self):
                return self._l()

            def extend(self, parents, tokens):
                self.n += 1
                return self._l()

        h = search.greedy(Fixed(), vocab)
        self.assertEqual([10, 11, 5], h.decoder_ids)
        self.assertTrue(h.finished_with_eot)
        self.assertEqual([10, 11, 49407], vocab.tokenizer_ids(h.decoder_ids))

    def test_beam_candidates_tie_break_by_beam_then_token(self):
        # every token equally likely: the walk takes tokens 0, 1, 2 of beam 0 first
        class Flat(search.LogitsSource):
            def first(self):
                return np.zeros((1, 300), np.float32)

            def extend(self, parents, tokens):
                return np.zeros((len(parents), 300), np.float32)

        vocab = search.Vocabulary(300, [49407 if j == 299 else j for j in range(300)])
        h = search.beam_search(Flat(), vocab, 3, 0.0, search.DecodeOptions(max_tokens=3))
        self.assertEqual([0, 0, 0], h.decoder_ids)
        self.assertFalse(h.finished_with_eot)

    def test_kv_cached_search_equals_notebook_search(self):
        rng = np.random.default_rng(4)
        for _ in range(3):
            p = unit(rng, 8)
            for w, a in ((3, 0.0), (3, 1.0), (5, 2.0)):
                r = search.beam_search(search.NoCacheSource(self.model, p), self.vocab, w, a)
                c = search.beam_search(search.CachedSource(self.model, p), self.vocab, w, a)
                self.assertEqual(r.decoder_ids, c.decoder_ids)


@unittest.skipUnless(HAVE_ORT, "onnxruntime jar not found (see tools/README.md)")
class ExportAndConvertSpec(unittest.TestCase):
    def test_convert_checkpoint_round_trips_through_onnx_runtime(self):
        """A random official-layout state dict -> convert_checkpoint.py (CLI) -> greedy tokens ORT == PyTorch."""
        m = small_decoder(vocab=50257, width=8, layers=1, prefix_dim=16, positions=1024)
        with tempfile.TemporaryDirectory() as tmp:
            ckpt = Path(tmp) / "coco_prefix-009.pt"
            torch.save(official_state_dict(m), ckpt)
            out = Path(tmp) / "bundle"
            r = subprocess.run([sys.executable, str(TOOLS / "convert_checkpoint.py"), "--checkpoint", str(ckpt),
                                "--out", str(out), "--heads", "2"], capture_output=True, text=True)
            self.assertEqual(0, r.returncode, r.stderr[-2000:])
            man = bundle.read_manifest(out)
            self.assertEqual({"decoder"}, set(man["files"]))
            self.assertIsNone(man["decoder"]["vocab_map"])
            self.assertEqual({"prefix_dim": 16, "width": 8, "layers": 1, "heads": 2, "vocab_size": 50257,
                              "max_positions": 1024, "vocab_map": None}, man["decoder"])
            self.assertEqual(16, man["embedding_dim"])
            vocab = search.Vocabulary(50257)
            rng = np.random.default_rng(5)
            for _ in range(3):
                p = unit(rng, 16)
                ref = search.greedy(search.NoCacheSource(m, p), vocab)
                got = search.greedy(search.OrtSource(out / "decoder.onnx", p, 1, 2, 4), vocab)
                self.assertEqual(ref.decoder_ids, got.decoder_ids)
                np.testing.assert_allclose(got.logprobs, ref.logprobs, atol=1e-4)

    def test_export_is_deterministic_and_keeps_past_len_dynamic(self):
        from export_decoder import export_decoder, verify_decoder_onnx
        m = small_decoder(vocab=300)
        with tempfile.TemporaryDirectory() as tmp:
            a = export_decoder(m, Path(tmp) / "a" / "decoder.onnx")
            b = export_decoder(m, Path(tmp) / "b" / "decoder.onnx")
            self.assertEqual(a.read_bytes(), b.read_bytes())
            report = verify_decoder_onnx(m, a, search.Vocabulary(300, [49407 if j == 1 else j for j in range(300)]),
                                         steps=6, batches=(1, 3), greedy_cases=2, log=lambda s: None)
            self.assertLess(report["logits_max_abs_diff"], 1e-4)


if __name__ == "__main__":
    unittest.main()
