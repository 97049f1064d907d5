"""Weight-only quantization of decap's ONNX graphs with ``onnx`` + numpy (there is no onnxruntime for Python here).

What it writes is run by ONNX Runtime's contrib operators (``com.microsoft`` domain, CPU kernels in ORT 1.24):

* ``MatMulNBits`` (``A @ dequant(B)^T``): ``B`` uint8 ``[N, k_blocks, blob]`` with ``blob = block_size * bits / 8``,
  the codes of one output column packed along K, low bits first (4-bit: element 2i in the low nibble, 2i+1 in the
  high nibble); ``scales`` float32 ``[N, k_blocks]``; no ``zero_points`` input, so ORT uses its default
  ``2^(bits-1)`` (8 for 4 bits, 128 for 8 bits): the quantization is symmetric. Optional ``bias`` is input 5.
* ``GatherBlockQuantized`` (token embedding): ``data`` uint8 ``[V, D * bits / 8]`` packed the same way along D,
  ``scales`` ``[V, D / block_size]``, ``gather_axis`` 0, ``quantize_axis`` 1, default zero point ``2^(bits-1)``
  for uint8 data. With the tied LM head both read the same codes and scales (the packed bytes are identical; only
  the ONNX shape differs, so the file stores the table once per layout: see :func:`quantize_graph`).

Quantization (symmetric, per block of ``block_size`` consecutive K values of one output column): the element of
largest magnitude ``m`` (with its sign) sets ``scale = m / -2^(bits-1)``, so it maps exactly to the code 0 (= the
most negative level) and every other element lies within ``[-2^(bits-1), 2^(bits-1) - 1] * |scale|``; codes are
``clip(round(w / scale), -2^(bits-1), 2^(bits-1) - 1) + 2^(bits-1)``. This is MLAS's blockwise symmetric scheme.
Two ways to choose better codes in the same format: a per-block clipping search for the scale
(:func:`block_scales`, ``scale_search``), and GPTQ (:func:`quantize_gptq`) from the Hessian ``X^T X`` of the
layer's calibration inputs (``hessians`` of :func:`quantize_graph`; :mod:`decap_tools.calibrate` computes them).

fp16 (``precision="fp16"``): every float32 initializer with at least ``min_elements`` values is stored as float16
and cast back to float32 by a ``Cast`` node, so the graph computes in float32 exactly as before on the rounded
weights (ONNX Runtime folds the casts at session start: the file halves, the memory read per step does not).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import re

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MS_DOMAIN = "com.microsoft"
PRECISIONS = ("fp32", "fp16", "int8", "int4")


# --------------------------------------------------------------------------------------------------- packing

#: clipping factors tried by the scale search (``scale_search``): 1.00, 0.99, .. 0.70 of the block's largest magnitude
SEARCH_FACTORS = tuple(round(1.0 - 0.01 * i, 2) for i in range(31))


def _check_bits(bits: int, block_size: int) -> None:
    if bits not in (4, 8):
        raise ValueError(f"bits: expected 4 or 8, found {bits}")
    if block_size < 16 or block_size & (block_size - 1):
        raise ValueError(f"block_size must be a power of two >= 16, found {block_size}")


def block_scales(blocks: np.ndarray, bits: int, scale_search: bool = False) -> np.ndarray:
    """The float32 scale of each block of ``blocks`` (``[..., block_size]``; the last axis is one block).

    Without ``scale_search``: ``m / -2^(bits-1)`` where ``m`` is the block's element of largest magnitude (with its
    sign), so ``m`` maps exactly to the most negative level. With ``scale_search``: the scale among
    ``f * m / -2^(bits-1)`` and ``f * m / (2^(bits-1) - 1)`` for every clipping factor ``f`` of
    :data:`SEARCH_FACTORS` (``m`` mapped to the most negative or to the most positive level, the largest values
    possibly clipped) whose round-to-nearest codes give the block the smallest squared error; ties keep the
    first candidate, so a block never ends with a larger error than without the search.
    """
    b = np.asarray(blocks, dtype=np.float32)
    idx = np.argmax(np.abs(b), axis=-1)
    m = np.take_along_axis(b, idx[..., None], axis=-1)[..., 0]
    half = 1 << (bits - 1)
    best = (m / np.float32(-half)).astype(np.float32)
    if not scale_search:
        return best
    best_err = _block_error(b, best, bits)
    for f in SEARCH_FACTORS:
        for level in (-half, half - 1):
            s = (m * np.float32(f) / np.float32(level)).astype(np.float32)
            err = _block_error(b, s, bits)
            better = err < best_err
            best = np.where(better, s, best)
            best_err = np.where(better, err, best_err)
    return best


def _block_error(blocks: np.ndarray, scales: np.ndarray, bits: int) -> np.ndarray:
    """Squared error of each block after round-to-nearest with ``scales`` (float64 sums)."""
    q = _codes(blocks, scales, bits).astype(np.float32) - (1 << (bits - 1))
    d = q * scales[..., None] - blocks
    return np.square(d, dtype=np.float64).sum(axis=-1)


def _codes(values: np.ndarray, scales: np.ndarray, bits: int) -> np.ndarray:
    """Unsigned round-to-nearest codes of ``values`` ``[..., j]`` with ``scales`` ``[...]`` (zero scale: the zero
    point)."""
    half = 1 << (bits - 1)
    safe = np.where(scales == 0, np.float32(1), scales).astype(np.float32)
    q = np.clip(np.rint(values / safe[..., None]), -half, half - 1) + half
    return np.where(scales[..., None] == 0, half, q).astype(np.uint8)


def quantize_blockwise(w_nk: np.ndarray, bits: int, block_size: int,
                       scale_search: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """Quantizes ``w_nk`` (float32 ``[N, K]``: one row per output column) block-wise along K, round to nearest.

    Returns ``(codes, scales)``: codes uint8 ``[N, k_blocks * block_size]`` (unsigned, zero point ``2^(bits-1)``,
    K padded with zeros to whole blocks) and scales float32 ``[N, k_blocks]`` (:func:`block_scales`).
    """
    _check_bits(bits, block_size)
    w = np.asarray(w_nk, dtype=np.float32)
    n, k = w.shape
    k_blocks = -(-k // block_size)
    padded = np.zeros((n, k_blocks * block_size), np.float32)
    padded[:, :k] = w
    blocks = padded.reshape(n, k_blocks, block_size)
    scales = block_scales(blocks, bits, scale_search)
    return _codes(blocks, scales, bits).reshape(n, k_blocks * block_size), scales


def quantize_gptq(w_nk: np.ndarray, hessian: np.ndarray, bits: int, block_size: int, damp: float = 0.01,
                  scale_search: bool = False, act_order: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """GPTQ (Frantar et al., ICLR 2023) with the block layout of :func:`quantize_blockwise`: the same
    ``(codes, scales)``, chosen to make the layer's *outputs* close rather than each weight.

    ``hessian`` is ``X^T X`` (float ``[K, K]``) of the layer's calibration inputs ``X`` ``[rows, K]``; GPTQ minimises
    ``||X (W - Q)^T||^2`` greedily: the columns (input features) are quantized one at a time, and after each one the
    columns not yet quantized absorb its rounding error through the inverse Hessian
    (``W[:, later] -= (w_j - q_j) / U[j, j] * U[j, later]`` with ``U`` the upper Cholesky factor of ``H^-1`` in the
    processing order). In K order (default) a block's scales are set (:func:`block_scales`) when the quantization
    reaches its first column, from the weights as updated so far; with ``act_order`` the columns go by decreasing
    ``diag(H)`` (the most active input first) and every block's scales are set beforehand from the float weights
    ("static groups", so the blocks stay contiguous along K as ``MatMulNBits`` needs). ``damp`` adds
    ``damp * mean(diag H)`` to the diagonal; input features that never occur (zero diagonal) are quantized as zeros.
    """
    _check_bits(bits, block_size)
    w = np.asarray(w_nk, dtype=np.float64)
    n, k = w.shape
    h = np.array(hessian, dtype=np.float64)
    if h.shape != (k, k):
        raise ValueError(f"hessian shape: expected {(k, k)}, found {h.shape}")
    k_blocks = -(-k // block_size)
    kp = k_blocks * block_size
    W = np.zeros((n, kp))
    W[:, :k] = w
    H = np.eye(kp)
    H[:k, :k] = h
    dead = np.diag(H) <= 0
    H[dead, dead] = 1.0
    W[:, dead] = 0.0
    H[np.diag_indices(kp)] += damp * float(np.mean(np.diag(H)))
    half = 1 << (bits - 1)
    scales = np.empty((n, k_blocks), np.float32)
    if act_order:
        scales[:] = block_scales(W.astype(np.float32).reshape(n, k_blocks, block_size), bits, scale_search)
        order = np.argsort(-np.diag(H), kind="stable")
    else:
        order = np.arange(kp)
    W = W[:, order]
    U = np.linalg.cholesky(np.linalg.inv(H[np.ix_(order, order)])).T   # H^-1 = U^T U, U upper triangular
    codes = np.empty((n, kp), np.uint8)
    for i, j in enumerate(order):
        b = j // block_size
        if not act_order and j % block_size == 0:
            scales[:, b] = block_scales(W[:, i:i + block_size].astype(np.float32), bits, scale_search)
        s = scales[:, b]
        c = _codes(W[:, i:i + 1].astype(np.float32), s, bits)[:, 0]
        codes[:, j] = c
        err = (W[:, i] - (c.astype(np.float64) - half) * s) / U[i, i]
        W[:, i + 1:] -= np.outer(err, U[i, i + 1:])
    return codes, scales


def dequantize_blockwise(codes: np.ndarray, scales: np.ndarray, bits: int, block_size: int, k: int) -> np.ndarray:
    """Inverse of :func:`quantize_blockwise`: float32 ``[N, k]`` = (code - 2^(bits-1)) * scale."""
    n = codes.shape[0]
    k_blocks = scales.shape[1]
    c = codes.reshape(n, k_blocks, block_size).astype(np.float32) - (1 << (bits - 1))
    return (c * scales[..., None]).reshape(n, k_blocks * block_size)[:, :k].astype(np.float32)


def pack(codes: np.ndarray, bits: int) -> np.ndarray:
    """Packs unsigned codes along the last axis, low bits first: 8 bits as is, 4 bits two per byte
    (even index in the low nibble)."""
    c = np.asarray(codes, dtype=np.uint8)
    if bits == 8:
        return c.copy()
    if bits != 4:
        raise ValueError(f"bits: expected 4 or 8, found {bits}")
    if c.shape[-1] % 2:
        raise ValueError(f"4-bit packing needs an even last axis, found {c.shape[-1]}")
    if c.max(initial=0) > 15:
        raise ValueError("4-bit codes must be 0..15")
    return (c[..., 0::2] | (c[..., 1::2] << 4)).astype(np.uint8)


def unpack(packed: np.ndarray, bits: int) -> np.ndarray:
    """Inverse of :func:`pack`."""
    p = np.asarray(packed, dtype=np.uint8)
    if bits == 8:
        return p.copy()
    out = np.empty(p.shape[:-1] + (p.shape[-1] * 2,), np.uint8)
    out[..., 0::2] = p & 0x0F
    out[..., 1::2] = p >> 4
    return out


@dataclass
class QuantizedMatrix:
    """A weight ``[K, N]`` (``MatMul`` orientation) quantized for ``MatMulNBits``."""
    k: int
    n: int
    bits: int
    block_size: int
    packed: np.ndarray   # uint8 [N, k_blocks, blob]
    scales: np.ndarray   # float32 [N, k_blocks]

    @property
    def k_blocks(self) -> int:
        return self.scales.shape[1]

    def dequantized_kn(self) -> np.ndarray:
        codes = unpack(self.packed.reshape(self.n, -1), self.bits)
        return dequantize_blockwise(codes, self.scales, self.bits, self.block_size, self.k).T

    @property
    def nbytes(self) -> int:
        return int(self.packed.nbytes + self.scales.nbytes)


def quantize_matrix(w_kn: np.ndarray, bits: int, block_size: int, scale_search: bool = False,
                    hessian: Optional[np.ndarray] = None, damp: float = 0.01,
                    act_order: bool = False) -> QuantizedMatrix:
    """Quantizes a ``MatMul`` weight ``[K, N]`` for ``MatMulNBits``: round to nearest (:func:`quantize_blockwise`),
    or GPTQ (:func:`quantize_gptq`) when ``hessian`` (``X^T X`` of the inputs, ``[K, K]``) is given."""
    w = np.asarray(w_kn, dtype=np.float32)
    if w.ndim != 2:
        raise ValueError(f"weight rank: expected 2, found {w.ndim}")
    k, n = w.shape
    if hessian is None:
        codes, scales = quantize_blockwise(w.T, bits, block_size, scale_search)
    else:
        codes, scales = quantize_gptq(w.T, hessian, bits, block_size, damp, scale_search, act_order)
    k_blocks = scales.shape[1]
    packed = pack(codes, bits).reshape(n, k_blocks, block_size * bits // 8)
    return QuantizedMatrix(k, n, bits, block_size, packed, scales)


def reference_matmul_nbits(a: np.ndarray, q: QuantizedMatrix, bias: Optional[np.ndarray] = None) -> np.ndarray:
    """What ``MatMulNBits`` computes (float64 accumulation), for tests."""
    y = a.astype(np.float64) @ q.dequantized_kn().astype(np.float64)
    if bias is not None:
        y = y + bias
    return y.astype(np.float32)


# --------------------------------------------------------------------------------------------------- graphs

@dataclass
class QuantizeReport:
    """What :func:`quantize_graph` changed: per replaced node its kind, shape and bytes before/after."""
    precision: str
    bits: int = 0
    block_size: int = 0
    replaced: List[dict] = field(default_factory=list)
    kept: List[dict] = field(default_factory=list)
    initializer_bytes_before: int = 0
    initializer_bytes_after: int = 0

    def to_dict(self) -> dict:
        return {"precision": self.precision, "bits": self.bits, "block_size": self.block_size,
                "replaced": len(self.replaced), "kept_float": self.kept,
                "initializer_bytes_before": self.initializer_bytes_before,
                "initializer_bytes_after": self.initializer_bytes_after}


def _attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _initializer_bytes(graph) -> int:
    return int(sum(numpy_helper.to_array(t).nbytes for t in graph.initializer))


def quantize_graph(model: onnx.ModelProto, precision: str, block_size: int = 32, accuracy_level: int = 4,
                   min_elements: int = 4096, quantize_gather: bool = True,
                   tied_bits: Optional[int] = None, exclude: Optional[str] = None,
                   fp16_matmul: bool = False, scale_search: bool = False,
                   hessians: Optional[Dict[str, np.ndarray]] = None, damp: float = 0.01,
                   int8_nodes: Optional[str] = None, act_order: bool = False,
                   int8_block_size: Optional[int] = None) -> QuantizeReport:
    """Rewrites ``model`` in place for ``precision`` (``int8``, ``int4``, ``fp16``; ``fp32`` changes nothing).

    int8/int4: every ``MatMul`` whose second input is a float32 2-D initializer ``[K, N]`` and every ``Gemm`` with
    ``alpha == beta == 1``, ``transA == 0`` and a float32 2-D initializer ``B`` (``transB`` 0 or 1, e.g. the tied LM
    head ``Gemm(h, wte, transB=1)``) becomes ``MatMulNBits`` (the Gemm's ``C`` becomes the bias when it is an
    initializer of shape ``[N]``, else an ``Add``), provided K is a multiple of 16 and the weight has at least
    ``min_elements`` values. A ``Gather`` on axis 0 of an initializer whose table is also quantized as a transposed
    (``transB=1``) weight of the same precision becomes ``GatherBlockQuantized`` on the same codes and scales
    (``quantize_gather``); other gathers, ``Conv`` and small weights stay float32 (listed in the report).
    ``tied_bits`` (4 or 8; default: the precision's) quantizes a table that a ``Gather`` also reads (the tied
    embedding / LM head) with other bits than the rest, e.g. int4 projections with an int8 head. ``exclude``: a
    regular expression; nodes whose name it matches (``re.search``) stay float32 (ORT's ``nodes_to_exclude``).
    ``fp16_matmul``: with ``fp16``, run the matmuls and gathers in float16 (see :func:`_to_fp16`).
    ``scale_search``: per-block scales by the clipping search of :func:`block_scales`. ``hessians``: initializer
    name -> ``X^T X`` of the inputs its node multiplies it with (``[K, K]``, K as the weight is multiplied: the
    width for the tied head), e.g. from :func:`decap_tools.calibrate.gptq_hessians`; those weights are quantized
    by GPTQ (:func:`quantize_gptq`, ``damp``, ``act_order``), the others by round to nearest. ``int8_nodes``: a regular
    expression; with ``int4``, the MatMul/Gemm nodes whose name it matches get 8-bit weights (mixed precision).
    ``int8_block_size``: with ``int4``, the block size of the weights quantized at 8 bits (``tied_bits`` 8,
    ``int8_nodes``; default ``block_size``). Each replaced node's bits and block size are in the report.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision: expected one of {PRECISIONS}, found {precision!r}")
    g = model.graph
    report = QuantizeReport(precision, block_size=block_size if precision.startswith("int") else 0)
    report.initializer_bytes_before = _initializer_bytes(g)
    if precision == "fp32":
        report.initializer_bytes_after = report.initializer_bytes_before
        return report
    if precision == "fp16":
        _to_fp16(model, min_elements, report, matmul=fp16_matmul)
        report.initializer_bytes_after = _initializer_bytes(g)
        return report
    bits = 8 if precision == "int8" else 4
    report.bits = bits
    inits: Dict[str, onnx.TensorProto] = {t.name: t for t in g.initializer}
    gathered = gathered_tables(model)
    if tied_bits not in (None, 4, 8):
        raise ValueError(f"tied_bits: expected 4 or 8, found {tied_bits}")
    quantized: Dict[Tuple[str, bool], Tuple[str, str, QuantizedMatrix]] = {}   # (weight, transposed) -> names
    new_nodes = []
    new_inits: List[onnx.TensorProto] = []

    wide = re.compile(int8_nodes) if int8_nodes else None

    def quantized_weight(name: str, transposed: bool, node_name: str) -> Tuple[str, str, QuantizedMatrix]:
        key = (name, transposed)
        if key not in quantized:
            w = numpy_helper.to_array(inits[name]).astype(np.float32)
            b = 8 if wide is not None and wide.search(node_name) else weight_bits(name, bits, tied_bits, gathered)
            bs = int8_block_size if int8_block_size and b == 8 and bits == 4 else block_size
            h = hessians.get(name) if hessians else None
            q = quantize_matrix(w.T if transposed else w, b, bs, scale_search, h, damp, act_order)
            stem = _unique_stem(name, {t.name for t in g.initializer} | {t.name for t in new_inits})
            b_name, s_name = f"{stem}_Q{b}", f"{stem}_scales"
            new_inits.append(numpy_helper.from_array(q.packed, b_name))
            new_inits.append(numpy_helper.from_array(q.scales, s_name))
            quantized[key] = (b_name, s_name, q)
        return quantized[key]

    def eligible(name: str) -> bool:
        t = inits.get(name)
        if t is None or t.data_type != TensorProto.FLOAT or len(t.dims) != 2:
            return False
        return int(np.prod(t.dims)) >= min_elements

    excluded = re.compile(exclude) if exclude else None
    for node in g.node:
        if excluded is not None and excluded.search(node.name):
            new_nodes.append(node)
            if node.op_type in ("MatMul", "Gemm", "Gather") and any(i in inits for i in node.input):
                report.kept.append({"node": node.name, "op": node.op_type, "excluded": True})
            continue
        if node.op_type == "MatMul" and node.domain in ("", "ai.onnx") and len(node.input) == 2 \
                and eligible(node.input[1]) and inits[node.input[1]].dims[0] % 16 == 0:
            b_name, s_name, q = quantized_weight(node.input[1], False, node.name)
            new_nodes.append(_matmul_nbits(node.name, node.input[0], b_name, s_name, None, node.output[0], q,
                                           accuracy_level))
            report.replaced.append({"node": node.name, "op": "MatMul", "weight": node.input[1], "bits": q.bits,
                                    "block_size": q.block_size, "K": q.k, "N": q.n, "fp32_bytes": q.k * q.n * 4, "bytes": q.nbytes})
            continue
        if node.op_type == "Gemm" and node.domain in ("", "ai.onnx") and len(node.input) >= 2 \
                and eligible(node.input[1]) and _attr(node, "transA", 0) == 0 \
                and _attr(node, "alpha", 1.0) == 1.0 and _attr(node, "beta", 1.0) == 1.0:
            trans_b = bool(_attr(node, "transB", 0))
            dims = inits[node.input[1]].dims
            k_dim = dims[1] if trans_b else dims[0]
            if k_dim % 16 == 0:
                b_name, s_name, q = quantized_weight(node.input[1], trans_b, node.name)
                bias, extra = None, []
                if len(node.input) > 2 and node.input[2]:
                    c = inits.get(node.input[2])
                    if c is not None and list(c.dims) == [q.n] and c.data_type == TensorProto.FLOAT:
                        bias = node.input[2]
                    else:
                        extra = [node.input[2]]
                out = node.output[0] if not extra else node.output[0] + "_nbits"
                new_nodes.append(_matmul_nbits(node.name, node.input[0], b_name, s_name, bias, out, q,
                                               accuracy_level))
                if extra:
                    new_nodes.append(helper.make_node("Add", [out, extra[0]], [node.output[0]],
                                                      name=node.name + "_bias"))
                report.replaced.append({"node": node.name, "op": "Gemm", "weight": node.input[1],
                                        "bits": q.bits, "block_size": q.block_size, "K": q.k, "N": q.n, "fp32_bytes": q.k * q.n * 4, "bytes": q.nbytes})
                continue
        if node.op_type in ("MatMul", "Gemm", "Conv", "Gather") and any(i in inits for i in node.input):
            big = [i for i in node.input if i in inits and inits[i].data_type == TensorProto.FLOAT]
            if big:
                report.kept.append({"node": node.name, "op": node.op_type,
                                    "shape": [int(d) for d in inits[big[0]].dims]})
        new_nodes.append(node)

    if quantize_gather:
        rewritten = []
        for node in new_nodes:
            key = (node.input[0], True) if node.op_type == "Gather" and node.input else None
            if key in quantized and _attr(node, "axis", 0) == 0 and quantized[key][2].k % quantized[key][2].block_size == 0:
                b_name, s_name, q = quantized[key]
                rewritten.extend(_gather_block_quantized(node, b_name, s_name, q, new_inits))
                report.replaced.append({"node": node.name, "op": "Gather", "rows": q.n, "cols": q.k,
                                        "fp32_bytes": q.k * q.n * 4, "bytes": 0,
                                        "shares": f"{b_name}, {s_name} (tied LM head)"})
                report.kept = [k for k in report.kept if k["node"] != node.name]
            else:
                rewritten.append(node)
        new_nodes = rewritten

    del g.node[:]
    g.node.extend(new_nodes)
    g.initializer.extend(new_inits)
    _drop_unused_initializers(g)
    if not any(o.domain == MS_DOMAIN for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MS_DOMAIN, 1))
    report.initializer_bytes_after = _initializer_bytes(g)
    return report


