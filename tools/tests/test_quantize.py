"""Specifications of the weight-only quantizer (tools/decap_tools/quantize.py, tools/quantize_bundle.py). Run:
    /usr/bin/python3 -m unittest discover -s tools/tests -p 'test_quantize*.py'

The numpy reference below is written independently of the module (plain loops over blocks); ONNX Runtime checks
skip when the onnxruntime jar is missing.
"""
import json
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from decap_tools import bundle  # noqa: E402
from decap_tools import quantize as qz  # noqa: E402


def _ort_available():
    try:
        from decap_tools import ort
        ort.ort_jar()
        return True
    except Exception:
        return False


HAVE_ORT = _ort_available()


def reference_quantize(w_nk, bits, block):
    """Loop-by-loop symmetric block quantization: the signed value of largest magnitude maps to -2^(bits-1)."""
    n, k = w_nk.shape
    nb = -(-k // block)
    half = 2 ** (bits - 1)
    codes = np.full((n, nb * block), half, np.uint8)
    scales = np.zeros((n, nb), np.float32)
    for r in range(n):
        for b in range(nb):
            blk = np.zeros(block, np.float32)
            part = w_nk[r, b * block:(b + 1) * block]
            blk[:len(part)] = part
            m = blk[int(np.argmax(np.abs(blk)))]
            s = np.float32(m / -half)
            scales[r, b] = s
            if s != 0:
                for i in range(block):
                    codes[r, b * block + i] = int(min(max(np.rint(blk[i] / s), -half), half - 1)) + half
    return codes, scales


def reference_pack4(codes):
    out = np.zeros(codes.shape[:-1] + (codes.shape[-1] // 2,), np.uint8)
    for idx in np.ndindex(out.shape):
        lo = codes[idx[:-1] + (2 * idx[-1],)]
        hi = codes[idx[:-1] + (2 * idx[-1] + 1,)]
        out[idx] = lo | (hi << 4)
    return out


def tied_graph(v=96, d=64, n=48, seed=0):
    """Gather(wte) -> MatMul(w1); Gemm(x, w2, b2, transB=1); tied head Gemm(x, wte, transB=1); a small MatMul."""
    rng = np.random.default_rng(seed)
    inits = {"wte": rng.standard_normal((v, d)), "w1": rng.standard_normal((d, n)),
             "w2": rng.standard_normal((n, d)), "b2": rng.standard_normal(n), "small": rng.standard_normal((16, 4))}
    nodes = [helper.make_node("Gather", ["wte", "ids"], ["e"], name="/wte/Gather"),
             helper.make_node("MatMul", ["e", "w1"], ["y1"], name="mm"),
             helper.make_node("Gemm", ["x", "w2", "b2"], ["y2"], name="gemm", transB=1),
             helper.make_node("Gemm", ["x", "wte"], ["logits"], name="head", transB=1),
             helper.make_node("MatMul", ["z", "small"], ["y3"], name="small_mm")]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("ids", TensorProto.INT64, [2, 1]),
                                       helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, d]),
                                       helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 16])],
                          [helper.make_tensor_value_info(o, TensorProto.FLOAT, shape) for o, shape in
                           (("e", [2, 1, d]), ("y1", [2, 1, n]), ("y2", [2, n]), ("logits", [2, v]), ("y3", [2, 4]))],
                          [numpy_helper.from_array(a.astype(np.float32), k) for k, a in inits.items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), \
        {k: a.astype(np.float32) for k, a in inits.items()}


