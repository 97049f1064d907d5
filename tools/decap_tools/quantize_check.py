"""Compares a quantized decap graph with its float32 original in ONNX Runtime Java (``decap_tools.ort``).

* decoder: greedy decoding (masked, the bundle's token limit) from random unit prefixes with both graphs; reports
  the share of prefixes whose token sequences are identical, the share of positions that agree before the first
  difference, and the cosine of the step-0 logits and of the logits along the float32 path (teacher forcing).
* image encoder: embeddings of random pixel tensors (N(0, 1), the encoder's input size); reports the cosine.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List

import numpy as np

from . import ort, search


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


class _Stepper:
    """One decoder graph, one hypothesis (batch 1), key/value cache kept as arrays."""

    def __init__(self, path: Path, prefix: np.ndarray, layers: int, heads: int, head_dim: int, threads: int):
        self.session = ort.Session(path, threads=threads)
        self.prefix = prefix.reshape(1, -1).astype(np.float32)
        z = np.zeros((1, heads, 0, head_dim), np.float32)
        self.past = [(z, z)] * layers
        self.layers = layers
        self.first = True

    def step(self, token: int) -> np.ndarray:
        feeds = {"prefix": self.prefix, "input_ids": np.array([[token]], np.int64),
                 "use_prefix": np.array([self.first])}
        for i, (k, v) in enumerate(self.past):
            feeds[f"past_key_values.{i}.key"] = k
            feeds[f"past_key_values.{i}.value"] = v
        out = self.session.run(feeds)
        self.past = [(out[f"present.{i}.key"], out[f"present.{i}.value"]) for i in range(self.layers)]
        self.first = False
        return out["logits"][0]


def compare_decoder(fp32: Path, quantized: Path, manifest: dict, prefixes: int = 16, seed: int = 0,
                    threads: int = 2) -> dict:
    dec = manifest["decoder"]
    layers, heads = dec["layers"], dec["heads"]
    head_dim = dec["width"] // heads
    tok = manifest.get("tokenizer", {})
    vocab_map = None
    if dec.get("vocab_map"):
        import json
        vocab_map = json.loads((fp32.parent / manifest["files"][dec["vocab_map"]]["path"]).read_text())
    eot = manifest.get("generation", {}).get("eot_id", tok.get("eot_id", search.EOT_TOKENIZER_ID))
    vocab = search.Vocabulary(dec["vocab_size"], vocab_map, tok.get("vocab_size", search.TOKENIZER_VOCAB_SIZE), eot)
    max_tokens = manifest.get("generation", {}).get("max_tokens", 30)
    rng = np.random.default_rng(seed)
    identical, agree_positions, total_positions = 0, 0, 0
    first_cos: List[float] = []
    path_cos: List[float] = []
    for _ in range(prefixes):
        p = rng.standard_normal(dec["prefix_dim"]).astype(np.float32)
        p /= np.linalg.norm(p)
        ref = _Stepper(fp32, p, layers, heads, head_dim, threads)
        q = _Stepper(quantized, p, layers, heads, head_dim, threads)
        ref_ids, q_ids, diverged = [], [], False
        lr, lq = ref.step(0), q.step(0)
        first_cos.append(_cos(lr, lq))
        while len(ref_ids) < max_tokens:
            path_cos.append(_cos(lr, lq))
            mr = search.masked_logits(lr[None], vocab, search.DecodeOptions(), len(ref_ids))[0]
            mq = search.masked_logits(lq[None], vocab, search.DecodeOptions(), len(ref_ids))[0]
            tr, tq = int(np.argmax(mr)), int(np.argmax(mq))
            ref_ids.append(tr)
            q_ids.append(tq)
            if tr != tq:
                diverged = True
            elif not diverged:
                agree_positions += 1
            if tr == vocab.eot_decoder_id:
                break
            # teacher forcing: both graphs follow the float32 tokens, so later logits stay comparable
            lr, lq = ref.step(tr), q.step(tr)
        total_positions += len(ref_ids)
        identical += int(not diverged)
    return {"prefixes": prefixes, "identical_token_sequences": identical / prefixes,
            "positions_agreeing_before_first_difference": agree_positions / max(1, total_positions),
            "step0_logits_cosine_min": min(first_cos), "step0_logits_cosine_mean": float(np.mean(first_cos)),
            "teacher_forced_logits_cosine_mean": float(np.mean(path_cos)),
            "teacher_forced_logits_cosine_min": float(np.min(path_cos))}


def compare_image(fp32: Path, quantized: Path, manifest: dict, images: int = 8, seed: int = 0,
                  threads: int = 2) -> dict:
    desc = ort.describe(fp32)
    (name, spec), = desc["inputs"].items()
    size = manifest.get("clip", {}).get("image_size", 224)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((images, 3, size, size)).astype(np.float32)
    out_r = ort.run(fp32, {name: x}, threads=threads)
    out_q = ort.run(quantized, {name: x}, threads=threads)
    key = next(k for k in out_r if out_r[k].ndim == 2)
    cos = [_cos(out_r[key][i], out_q[key][i]) for i in range(images)]
    return {"images": images, "input": "N(0,1) pixel tensors", "output": key,
            "embedding_cosine_min": min(cos), "embedding_cosine_mean": float(np.mean(cos))}


def compare(key: str, fp32: Path, quantized: Path, manifest: dict, log: Callable[[str], None] = print) -> Dict:
    """The comparison for a bundle component key (``decoder`` or ``image_encoder``)."""
    if key == "decoder":
        r = compare_decoder(fp32, quantized, manifest)
    elif key == "image_encoder":
        r = compare_image(fp32, quantized, manifest)
    else:
        raise ValueError(f"no comparison for {key}")
    log(f"check {key}: {r}")
    return r