def gathered_tables(model: onnx.ModelProto) -> set:
    """Names of the initializers a ``Gather`` reads (the token table, tied to the LM head in decap decoders)."""
    inits = {t.name for t in model.graph.initializer}
    return {n.input[0] for n in model.graph.node if n.op_type == "Gather" and n.input and n.input[0] in inits}


def weight_bits(name: str, bits: int, tied_bits: Optional[int], gathered: set) -> int:
    """The bits :func:`quantize_graph` gives the weight ``name``: ``tied_bits`` for a gathered table, if set."""
    return tied_bits if tied_bits is not None and name in gathered else bits


def streamed_bytes(model: onnx.ModelProto) -> int:
    """Weight bytes one run of the graph reads: every initializer a node consumes, counted once, except the tables
    of ``Gather`` / ``GatherBlockQuantized`` on axis 0, of which one row per index is read (counted as one row;
    a table also read whole by another node, e.g. the tied LM head, counts whole)."""
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    whole, rows = set(), {}
    for node in g.node:
        for pos, name in enumerate(node.input):
            if name not in inits:
                continue
            if node.op_type in ("Gather", "GatherBlockQuantized") and pos == 0 and _attr(node, "axis", 0) == 0:
                rows[name] = node
            elif node.op_type == "GatherBlockQuantized" and pos == 2:
                rows[name] = node
            else:
                whole.add(name)
    total = sum(numpy_helper.to_array(inits[n]).nbytes for n in whole)
    for name in set(rows) - whole:
        a = numpy_helper.to_array(inits[name])
        total += a.nbytes // max(1, a.shape[0])
    return int(total)


