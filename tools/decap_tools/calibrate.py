"""Calibration for GPTQ (``tools/quantize_bundle.py --gptq CAPTIONS``): the input Hessians ``X^T X`` of a decap
decoder's linear layers over text-only calibration data, collected layer after layer on the partly quantized model.

Calibration data, as the decoder was trained (DeCap, text only): each caption is embedded by the bundle's own CLIP
text tower (``text_encoder.onnx``, run in ONNX Runtime Java, :mod:`decap_tools.ort`) and L2-normalised; that unit
embedding is the prefix, and the caption's tokens are fed after it (teacher forcing), so the rows of ``X`` are the
layer's inputs at the prefix position and at every caption token (padding excluded).

Sequential GPTQ (as in Frantar et al.): the tied token table / LM head is quantized first (its Hessian from the
float32 model's final hidden states), then the blocks' projections in the order they run (``attn.c_attn``,
``attn.c_proj``, ``mlp.c_fc``, ``mlp.c_proj`` of block 0, then block 1, ...) and ``clip_project`` when it is
quantized at all (first: it runs first); each layer's Hessian comes from the model whose earlier layers already
hold their quantized (dequantized float32) weights, so a layer compensates the error of those before it.
The float32 decoder is rebuilt in PyTorch (:mod:`decap_tools.decoder_model`) from ``decoder.onnx``'s initializers.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Iterable, List, Sequence, Tuple

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch.nn import functional as F

from decap_tools.decoder_model import DeCapDecoder, infer_config

#: ONNX weight name, float32 [K, N] weight, H [K, K] -> the dequantized weight [K, N] to continue with
Quantizer = Callable[[str, np.ndarray, np.ndarray], np.ndarray]


def decoder_from_onnx(path, heads: int) -> Tuple[DeCapDecoder, Dict[str, str]]:
    """The float32 PyTorch decoder of a decap ``decoder.onnx`` (exported by ``tools/export_decoder.py``) and the
    map state-dict key -> ONNX initializer name (the export prefixes the keys, e.g. ``model.``). Every parameter
    must be its own initializer, as in a trained model's export (the exporter merges equal constants, e.g. the zero
    biases of an untrained model: such a file is refused)."""
    inits = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}
    keys = {}
    for name in inits:
        key = name.split(".", 1)[1] if name.split(".", 1)[0] == "model" else name
        if key.startswith(("decoder.", "clip_project.")):
            keys[key] = name
    state = {k: torch.from_numpy(np.array(inits[n], dtype=np.float32)) for k, n in keys.items()}
    try:
        cfg = infer_config(state, heads)
        state.setdefault("decoder.lm_head.weight", state["decoder.transformer.wte.weight"])
        model = DeCapDecoder(cfg)
        model.load_state_dict(state, strict=True)
    except (ValueError, RuntimeError, KeyError) as e:
        raise ValueError(f"{path}: not a decap decoder export ({e})") from None
    return model.eval(), keys


def caption_inputs(bundle_dir, manifest: dict, captions: Sequence[str], batch: int = 1024
                   ) -> Tuple[torch.Tensor, List[List[int]]]:
    """Unit prefixes ``[N, D]`` (the bundle's text tower on ``captions``) and each caption's decoder token ids.

    Needs a word tokenizer (``"tokenizer": {"type": "word"}``, decoder id = tokenizer id): the miniature's.
    """
    from decap_tools import ort
    from decap_tools.word_tokenizer import WordTokenizer
    tok_section = manifest.get("tokenizer", {})
    if tok_section.get("type") != "word" or manifest.get("decoder", {}).get("vocab_map"):
        raise ValueError("GPTQ calibration needs a bundle with a word tokenizer and no vocab_map (found tokenizer "
                         f"type {tok_section.get('type', 'clip-bpe')!r}); quantize without --gptq")
    bundle_dir = Path(bundle_dir)
    tok = WordTokenizer.load(bundle_dir / tok_section["vocabulary"])
    n = int(manifest.get("clip", {}).get("context_length", 77))
    captions = [c.strip() for c in captions if c.strip()]
    if not captions:
        raise ValueError("no calibration captions (expected one caption per line)")
    text_encoder = bundle_dir / manifest["files"]["text_encoder"]["path"]
    rows = []
    for i in range(0, len(captions), batch):
        ids = np.array([tok.encode_context(c, n) for c in captions[i:i + batch]], dtype=np.int64)
        e = ort.run(text_encoder, {"input_ids": ids}, outputs=["text_embeds"])["text_embeds"]
        rows.append(F.normalize(torch.from_numpy(np.asarray(e, dtype=np.float32)), dim=-1))
    return torch.cat(rows), [tok.encode(c) for c in captions]


def linear_order(model: DeCapDecoder) -> List[str]:
    """State-dict keys of the decoder's matrices in the order GPTQ quantizes them (module docstring)."""
    names = ["decoder.transformer.wte.weight", "clip_project.model.0.weight"]
    for i in range(model.cfg.layers):
        p = f"decoder.transformer.h.{i}."
        names += [p + "attn.c_attn.weight", p + "attn.c_proj.weight", p + "mlp.c_fc.weight", p + "mlp.c_proj.weight"]
    return names


def _weight_kn(model: DeCapDecoder, key: str) -> np.ndarray:
    w = model.state_dict()[key].numpy()
    if key == "decoder.transformer.wte.weight":
        return w.T.copy()                 # the LM head multiplies h [.., D] by wte^T: K = D
    if key == "clip_project.model.0.weight":
        return w.T.copy()                 # nn.Linear stores [out, in]
    return w.copy()                       # GPT-2 Conv1D stores [in, out]


def _set_weight_kn(model: DeCapDecoder, key: str, w_kn: np.ndarray) -> None:
    with torch.no_grad():
        t = torch.from_numpy(np.ascontiguousarray(
            w_kn.T if key in ("decoder.transformer.wte.weight", "clip_project.model.0.weight") else w_kn))
        model.state_dict()[key].copy_(t.to(torch.float32))


def _input_module(model: DeCapDecoder, key: str):
    """The module whose input (or, for the LM head, whose output: ``ln_f``) holds the rows multiplied by ``key``."""
    if key == "decoder.transformer.wte.weight":
        return model.decoder.transformer.ln_f, "output"
    module = model
    for part in key.rsplit(".", 1)[0].split("."):
        module = getattr(module, part) if not part.isdigit() else module[int(part)]
    return module, "input"


@torch.no_grad()
def layer_hessian(model: DeCapDecoder, key: str, prefixes: torch.Tensor, token_ids: Sequence[Sequence[int]],
                  batch: int = 512) -> np.ndarray:
    """``X^T X`` (float64 ``[K, K]``) of the rows the weight ``key`` multiplies, over the calibration captions:
    the prefix position and one position per caption token (teacher forcing; padding excluded)."""
    module, where = _input_module(model, key)
    captured: List[torch.Tensor] = []
    if where == "output":
        handle = module.register_forward_hook(lambda m, inp, out: captured.append(out))
    else:
        handle = module.register_forward_pre_hook(lambda m, inp: captured.append(inp[0]))
    wte = model.decoder.transformer.wte
    h = None
    try:
        for i in range(0, len(token_ids), batch):
            ids = token_ids[i:i + batch]
            length = max(len(t) for t in ids)
            padded = torch.zeros((len(ids), length), dtype=torch.long)
            valid = torch.zeros((len(ids), length + 1), dtype=torch.bool)
            for r, t in enumerate(ids):
                padded[r, :len(t)] = torch.tensor(t, dtype=torch.long)
                valid[r, :len(t) + 1] = True
            captured.clear()
            embeds = torch.cat([model.embed_prefix(prefixes[i:i + batch]), wte(padded)], dim=1)
            model.forward_embeds(embeds)
            x = captured[0]
            if x.dim() == 2:   # clip_project sees the prefix alone: one row per caption
                rows = x.double()
            else:
                rows = x[valid].double()
            part = (rows.T @ rows).numpy()
            h = part if h is None else h + part
    finally:
        handle.remove()
    return h


def gptq_hessians(model: DeCapDecoder, keys: Dict[str, str], prefixes: torch.Tensor,
                  token_ids: Sequence[Sequence[int]], quantize: Quantizer, names: Iterable[str],
                  log: Callable[[str], None] = lambda m: None) -> Dict[str, np.ndarray]:
    """Sequential GPTQ calibration: for each matrix of :func:`linear_order` whose ONNX initializer is in ``names``
    (``keys``: state-dict key -> initializer name), its Hessian on the model as quantized so far;
    ``quantize(onnx_name, w_kn, H)`` returns the dequantized weight, which replaces the float32 one for the next
    layers (``model`` ends quantized). Returns ONNX initializer name -> H."""
    names = set(names)
    out: Dict[str, np.ndarray] = {}
    for key in linear_order(model):
        name = keys.get(key)
        if name not in names:
            continue
        h = layer_hessian(model, key, prefixes, token_ids)
        _set_weight_kn(model, key, quantize(name, _weight_kn(model, key), h))
        out[name] = h
        log(f"  gptq {name}: K {h.shape[0]}, {len(token_ids)} captions")
    return out


def read_captions(path) -> List[str]:
    """One caption per line of a UTF-8 text file, blank lines skipped."""
    return [l.strip() for l in Path(path).read_text(encoding="utf-8").splitlines() if l.strip()]
