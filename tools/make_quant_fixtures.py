#!/usr/bin/python3
"""Quantized-bundle fixture for the Java tests (decap-onnx/src/test/resources/fixtures/quantized, ~0.5 MB).

    /usr/bin/python3 tools/make_quant_fixtures.py [--out decap-onnx/src/test/resources/fixtures/quantized]

Writes a small random DeCap decoder (prefix 32, width 64, 2 layers, 2 heads, a 64-word vocabulary, 16 positions)
as a decoder-only bundle with a word tokenizer, adds its int8 and int4 variants with ``tools/quantize_bundle.py
--as-variants --accuracy-level 0 --exclude ''`` (every projection, the tied LM head and the token embedding
quantized; float32 arithmetic), and ``golden.json``: for 4 random unit prefixes, the logits of the first 5
teacher-forced steps (the float32 model's greedy tokens) computed in PyTorch

* with the float32 weights (``fp32``), and
* with every quantized weight replaced by its dequantized value (``int8``, ``int4``), i.e. what ``MatMulNBits`` /
  ``GatherBlockQuantized`` must compute; the Java test compares ONNX Runtime's logits with these.

Floats are float32 values written as shortest round-trip text. Deterministic (same seed, same bytes).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))

from decap_tools import bundle  # noqa: E402
from decap_tools.decoder_model import DeCapDecoder, DecoderConfig  # noqa: E402
from decap_tools.quantize import quantize_matrix  # noqa: E402
from export_decoder import export_decoder  # noqa: E402
import quantize_bundle  # noqa: E402

CFG = DecoderConfig(prefix_dim=32, width=64, layers=2, heads=2, vocab_size=64, max_positions=16)
BLOCK = 32
STEPS = 5


def random_decoder(seed: int) -> DeCapDecoder:
    model = DeCapDecoder(CFG).init_random(seed).eval()
    with torch.no_grad():   # as bench_decoder.full_decoder: captions depend on the prefix, clear logit gaps
        model.clip_project.model[0].weight.mul_(40.0)
        model.decoder.transformer.wpe.weight.mul_(5.0)
        model.decoder.transformer.ln_f.weight.fill_(6.0)
    return model


def dequantized_copy(model: DeCapDecoder, bits: int) -> DeCapDecoder:
    """The model with every weight the quantizer replaces set to its dequantized value."""
    q = DeCapDecoder(CFG)
    q.load_state_dict(model.state_dict())
    with torch.no_grad():
        for name, p in q.named_parameters():
            w = p.detach().numpy().astype(np.float32)
            if w.ndim != 2 or w.size < 4096 or ".wpe." in name:   # quantize_graph's min_elements; wpe is gathered
                continue
            if name == "decoder.transformer.wte.weight" or name == "clip_project.model.0.weight":
                # tied head Gemm(h, wte, transB=1) and clip_project Gemm(prefix, W, transB=1): B is [N, K]
                p.copy_(torch.from_numpy(quantize_matrix(w.T, bits, BLOCK).dequantized_kn().T.copy()))
            else:
                p.copy_(torch.from_numpy(quantize_matrix(w, bits, BLOCK).dequantized_kn().copy()))
    return q.eval()


def f32(x) -> float:
    return float(np.float32(x))


@torch.no_grad()
def teacher_forced_logits(model: DeCapDecoder, prefix: np.ndarray, tokens) -> list:
    p = torch.from_numpy(prefix).reshape(1, -1)
    out = []
    for n in range(STEPS):
        logits = model.logits_no_cache(p, torch.tensor([tokens[:n]], dtype=torch.long))
        out.append([f32(v) for v in logits[0].numpy()])
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(TOOLS.parent / "decap-onnx/src/test/resources/fixtures/quantized"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    torch.manual_seed(args.seed)
    model = random_decoder(args.seed)
    export_decoder(model, out / "decoder.onnx")
    words = [f"w{i:02d}" for i in range(CFG.vocab_size - 4)]
    (out / "vocab.txt").write_text("\n".join(["<pad>", "<unk>"] + words + ["<|startoftext|>", "<|endoftext|>"])
                                   + "\n")
    v = CFG.vocab_size
    bundle.write_manifest(out, "quantized-fixture", "small random decoder with int8 and int4 variants (tests only)",
                          "tools/make_quant_fixtures.py --seed " + str(args.seed),
                          {"decoder": out / "decoder.onnx", "tokenizer_vocabulary": out / "vocab.txt"},
                          CFG.prefix_dim, decoder=bundle.decoder_section(CFG, None),
                          tokenizer={"type": "word", "vocabulary": "vocab.txt", "vocab_size": v, "sot_id": v - 2,
                                     "eot_id": v - 1, "pad_id": 0, "unk_id": 1},
                          generation={"max_tokens": 12, "eot_id": v - 1})
    for precision in ("int8", "int4"):
        quantize_bundle.main([str(out), str(out), "--decoder", precision, "--as-variants", "--accuracy-level", "0",
                              "--exclude", ""])
    references = {"fp32": model, "int8": dequantized_copy(model, 8), "int4": dequantized_copy(model, 4)}
    rng = np.random.default_rng(args.seed + 1)
    cases = []
    for i in range(4):
        prefix = rng.standard_normal(CFG.prefix_dim).astype(np.float32)
        prefix /= np.linalg.norm(prefix)
        tokens = []
        with torch.no_grad():
            for n in range(STEPS - 1):
                logits = model.logits_no_cache(torch.from_numpy(prefix).reshape(1, -1),
                                               torch.tensor([tokens], dtype=torch.long))
                tokens.append(int(torch.argmax(logits[0])))
        cases.append({"id": f"random-{i}", "prefix": [f32(x) for x in prefix], "tokens": tokens,
                      "logits": {k: teacher_forced_logits(m, prefix, tokens) for k, m in references.items()}})
    golden = {"created_by": "tools/make_quant_fixtures.py --seed " + str(args.seed), "block_size": BLOCK,
              "steps": STEPS, "what": "step s (0 = prefix) gets the prefix and tokens[:s]; logits [vocab]",
              "cases": cases}
    text = json.dumps(golden, indent=1)
    (out / "golden.json").write_text(text + "\n")
    for f in sorted(out.iterdir()):
        print(f"{f.name}: {f.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