def _matmul_nbits(name, a, b_name, s_name, bias, out, q: QuantizedMatrix, accuracy_level: int):
    inputs = [a, b_name, s_name]
    if bias is not None:
        inputs += ["", "", bias]   # zero_points, g_idx absent
    return helper.make_node("MatMulNBits", inputs, [out], name=name + "_Q" + str(q.bits), domain=MS_DOMAIN,
                            K=q.k, N=q.n, bits=q.bits, block_size=q.block_size, accuracy_level=accuracy_level)


def _gather_block_quantized(node, b_name: str, s_name: str, q: QuantizedMatrix, new_inits) -> list:
    """``Gather(table, ids)`` on a table already quantized for the tied LM head, reading the same initializers.

    ``GatherBlockQuantized`` takes the head's ``B`` ``[V, k_blocks, blob]`` as rank-3 data quantized along axis 2
    (one block per ``[v, j]``), so its scales must have rank 3: a ``Reshape`` views the head's ``[V, k_blocks]``
    scales as ``[V, k_blocks, 1]`` (ONNX Runtime folds it at load; the file stores the scales once). The rows come
    out as ``ids.shape + [k_blocks, block_size]`` and are reshaped to ``ids.shape + [K]``.
    """
    stem = node.name.replace("/", "_").strip("_") or node.output[0]
    scales3, scales_shape = f"{stem}_scales3", f"{stem}_scales3_shape"
    ids_shape, row_shape, out_shape, rows3 = (f"{stem}_ids_shape", f"{stem}_row_shape", f"{stem}_out_shape",
                                              f"{stem}_rows3")
    new_inits.append(numpy_helper.from_array(np.array([q.n, q.k_blocks, 1], np.int64), scales_shape))
    new_inits.append(numpy_helper.from_array(np.array([q.k], np.int64), row_shape))
    return [
        helper.make_node("Reshape", [s_name, scales_shape], [scales3], name=f"{stem}_scales_view"),
        helper.make_node("GatherBlockQuantized", [b_name, node.input[1], scales3], [rows3], name=node.name,
                         domain=MS_DOMAIN, bits=q.bits, block_size=q.block_size, gather_axis=0, quantize_axis=2),
        helper.make_node("Shape", [node.input[1]], [ids_shape], name=f"{stem}_ids_shape"),
        helper.make_node("Concat", [ids_shape, row_shape], [out_shape], name=f"{stem}_out_shape", axis=0),
        helper.make_node("Reshape", [rows3, out_shape], [node.output[0]], name=f"{stem}_rows"),
    ]


