#!/usr/bin/python3
"""Exports a DeCap decoder to ``decoder.onnx`` (one graph, KV cache, one position per call) and verifies it.

I/O contract (see docs/model-bundle.md):
  inputs  prefix [batch, prefix_dim] f32, input_ids [batch, 1] i64, use_prefix [1] bool,
          past_key_values.{i}.key / .value [batch, heads, past_len, head_dim] f32 (past_len may be 0)
  outputs logits [batch, vocab] f32, present.{i}.key / .value [batch, heads, past_len + 1, head_dim] f32

Verification (``--verify``, on by default): ``onnx.checker``; then ONNX Runtime Java (tools/OrtRun.java) against
PyTorch: teacher-forced steps at batch 1 and 3 (logits max abs diff at every step, argmax equality; past_len
grows 0..steps-1, proving the position id is read from the cache shape), free-running greedy token equality and
a width-3 beam search through the graph.

Usage:
  /usr/bin/python3 tools/export_decoder.py --out DIR [--checkpoint coco_prefix-009.pt [--heads 4]]
      [--random official|tiny --seed 0] [--no-verify]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from decap_tools.decoder_model import DeCapDecoder, DecoderConfig, load_official_state_dict  # noqa: E402
from decap_tools import search  # noqa: E402

OPSET = 17


class _StepGraph(nn.Module):
    """Flattens ``DeCapDecoder.step`` to positional tensors for ``torch.onnx.export``."""

    def __init__(self, model: DeCapDecoder):
        super().__init__()
        self.model = model

    def forward(self, prefix, input_ids, use_prefix, *flat_past):
        past = [(flat_past[2 * i], flat_past[2 * i + 1]) for i in range(len(flat_past) // 2)]
        logits, presents = self.model.step(prefix, input_ids, use_prefix, past)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def io_names(layers: int):
    inputs = ["prefix", "input_ids", "use_prefix"]
    outputs = ["logits"]
    for i in range(layers):
        inputs += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        outputs += [f"present.{i}.key", f"present.{i}.value"]
    return inputs, outputs


def export_decoder(model: DeCapDecoder, path, opset: int = OPSET) -> Path:
    """Writes ``model`` as the one-graph KV-cache decoder. The export is deterministic (same weights, same bytes)."""
    cfg = model.cfg
    model = model.eval()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # trace with batch 2 and past_len 3 so that neither axis is a 0/1 special case
    b, p = 2, 3
    g = torch.Generator().manual_seed(1234)
    args = [torch.randn(b, cfg.prefix_dim, generator=g), torch.tensor([[1], [2]], dtype=torch.long),
            torch.tensor([False])]
    for _ in range(cfg.layers):
        args += [torch.randn(b, cfg.heads, p, cfg.head_dim, generator=g),
                 torch.randn(b, cfg.heads, p, cfg.head_dim, generator=g)]
    inputs, outputs = io_names(cfg.layers)
    dyn = {"prefix": {0: "batch"}, "input_ids": {0: "batch"}, "logits": {0: "batch"}}
    for i in range(cfg.layers):
        for kind in ("key", "value"):
            dyn[f"past_key_values.{i}.{kind}"] = {0: "batch", 2: "past_len"}
            dyn[f"present.{i}.{kind}"] = {0: "batch", 2: "total_len"}
    with torch.no_grad():
        torch.onnx.export(_StepGraph(model), tuple(args), str(path), input_names=inputs, output_names=outputs,
                          dynamic_axes=dyn, opset_version=opset, do_constant_folding=True,
                          export_params=True)
    _use_tied_embedding_for_logits(path, "model.decoder.transformer.wte.weight")
    return path


def _use_tied_embedding_for_logits(path: Path, wte_name: str) -> None:
    """Constant folding stores the lm_head as a transposed *copy* of ``wte`` (MatMul by [width, vocab]); this
    rewrites that MatMul into ``Gemm(h, wte, transB=1)`` so the tied matrix is stored once (half the file for
    small decoders) and no copy is made at load time."""
    import onnx
    from onnx import helper, numpy_helper
    m = onnx.load(str(path))
    inits = {i.name: i for i in m.graph.initializer}
    wte = numpy_helper.to_array(inits[wte_name])
    for idx, node in enumerate(m.graph.node):
        if node.op_type != "MatMul" or node.input[1] not in inits or node.input[1] == wte_name:
            continue
        w = inits[node.input[1]]
        if tuple(w.dims) != (wte.shape[1], wte.shape[0]) or not np.array_equal(numpy_helper.to_array(w), wte.T):
            continue
        gemm = helper.make_node("Gemm", [node.input[0], wte_name], list(node.output), name=node.name + "_tied",
                                transB=1)
        m.graph.node.remove(node)
        m.graph.node.insert(idx, gemm)
        if not any(w.name in n.input for n in m.graph.node):
            m.graph.initializer.remove(w)
        onnx.save(m, str(path))
        return
    raise AssertionError("export: the logits MatMul on the tied embedding was not found")


def check_graph(path) -> dict:
    """``onnx.checker`` plus the contract's names; returns a short description."""
    import onnx
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    ins = [i.name for i in m.graph.input]
    outs = [o.name for o in m.graph.output]
    layers = (len(ins) - 3) // 2
    exp_in, exp_out = io_names(layers)
    if ins != exp_in or outs != exp_out:
        raise AssertionError(f"decoder I/O names: expected {exp_in} -> {exp_out}, found {ins} -> {outs}")
    ops = sorted({n.op_type for n in m.graph.node})
    if "Where" not in ops:
        raise AssertionError("the decoder graph has no Where node selecting prefix vs token embedding")
    return {"opset": m.opset_import[0].version, "layers": layers, "ops": ops,
            "initializers": len(m.graph.initializer)}


