"""Specifications of GPTQ, the scale search and mixed-precision int4 graphs (tools/decap_tools/quantize.py,
tools/decap_tools/calibrate.py, tools/quantize_bundle.py --gptq / --scale-search / --int8-nodes). Run:
    /usr/bin/python3 -m unittest discover -s tools/tests -p 'test_gptq*.py'

ONNX Runtime checks skip when the onnxruntime jar is missing.
"""
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402

from decap_tools import calibrate  # noqa: E402
from decap_tools import quantize as qz  # noqa: E402
from decap_tools.decoder_model import DeCapDecoder, DecoderConfig  # noqa: E402
from test_quantize import HAVE_ORT, tied_graph  # noqa: E402


def correlated_inputs(rows, k, seed):
    """Calibration-like inputs: a few strong directions, feature scales that differ by 10x, a non-zero mean."""
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((8, k))
    x = rng.standard_normal((rows, 8)) @ basis + 0.3 * rng.standard_normal((rows, k))
    return (x * np.linspace(0.2, 2.0, k) + 0.5).astype(np.float32)


def output_error(x, w_kn, q):
    """||X (W - Q)||^2 of a quantized [K, N] weight."""
    d = x.astype(np.float64) @ (q.dequantized_kn().astype(np.float64) - w_kn)
    return float(np.square(d).sum())


class GptqSpec(unittest.TestCase):
    def test_gptq_makes_the_outputs_closer_than_round_to_nearest(self):
        rng = np.random.default_rng(0)
        for bits in (4, 8):
            for block in (16, 32):
                for act_order in (False, True):
                    x = correlated_inputs(2000, 96, seed=bits + block)
                    w = rng.standard_normal((96, 40)).astype(np.float32)
                    h = x.astype(np.float64).T @ x
                    rtn = output_error(x, w, qz.quantize_matrix(w, bits, block))
                    gptq = output_error(x, w, qz.quantize_matrix(w, bits, block, hessian=h, act_order=act_order))
                    self.assertLess(gptq, 0.7 * rtn, (bits, block, act_order, gptq, rtn))

    def test_with_an_identity_hessian_and_no_damping_gptq_is_round_to_nearest(self):
        w = np.random.default_rng(1).standard_normal((64, 24)).astype(np.float32)
        for bits in (4, 8):
            ref = qz.quantize_matrix(w, bits, 32)
            for act_order in (False, True):
                q = qz.quantize_matrix(w, bits, 32, hessian=np.eye(64), damp=0.0, act_order=act_order)
                np.testing.assert_array_equal(q.packed, ref.packed)
                np.testing.assert_array_equal(q.scales, ref.scales)

    def test_codes_keep_the_block_layout_and_unused_inputs_become_zero(self):
        rng = np.random.default_rng(2)
        x = correlated_inputs(500, 80, seed=3)   # K = 80: padded to whole blocks of 32
        x[:, 5] = 0                              # an input feature that never occurs
        w = rng.standard_normal((80, 12)).astype(np.float32)
        q = qz.quantize_matrix(w, 4, 32, hessian=x.astype(np.float64).T @ x)
        self.assertEqual(q.packed.shape, (12, 3, 16))
        self.assertEqual(q.scales.shape, (12, 3))
        deq = q.dequantized_kn()
        self.assertEqual(deq.shape, (80, 12))
        np.testing.assert_array_equal(deq[5], np.zeros(12, np.float32))
        codes = qz.unpack(q.packed.reshape(12, -1), 4)
        self.assertTrue(np.all(codes[:, 80:] == 8))   # the padding is the zero point

    def test_a_hessian_of_the_wrong_shape_is_refused(self):
        with self.assertRaises(ValueError):
            qz.quantize_matrix(np.ones((32, 4), np.float32), 4, 32, hessian=np.eye(16))

    def test_scale_search_never_increases_a_blocks_error_and_lowers_the_total(self):
        rng = np.random.default_rng(4)
        w = (rng.standard_t(3, (64, 256))).astype(np.float32)   # heavy tails: clipping pays
        for bits in (4, 8):
            blocks = w.reshape(64, 8, 32)
            plain = qz._block_error(blocks, qz.block_scales(blocks, bits), bits)
            searched = qz._block_error(blocks, qz.block_scales(blocks, bits, scale_search=True), bits)
            self.assertTrue(np.all(searched <= plain))
            self.assertLess(searched.sum(), plain.sum())
            codes, scales = qz.quantize_blockwise(w, bits, 32, scale_search=True)
            deq = qz.dequantize_blockwise(codes, scales, bits, 32, 256)
            np.testing.assert_allclose(np.square(deq - w, dtype=np.float64).reshape(64, 8, 32).sum(2), searched,
                                       rtol=1e-5)