def _unique_stem(name: str, taken) -> str:
    stem = name.replace("::", "_").replace("/", "_").replace(".", "_")
    s, i = stem, 1
    while any(t.startswith(s + "_Q") or t == s + "_scales" for t in taken):
        i += 1
        s = f"{stem}_{i}"
    return s


def _drop_unused_initializers(g) -> None:
    used = set()
    for node in g.node:
        used.update(node.input)
        for a in node.attribute:   # subgraphs (If/Loop) are not rewritten; keep what they read
            if a.type == onnx.AttributeProto.GRAPH:
                for n in a.g.node:
                    used.update(n.input)
    used.update(o.name for o in g.output)
    keep = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)


def _to_fp16(model: onnx.ModelProto, min_elements: int, report: QuantizeReport, matmul: bool = False) -> None:
    """float16 weights. Default: every consumer reads ``Cast(W16, fp32)``, which ONNX Runtime folds when the
    session starts (half the file; float32 in memory and arithmetic). With ``matmul``, weights are read as float16:
    ``MatMul(A, W)`` becomes ``Cast(MatMul(Cast(A, fp16), W16), fp32)``, a ``Gemm`` the same (``transB`` through a
    ``Transpose`` of the constant, folded at load; ``C`` added in float32 after), ``Gather(W, ids)`` gathers float16
    rows and casts them (on x86 ORT 1.24 has no fast float16 matmul: measured slower than float32)."""
    g = model.graph
    half_names: Dict[str, str] = {}
    new_inits = []
    for t in g.initializer:
        if t.data_type == TensorProto.FLOAT and int(np.prod(t.dims)) >= min_elements:
            a = numpy_helper.to_array(t)
            half = a.astype(np.float16)
            if not np.all(np.isfinite(half[np.isfinite(a)])):
                raise ValueError(f"initializer {t.name} overflows float16 (max |w| = {np.abs(a).max()})")
            half_names[t.name] = t.name + "_fp16"
            new_inits.append(numpy_helper.from_array(half, half_names[t.name]))
            report.replaced.append({"initializer": t.name, "shape": [int(d) for d in t.dims],
                                    "fp32_bytes": int(a.nbytes), "bytes": int(half.nbytes)})
        else:
            new_inits.append(t)
    del g.initializer[:]
    g.initializer.extend(new_inits)
    fp16, fp32 = TensorProto.FLOAT16, TensorProto.FLOAT
    nodes, cast_back = [], {}

    def as_fp32(name: str) -> str:   # other consumers: one Cast per weight, placed first
        if name not in cast_back:
            cast_back[name] = helper.make_node("Cast", [half_names[name]], [name], name=name + "_to_fp32", to=fp32)
        return name

    for node in g.node:
        w = node.input[1] if len(node.input) > 1 else None
        if not matmul:
            for i in node.input:
                if i in half_names:
                    as_fp32(i)
            nodes.append(node)
        elif node.op_type == "MatMul" and w in half_names and node.input[0] not in half_names:
            a = node.name + "_a16"
            nodes += [helper.make_node("Cast", [node.input[0]], [a], name=a, to=fp16),
                      helper.make_node("MatMul", [a, half_names[w]], [node.name + "_y16"], name=node.name),
                      helper.make_node("Cast", [node.name + "_y16"], [node.output[0]], name=node.name + "_y", to=fp32)]
        elif node.op_type == "Gemm" and w in half_names and _attr(node, "transA", 0) == 0 \
                and _attr(node, "alpha", 1.0) == 1.0 and _attr(node, "beta", 1.0) == 1.0:
            a, b = node.name + "_a16", half_names[w]
            nodes.append(helper.make_node("Cast", [node.input[0]], [a], name=a, to=fp16))
            if _attr(node, "transB", 0):
                nodes.append(helper.make_node("Transpose", [b], [node.name + "_bT"], name=node.name + "_bT",
                                              perm=[1, 0]))
                b = node.name + "_bT"
            has_c = len(node.input) > 2 and node.input[2]
            y = node.name + "_y" if has_c else node.output[0]
            nodes += [helper.make_node("MatMul", [a, b], [node.name + "_y16"], name=node.name),
                      helper.make_node("Cast", [node.name + "_y16"], [y], name=node.name + "_y32", to=fp32)]
            if has_c:
                c = node.input[2] if node.input[2] not in half_names else as_fp32(node.input[2])
                nodes.append(helper.make_node("Add", [y, c], [node.output[0]], name=node.name + "_bias"))
        elif node.op_type == "Gather" and node.input[0] in half_names and _attr(node, "axis", 0) == 0:
            rows = node.name + "_rows16"
            nodes += [helper.make_node("Gather", [half_names[node.input[0]], node.input[1]], [rows],
                                       name=node.name),
                      helper.make_node("Cast", [rows], [node.output[0]], name=node.name + "_to_fp32", to=fp32)]
        else:
            for i in node.input:
                if i in half_names:
                    as_fp32(i)
            nodes.append(node)
    del g.node[:]
    g.node.extend(list(cast_back.values()) + nodes)