class PackingSpec(unittest.TestCase):
    def test_quantization_matches_the_loop_reference(self):
        rng = np.random.default_rng(1)
        w = rng.standard_normal((7, 80)).astype(np.float32)   # K not a multiple of the block: padded
        w[3, :32] = 0                                           # an all-zero block
        for bits in (4, 8):
            for block in (16, 32):
                codes, scales = qz.quantize_blockwise(w, bits, block)
                ref_codes, ref_scales = reference_quantize(w, bits, block)
                np.testing.assert_array_equal(codes, ref_codes)
                np.testing.assert_array_equal(scales, ref_scales)

    def test_pack_unpack_round_trip_and_nibble_order(self):
        rng = np.random.default_rng(2)
        codes4 = rng.integers(0, 16, (5, 3, 32), dtype=np.uint8)
        packed = qz.pack(codes4, 4)
        np.testing.assert_array_equal(packed, reference_pack4(codes4))
        np.testing.assert_array_equal(qz.unpack(packed, 4), codes4)
        self.assertEqual(int(qz.pack(np.array([[1, 2]], np.uint8), 4)[0, 0]), 0x21)   # low nibble first
        codes8 = rng.integers(0, 256, (4, 64), dtype=np.uint8)
        np.testing.assert_array_equal(qz.unpack(qz.pack(codes8, 8), 8), codes8)

    def test_largest_magnitude_is_exact_and_error_is_within_half_a_step_unless_clipped(self):
        rng = np.random.default_rng(3)
        w = rng.standard_normal((64, 96)).astype(np.float32)
        for bits in (4, 8):
            q = qz.quantize_matrix(w, bits, 32)
            self.assertEqual(q.packed.shape, (96, 2, 32 * bits // 8))
            self.assertEqual(q.scales.shape, (96, 2))
            deq = q.dequantized_kn()
            blocks = np.abs(w.T).reshape(96, 2, 32)
            step = np.repeat(np.abs(q.scales), 32, axis=1).T
            err = np.abs(deq - w)
            half = 2 ** (bits - 1)
            representable = w / np.repeat(q.scales, 32, axis=1).T <= half - 1   # the top code clips the rest
            self.assertTrue(np.all(err[representable] <= step[representable] / 2 + 1e-6))
            self.assertTrue(np.all(err <= step + 1e-6))
            # the largest-magnitude element of every block is reproduced exactly
            amax = blocks.max(axis=2)
            np.testing.assert_allclose(np.abs(deq.T).reshape(96, 2, 32).max(axis=2), amax, rtol=1e-6)

    def test_invalid_settings_are_refused(self):
        w = np.ones((32, 4), np.float32)
        with self.assertRaises(ValueError):
            qz.quantize_matrix(w, 3, 32)
        with self.assertRaises(ValueError):
            qz.quantize_matrix(w, 4, 24)


class GraphSpec(unittest.TestCase):
    def test_matmuls_gemms_and_the_tied_gather_are_rewritten_and_fp32_tables_dropped(self):
        for precision, bits in (("int8", 8), ("int4", 4)):
            model, _ = tied_graph()
            report = qz.quantize_graph(model, precision, block_size=32, min_elements=1000)
            ops = [n.op_type for n in model.graph.node]
            self.assertEqual(ops.count("MatMulNBits"), 3, ops)        # mm, gemm, head
            self.assertEqual(ops.count("GatherBlockQuantized"), 1)
            self.assertIn("MatMul", ops)                               # the small one stays float32
            names = {t.name for t in model.graph.initializer}
            self.assertFalse({"wte", "w1", "w2"} & names, names)       # no float32 copy of a quantized weight
            self.assertIn("b2", names)                                 # Gemm's C became MatMulNBits' bias
            head = next(n for n in model.graph.node if n.op_type == "MatMulNBits" and n.input[0] == "x"
                        and qz._attr(n, "N") == 96)
            gather = next(n for n in model.graph.node if n.op_type == "GatherBlockQuantized")
            self.assertEqual(gather.input[0], head.input[1])           # one table for the head and the gather
            self.assertEqual(qz._attr(head, "bits"), bits)
            self.assertEqual(report.kept, [{"node": "small_mm", "op": "MatMul", "shape": [16, 4]}])
            onnx.checker.check_model(model)

    def test_fp16_stores_half_weights_behind_casts_by_default(self):
        model, w = tied_graph()
        qz.quantize_graph(model, "fp16", min_elements=1000)
        half = {t.name for t in model.graph.initializer if t.data_type == TensorProto.FLOAT16}
        self.assertEqual(half, {"wte_fp16", "w1_fp16", "w2_fp16"})
        casts = [n for n in model.graph.node if n.op_type == "Cast"]
        self.assertEqual(sorted(n.output[0] for n in casts), ["w1", "w2", "wte"])   # the original names
        onnx.checker.check_model(model)

    def test_fp16_matmul_reads_half_weights_in_half_matmuls_and_gathers(self):
        model, w = tied_graph()
        qz.quantize_graph(model, "fp16", min_elements=1000, fp16_matmul=True)
        half = {t.name: t for t in model.graph.initializer if t.data_type == TensorProto.FLOAT16}
        self.assertEqual(set(half), {"wte_fp16", "w1_fp16", "w2_fp16"})
        self.assertNotIn("wte", {t.name for t in model.graph.initializer})
        np.testing.assert_array_equal(numpy_helper.to_array(half["w1_fp16"]), w["w1"].astype(np.float16))
        matmuls = [n for n in model.graph.node if n.op_type == "MatMul" and n.name in ("mm", "gemm", "head")]
        self.assertEqual(len(matmuls), 3)
        gather = next(n for n in model.graph.node if n.op_type == "Gather")
        self.assertEqual(gather.input[0], "wte_fp16")
        onnx.checker.check_model(model)

    @unittest.skipUnless(HAVE_ORT, "onnxruntime jar not found")
    def test_onnx_runtime_runs_the_fp16_graph_on_the_rounded_weights(self):
        from decap_tools import ort
        rng = np.random.default_rng(5)
        ids = np.array([[3], [90]], np.int64)
        x = rng.standard_normal((2, 64)).astype(np.float32)
        z = rng.standard_normal((2, 16)).astype(np.float32)
        model, w = tied_graph()
        qz.quantize_graph(model, "fp16", min_elements=1000, fp16_matmul=True)
        with tempfile.TemporaryDirectory() as d:
            onnx.save(model, str(Path(d) / "fp16.onnx"))
            out = ort.run(Path(d) / "fp16.onnx", {"ids": ids, "x": x, "z": z})
        h = {k: v.astype(np.float16).astype(np.float32) for k, v in w.items()}
        np.testing.assert_array_equal(out["e"][:, 0, :], h["wte"][ids[:, 0]])
        xh = x.astype(np.float16).astype(np.float32)
        np.testing.assert_allclose(out["logits"], xh @ h["wte"].T, rtol=1e-2, atol=2e-2)
        np.testing.assert_allclose(out["y2"], xh @ h["w2"].T + w["b2"], rtol=1e-2, atol=2e-2)

    @unittest.skipUnless(HAVE_ORT, "onnxruntime jar not found")
    def test_onnx_runtime_computes_what_the_reference_says(self):
        from decap_tools import ort
        rng = np.random.default_rng(4)
        ids = np.array([[0], [95]], np.int64)
        x = rng.standard_normal((2, 64)).astype(np.float32)
        z = rng.standard_normal((2, 16)).astype(np.float32)
        with tempfile.TemporaryDirectory() as d:
            for precision, bits in (("int8", 8), ("int4", 4)):
                model, w = tied_graph()
                qz.quantize_graph(model, precision, block_size=32, accuracy_level=0, min_elements=1000)
                path = Path(d) / f"{precision}.onnx"
                onnx.save(model, str(path))
                out = ort.run(path, {"ids": ids, "x": x, "z": z})
                head = qz.quantize_matrix(w["wte"].T, bits, 32)
                rows = head.dequantized_kn().T[ids[:, 0]]
                np.testing.assert_array_equal(out["e"][:, 0, :], rows)
                np.testing.assert_allclose(out["logits"], qz.reference_matmul_nbits(x, head), atol=2e-5)
                np.testing.assert_allclose(out["y1"][:, 0, :], qz.reference_matmul_nbits(
                    rows, qz.quantize_matrix(w["w1"], bits, 32)), atol=2e-5)
                np.testing.assert_allclose(out["y2"], qz.reference_matmul_nbits(
                    x, qz.quantize_matrix(w["w2"].T, bits, 32), w["b2"]), atol=2e-5)
                np.testing.assert_allclose(out["y3"], z @ w["small"], atol=1e-5)


class BundleSpec(unittest.TestCase):
    def _bundle(self, d: Path) -> Path:
        src = d / "in"
        src.mkdir()
        model, _ = tied_graph()
        onnx.save(model, str(src / "decoder.onnx"))
        (src / "vocab.txt").write_text("a\n")
        bundle.write_manifest(src, "t", "test", "test", {"decoder": src / "decoder.onnx",
                                                        "tokenizer_vocabulary": src / "vocab.txt"}, 64,
                              tokenizer={"type": "word", "vocabulary": "vocab.txt"})
        return src

    def test_variants_are_added_in_place_with_their_precision_and_checksum(self):
        import quantize_bundle
        with tempfile.TemporaryDirectory() as d:
            src = self._bundle(Path(d))
            for p in ("int8", "int4"):
                self.assertEqual(quantize_bundle.main([str(src), str(src), "--decoder", p, "--as-variants"]), 0)
            m = bundle.read_manifest(src, check_hashes=True)
            dec = m["files"]["decoder"]
            self.assertEqual((dec["path"], dec["precision"]), ("decoder.onnx", "fp32"))
            self.assertEqual({k: v["path"] for k, v in dec["variants"].items()},
                             {"int8": "decoder-int8.onnx", "int4": "decoder-int4.onnx"})
            self.assertEqual(dec["variants"]["int4"]["sha256"], bundle.sha256(src / "decoder-int4.onnx"))
            self.assertNotIn("precision", m["files"]["tokenizer_vocabulary"])   # not a model

    def test_a_new_bundle_makes_the_quantized_file_its_default(self):
        import quantize_bundle
        with tempfile.TemporaryDirectory() as d:
            src = self._bundle(Path(d))
            out = Path(d) / "out"
            quantize_bundle.main([str(src), str(out), "--decoder", "int4", "--report", str(Path(d) / "r.json")])
            m = bundle.read_manifest(out, check_hashes=True)
            self.assertEqual(m["files"]["decoder"]["precision"], "int4")
            self.assertNotIn("variants", m["files"]["decoder"])
            self.assertTrue((out / "vocab.txt").is_file())
            r = json.loads((Path(d) / "r.json").read_text())["files"]["decoder"]
            self.assertLess(r["file_bytes"], r["source_bytes"])
            shutil.rmtree(out)


if __name__ == "__main__":
    unittest.main()