class MixedGraphSpec(unittest.TestCase):
    def test_int8_nodes_get_8_bits_and_their_own_block_size_in_an_int4_graph(self):
        model, _ = tied_graph()
        report = qz.quantize_graph(model, "int4", block_size=16, min_elements=1000, tied_bits=8,
                                   int8_nodes="^mm$", int8_block_size=32)
        layout = {r["node"]: (r.get("bits"), r.get("block_size")) for r in report.replaced}
        self.assertEqual(layout["mm"], (8, 32))
        self.assertEqual(layout["gemm"], (4, 16))
        self.assertEqual(layout["head"], (8, 32))                 # the tied table: --tied-bits 8
        nodes = {n.name: n for n in model.graph.node}
        self.assertEqual((qz._attr(nodes["mm_Q8"], "bits"), qz._attr(nodes["mm_Q8"], "block_size")), (8, 32))
        self.assertEqual((qz._attr(nodes["gemm_Q4"], "bits"), qz._attr(nodes["gemm_Q4"], "block_size")), (4, 16))
        gather = next(n for n in model.graph.node if n.op_type == "GatherBlockQuantized")
        self.assertEqual((qz._attr(gather, "bits"), qz._attr(gather, "block_size")), (8, 32))
        onnx.checker.check_model(model)

    @unittest.skipUnless(HAVE_ORT, "onnxruntime jar not found")
    def test_onnx_runtime_computes_a_mixed_gptq_graph_as_the_reference_says(self):
        from decap_tools import ort
        rng = np.random.default_rng(6)
        ids = np.array([[1], [94]], np.int64)
        x = rng.standard_normal((2, 64)).astype(np.float32)
        z = rng.standard_normal((2, 16)).astype(np.float32)
        model, w = tied_graph()
        xh = correlated_inputs(400, 64, seed=8)   # w1 [64, 48] and w2^T (transB) both multiply 64 features
        hessians = {"w2": xh.astype(np.float64).T @ xh, "w1": xh.astype(np.float64).T @ xh}
        qz.quantize_graph(model, "int4", block_size=16, accuracy_level=0, min_elements=1000, tied_bits=8,
                          int8_nodes="^mm$", int8_block_size=32, hessians=hessians, act_order=True)
        with tempfile.TemporaryDirectory() as d:
            onnx.save(model, str(Path(d) / "mixed.onnx"))
            out = ort.run(Path(d) / "mixed.onnx", {"ids": ids, "x": x, "z": z})
        head = qz.quantize_matrix(w["wte"].T, 8, 32)
        rows = head.dequantized_kn().T[ids[:, 0]]
        np.testing.assert_array_equal(out["e"][:, 0, :], rows)
        np.testing.assert_allclose(out["logits"], qz.reference_matmul_nbits(x, head), atol=2e-5)
        w1 = qz.quantize_matrix(w["w1"], 8, 32, hessian=hessians["w1"], act_order=True)
        np.testing.assert_allclose(out["y1"][:, 0, :], qz.reference_matmul_nbits(rows, w1), atol=2e-5)
        w2 = qz.quantize_matrix(w["w2"].T, 4, 16, hessian=hessians["w2"], act_order=True)
        np.testing.assert_allclose(out["y2"], qz.reference_matmul_nbits(x, w2, w["b2"]), atol=2e-5)


class VariantNoteSpec(unittest.TestCase):
    def test_a_variant_made_again_replaces_its_note_and_names_its_8_bit_nodes(self):
        import quantize_bundle
        from decap_tools import bundle
        from test_quantize import BundleSpec
        with tempfile.TemporaryDirectory() as d:
            src = BundleSpec._bundle(self, Path(d))
            quantize_bundle.main([str(src), str(src), "--decoder", "int8", "--as-variants"])
            quantize_bundle.main([str(src), str(src), "--decoder", "int4", "--as-variants"])
            quantize_bundle.main([str(src), str(src), "--decoder", "int4", "--as-variants", "--block-size", "16",
                                  "--tied-bits", "8", "--int8-nodes", "^mm$", "--int8-block-size", "32"])
            m = bundle.read_manifest(src, check_hashes=True)
        text = m["description"]
        self.assertEqual(text.count("Variants: decoder int4 "), 1, text)
        self.assertEqual(text.count("Variants: decoder int8 "), 1, text)
        self.assertIn("8 bits for the decoder's tied table and nodes ^mm$ (block 32), block 16", text)
        self.assertEqual(set(m["files"]["decoder"]["variants"]), {"int8", "int4"})