def verify_decoder_onnx(model: DeCapDecoder, path, vocab: search.Vocabulary = None, seed: int = 0,
                        steps: int = 10, batches=(1, 3), greedy_cases: int = 3, log=print) -> dict:
    """Compares ``decoder.onnx`` in ONNX Runtime Java with the PyTorch reference; raises on a mismatch."""
    from decap_tools import ort
    cfg = model.cfg
    vocab = vocab or search.Vocabulary(cfg.vocab_size if cfg.vocab_size >= search.TOKENIZER_VOCAB_SIZE else None)
    report = {"graph": check_graph(path)}
    rng = np.random.default_rng(seed)
    sess = ort.Session(path)
    worst = 0.0
    for b in batches:
        prefix = rng.standard_normal((b, cfg.prefix_dim)).astype(np.float32)
        prefix /= np.linalg.norm(prefix, axis=1, keepdims=True)
        z = np.zeros((b, cfg.heads, 0, cfg.head_dim), np.float32)
        past = [(z, z)] * cfg.layers
        toks = np.zeros((b, 0), np.int64)
        ids = np.zeros((b, 1), np.int64)
        use = True
        for s in range(steps):
            feeds = {"prefix": prefix, "input_ids": ids, "use_prefix": np.array([use])}
            for i, (k, v) in enumerate(past):
                feeds[f"past_key_values.{i}.key"] = k
                feeds[f"past_key_values.{i}.value"] = v
            out = sess.run(feeds)
            with torch.no_grad():
                ref = model.logits_no_cache(torch.from_numpy(prefix), torch.from_numpy(toks)).numpy()
            got = out["logits"]
            if got.shape != (b, cfg.vocab_size):
                raise AssertionError(f"logits shape: expected {(b, cfg.vocab_size)}, found {got.shape}")
            diff = float(np.max(np.abs(got - ref)))
            worst = max(worst, diff)
            if not np.array_equal(np.argmax(got, 1), np.argmax(ref, 1)):
                raise AssertionError(f"batch {b} step {s}: argmax differs between ORT and PyTorch")
            pk = out["present.0.key"]
            if pk.shape != (b, cfg.heads, s + 1, cfg.head_dim):
                raise AssertionError(f"present shape at step {s}: expected {(b, cfg.heads, s + 1, cfg.head_dim)},"
                                     f" found {pk.shape}")
            nxt = np.argmax(ref, 1).astype(np.int64).reshape(b, 1)
            toks = np.concatenate([toks, nxt], 1)
            ids, use = nxt, False
            past = [(out[f"present.{i}.key"], out[f"present.{i}.value"]) for i in range(cfg.layers)]
        log(f"  ORT vs PyTorch, batch {b}, {steps} teacher-forced steps: logits max abs diff {worst:.3g}")
    report["logits_max_abs_diff"] = worst
    tol = 1e-3 * max(1.0, float(np.max(np.abs(ref))))
    if worst > tol:
        raise AssertionError(f"ORT logits differ from PyTorch by {worst} (> {tol})")
    same = 0
    # a caption fits in max_positions - 1 tokens (position 0 is the prefix): small decoders cap the search there
    opts = search.DecodeOptions(max_tokens=min(search.DecodeOptions().max_tokens, cfg.max_positions - 1))
    for c in range(greedy_cases):
        p = rng.standard_normal(cfg.prefix_dim).astype(np.float32)
        p /= np.linalg.norm(p)
        ref = search.greedy(search.NoCacheSource(model, p), vocab, opts)
        got = search.greedy(search.OrtSource(path, p, cfg.layers, cfg.heads, cfg.head_dim), vocab, opts)
        if got.decoder_ids != ref.decoder_ids:
            raise AssertionError(f"greedy case {c}: ORT tokens {got.decoder_ids} != PyTorch {ref.decoder_ids}")
        same += 1
        if c == 0:
            rb = search.beam_search(search.NoCacheSource(model, p), vocab, 3, 1.0, opts)
            gb = search.beam_search(search.OrtSource(path, p, cfg.layers, cfg.heads, cfg.head_dim), vocab, 3, 1.0,
                                    opts)
            if gb.decoder_ids != rb.decoder_ids:
                raise AssertionError(f"beam: ORT tokens {gb.decoder_ids} != PyTorch {rb.decoder_ids}")
            report["beam3_tokens_equal"] = True
    report["greedy_cases_equal"] = same
    log(f"  greedy tokens identical on {same} prefixes; beam width 3 identical")
    return report


def random_decoder(size: str, seed: int) -> DeCapDecoder:
    if size == "official":
        cfg = DecoderConfig()
    elif size == "tiny":
        cfg = DecoderConfig(prefix_dim=64, width=64, layers=2, heads=2, vocab_size=50257, max_positions=40)
    else:
        raise ValueError(f"--random must be official or tiny, found {size}")
    return DeCapDecoder(cfg).init_random(seed).eval()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (decoder.onnx is written there)")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="official-layout state dict (.pt)")
    src.add_argument("--random", choices=["official", "tiny"], help="random decoder of this size")
    ap.add_argument("--heads", type=int, default=4, help="attention heads (not stored in checkpoints; default 4)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-verify", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    if args.checkpoint:
        model = load_official_state_dict(torch.load(args.checkpoint, map_location="cpu"), heads=args.heads)
    else:
        model = random_decoder(args.random, args.seed)
    out = export_decoder(model, Path(args.out) / "decoder.onnx")
    print(f"wrote {out} ({out.stat().st_size} bytes), config {json.dumps(model.cfg.to_dict())}")
    if not args.no_verify:
        print(json.dumps(verify_decoder_onnx(model, out)))


if __name__ == "__main__":
    main()