def small_decoder(seed=0):
    """A random decoder whose every parameter differs (as a trained one's: the ONNX export would merge the equal
    zero biases and unit LayerNorm weights of a freshly initialised model)."""
    cfg = DecoderConfig(prefix_dim=16, width=32, layers=2, heads=2, vocab_size=20, max_positions=12)
    model = DeCapDecoder(cfg).init_random(seed, std=0.2)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") or ".ln_" in name or "ln_f" in name:
                p.add_(0.1 * torch.randn(p.shape, generator=g))
    return model.eval()


def calibration(model, n=40, seed=1):
    g = torch.Generator().manual_seed(seed)
    prefixes = torch.nn.functional.normalize(torch.randn(n, model.cfg.prefix_dim, generator=g), dim=-1)
    lengths = torch.randint(1, 8, (n,), generator=g).tolist()
    ids = [torch.randint(2, model.cfg.vocab_size, (k,), generator=g).tolist() for k in lengths]
    return prefixes, ids


class CalibrationSpec(unittest.TestCase):
    def test_the_decoder_is_rebuilt_from_its_onnx_export(self):
        from export_decoder import export_decoder
        model = small_decoder()
        with tempfile.TemporaryDirectory() as d:
            export_decoder(model, Path(d) / "decoder.onnx")
            rebuilt, keys = calibrate.decoder_from_onnx(Path(d) / "decoder.onnx", heads=2)
            names = {t.name for t in onnx.load(str(Path(d) / "decoder.onnx")).graph.initializer}
        for k, v in model.state_dict().items():
            torch.testing.assert_close(rebuilt.state_dict()[k], v, rtol=0, atol=0)
        self.assertTrue(set(keys.values()) <= names)
        self.assertIn("decoder.transformer.h.1.mlp.c_proj.weight", keys)

    def test_hessians_count_the_prefix_and_every_caption_token(self):
        model = small_decoder()
        prefixes, ids = calibration(model)
        h = calibrate.layer_hessian(model, "clip_project.model.0.weight", prefixes, ids, batch=16)
        np.testing.assert_allclose(h, (prefixes.double().T @ prefixes.double()).numpy(), rtol=1e-10)
        h_head = calibrate.layer_hessian(model, "decoder.transformer.wte.weight", prefixes, ids, batch=16)
        rows = []
        with torch.no_grad():
            for p, t in zip(prefixes, ids):   # one caption at a time: no padding at all
                embeds = torch.cat([model.embed_prefix(p[None]),
                                    model.decoder.transformer.wte(torch.tensor([t]))], dim=1)
                captured = []
                hook = model.decoder.transformer.ln_f.register_forward_hook(lambda m, i, o: captured.append(o))
                model.forward_embeds(embeds)
                hook.remove()
                rows.append(captured[0][0].double())
        x = torch.cat(rows)
        self.assertEqual(x.shape[0], sum(len(t) + 1 for t in ids))
        np.testing.assert_allclose(h_head, (x.T @ x).numpy(), rtol=1e-5, atol=1e-4)   # float32 forwards

    def test_sequential_calibration_quantizes_in_run_order_on_the_partly_quantized_model(self):
        model = small_decoder()
        prefixes, ids = calibration(model)
        keys = {k: "model." + k for k in model.state_dict()}
        wanted = ["model.decoder.transformer.wte.weight", "model.decoder.transformer.h.0.attn.c_attn.weight",
                  "model.decoder.transformer.h.1.mlp.c_proj.weight"]
        seen = []

        def quantize(name, w_kn, h):
            seen.append(name)
            self.assertEqual(h.shape, (w_kn.shape[0], w_kn.shape[0]))
            return qz.quantize_matrix(w_kn, 4, 16, hessian=h).dequantized_kn()

        ref = small_decoder()
        out = calibrate.gptq_hessians(model, keys, prefixes, ids, quantize, wanted)
        self.assertEqual(seen, wanted)
        self.assertEqual(sorted(out), sorted(wanted))
        # the last Hessian was taken with the earlier layers quantized, not on the float32 model
        h_float = calibrate.layer_hessian(ref, "decoder.transformer.h.1.mlp.c_proj.weight", prefixes, ids)
        self.assertFalse(np.allclose(out[wanted[2]], h_float))
        # the model ends with the dequantized weights; the tied head and embedding stay one table
        w = model.decoder.transformer.wte.weight
        self.assertIs(model.decoder.lm_head.weight, w)
        self.assertFalse(torch.equal(w, ref.decoder.transformer.wte.weight))
        self.assertTrue(torch.equal(model.decoder.transformer.h[0].mlp.c_fc.weight,
                                    ref.decoder.transformer.h[0].mlp.c_fc.weight))   # not asked for: float32


if __name__ == "__main__":
    unittest.main()
