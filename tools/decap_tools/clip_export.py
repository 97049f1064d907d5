"""Export of decap's CLIP towers to ONNX in three layouts, tiny CLIP fixtures and CLIP golden embeddings.

Layouts (see ``docs/clip-layouts.md`` for sources and how the Java side feeds each):

* ``decap``  -- ``image_encoder.onnx``: ``pixel_values`` f32 [batch,3,S,S] -> ``image_embeds`` [batch,D];
  ``text_encoder.onnx``: ``input_ids`` i64 [batch,77] -> ``text_embeds`` [batch,D]. Unnormalised.
* ``hf``     -- optimum's combined ``model.onnx``: ``input_ids`` i64 [text_batch_size, sequence_length],
  ``pixel_values`` f32 [image_batch_size, num_channels, height, width], ``attention_mask`` i64
  [text_batch_size, sequence_length] -> ``logits_per_image``, ``logits_per_text``, ``text_embeds``,
  ``image_embeds`` (the embeddings L2-normalised, as Hugging Face's ``CLIPModel.forward`` returns them).
* ``xenova`` -- transformers.js: ``onnx/text_model.onnx``: ``input_ids`` i64 [batch_size, sequence_length] ->
  ``text_embeds``; ``onnx/vision_model.onnx``: ``pixel_values`` f32 [batch_size, num_channels, height, width] ->
  ``image_embeds``. Unnormalised (``CLIP*ModelWithProjection``).

Every export is checked with ``onnx.checker`` and run in ONNX Runtime Java (``decap_tools.ort``) against
PyTorch on the same inputs.

Public functions used by ``tools/make_fixtures.py`` and the benches: :func:`tiny_clip`,
:func:`export_layout`, :func:`make_clip_fixtures`, :func:`encode_texts`, :func:`encode_preprocessed`,
:func:`load_preprocessed`, :func:`clip_manifest_section`, :func:`make_full_size`.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np
import onnx
import torch
from torch import nn

from .clip_model import Clip, ClipConfig, VIT_B_32, build_random_clip, tiny_config

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
LAYOUTS = ("decap", "hf", "xenova")
#: Embedding size of the tiny fixtures (the tiny decoder's prefix_dim must equal it).
TINY_EMBED_DIM = 64
#: Largest |ORT - PyTorch| accepted when an export is verified (float32, tiny and full-size models).
VERIFY_ATOL = 1e-4

_ROOT = Path(__file__).resolve().parents[2]


def default_shared_data() -> Path:
    return _ROOT.parent / "shared" / "data"


# -- models ----------------------------------------------------------------------------------------------------

def tiny_clip(seed: int = 0, embed_dim: int = TINY_EMBED_DIM, width: int = 32) -> Clip:
    """The tiny random CLIP of the fixtures (224 input, patch 16, 2 layers, 2 heads, 256 hashed token rows)."""
    return build_random_clip(tiny_config(embed_dim=embed_dim, width=width), seed)


class _DecapImage(nn.Module):
    def __init__(self, clip: Clip):
        super().__init__()
        self.clip = clip

    def forward(self, pixel_values):
        return self.clip.encode_image(pixel_values)


class _DecapText(nn.Module):
    def __init__(self, clip: Clip):
        super().__init__()
        self.clip = clip

    def forward(self, input_ids):
        return self.clip.encode_text(input_ids)


class _HfCombined(nn.Module):
    """What optimum exports for ``CLIPModel``: both towers, normalised embeddings, scaled similarity logits."""

    def __init__(self, clip: Clip):
        super().__init__()
        self.clip = clip

    def forward(self, input_ids, pixel_values, attention_mask):
        image = self.clip.encode_image(pixel_values)
        text = self.clip.encode_text(input_ids, attention_mask)
        image = image / image.norm(p=2, dim=-1, keepdim=True)
        text = text / text.norm(p=2, dim=-1, keepdim=True)
        logits_per_text = torch.matmul(text, image.t()) * self.clip.logit_scale.exp()
        return logits_per_text.t(), logits_per_text, text, image


def _onnx_export(module: nn.Module, args: tuple, path: Path, input_names, output_names, dynamic_axes,
                 opset: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # torch.onnx.export restores the wrapper's training flag afterwards, recursively: a fresh wrapper is in
    # training mode, which would leave the wrapped CLIP's BatchNorm layers (cnn tower) training
    module = module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, str(path), input_names=list(input_names), output_names=list(output_names),
                          dynamic_axes=dynamic_axes, opset_version=opset, do_constant_folding=True)
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    got_in = [i.name for i in model.graph.input]
    got_out = [o.name for o in model.graph.output]
    if got_in != list(input_names) or got_out != list(output_names):
        raise RuntimeError(f"{path}: exported I/O {got_in} -> {got_out}, expected {list(input_names)} -> "
                           f"{list(output_names)}")


def export_layout(clip: Clip, layout: str, out_dir, opset: Optional[int] = None,
                  dynamic_sequence: bool = True, image: bool = True) -> Dict[str, Path]:
    """Writes ``clip`` in ``layout`` under ``out_dir``; returns {component: path}.

    Components: decap -> image_encoder, text_encoder; hf -> model; xenova -> text_model, vision_model.

    ``dynamic_sequence`` (decap layout only; hf and xenova always have one): the decap text tower's
    ``input_ids`` gets a dynamic sequence axis ``[batch, sequence]`` instead of ``[batch, 77]``. The tower slices
    its position table and causal mask to the length fed and pools at ``argmax(input_ids)``, so any length from
    the text's EOT position up to 77 gives the 77-token embedding, at a fraction of the work for short captions.
    The committed fixtures keep ``False`` (byte-identical with the fixed-axis export they were made with).
    ``image=False`` (decap layout only) writes the text tower alone."""
    out = Path(out_dir)
    cfg = clip.cfg
    s = cfg.image_resolution
    clip = clip.eval()
    pix = torch.zeros(2, 3, s, s)
    ids = torch.zeros(2, cfg.context_length, dtype=torch.int64)
    # SOT, a word, EOT: 49406, 320, 49407 for CLIP's BPE; the two largest ids and a small one for a word vocabulary
    ids[:, 0] = cfg.vocab_size - 2
    ids[:, 1] = min(320, cfg.vocab_size - 3)
    ids[:, 2] = cfg.vocab_size - 1
    if layout == "decap":
        opset = opset or 17
        files = {"image_encoder": out / "image_encoder.onnx", "text_encoder": out / "text_encoder.onnx"}
        if image:
            _onnx_export(_DecapImage(clip), (pix,), files["image_encoder"], ["pixel_values"], ["image_embeds"],
                         {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}}, opset)
        else:
            del files["image_encoder"]
        text_axes = {"input_ids": {0: "batch", 1: "sequence"} if dynamic_sequence else {0: "batch"},
                     "text_embeds": {0: "batch"}}
        _onnx_export(_DecapText(clip), (ids,), files["text_encoder"], ["input_ids"], ["text_embeds"],
                     text_axes, opset)
        return files
    if layout == "hf":
        opset = opset or 14  # optimum's DEFAULT_ONNX_OPSET for CLIP
        files = {"model": out / "model.onnx"}
        short = ids[:, :3].contiguous()
        mask = torch.ones_like(short)
        _onnx_export(_HfCombined(clip), (short, pix, mask), files["model"],
                     ["input_ids", "pixel_values", "attention_mask"],
                     ["logits_per_image", "logits_per_text", "text_embeds", "image_embeds"],
                     {"input_ids": {0: "text_batch_size", 1: "sequence_length"},
                      "pixel_values": {0: "image_batch_size", 1: "num_channels", 2: "height", 3: "width"},
                      "attention_mask": {0: "text_batch_size", 1: "sequence_length"},
                      "logits_per_image": {0: "image_batch_size", 1: "text_batch_size"},
                      "logits_per_text": {0: "text_batch_size", 1: "image_batch_size"},
                      "text_embeds": {0: "text_batch_size"},
                      "image_embeds": {0: "image_batch_size"}}, opset)
        return files
    if layout == "xenova":
        opset = opset or 14
        files = {"text_model": out / "onnx" / "text_model.onnx", "vision_model": out / "onnx" / "vision_model.onnx"}
        _onnx_export(_DecapText(clip), (ids[:, :3].contiguous(),), files["text_model"], ["input_ids"],
                     ["text_embeds"], {"input_ids": {0: "batch_size", 1: "sequence_length"},
                                       "text_embeds": {0: "batch_size"}}, opset)
        _onnx_export(_DecapImage(clip), (pix,), files["vision_model"], ["pixel_values"], ["image_embeds"],
                     {"pixel_values": {0: "batch_size", 1: "num_channels", 2: "height", 3: "width"},
                      "image_embeds": {0: "batch_size"}}, opset)
        return files
    raise ValueError(f"unknown CLIP layout '{layout}'; expected one of {LAYOUTS}")


# -- reference inputs ------------------------------------------------------------------------------------------

def load_preprocessed(path, size: int = 224) -> np.ndarray:
    """A reference ``*_224.f32`` file (float32 little-endian CHW) as ``[3, size, size]``."""
    a = np.fromfile(str(path), dtype="<f4")
    if a.size != 3 * size * size:
        raise ValueError(f"{path}: expected {3 * size * size} floats, found {a.size}")
    return a.reshape(3, size, size)


def golden_image_cases(shared: Path) -> List[dict]:
    """Every image of ``golden/images`` and ``images`` with its 224 reference tensor, in a stable order."""
    cases = json.loads((shared / "golden" / "preprocess_cases.json").read_text())["cases"]
    ref = {c["image"]: c["reference"] for c in cases if c["size"] == 224}
    out = []
    for folder in ("golden/images", "images"):
        for f in sorted(os.listdir(shared / folder)):
            if f not in ref:
                raise FileNotFoundError(f"no 224 reference tensor for {folder}/{f} in preprocess_cases.json")
            out.append({"image": f"{folder}/{f}", "preprocessed": f"golden/preprocessed/{ref[f]}"})
    return out


def golden_text_cases(shared: Path, count: int = 240) -> List[dict]:
    """Texts for the text-tower golden, ``count`` in all.

    From ``golden/clip_tokenizer_cases.jsonl`` (their reference ``tokenize77`` ids are the input): every case
    of 16 or more tokens (the one truncated case included), every ftfy/mojibake case, then plain cases spread
    over the file. Plus synthesized long texts around the 77-token limit (75, 76, 77 and 110 tokens before
    SOT/EOT), tokenized by :mod:`decap_tools.clip_tokenizer` (which matches the reference on every plain case);
    those carry ``"source": "synthesized"``."""
    lines = [json.loads(l) for l in (shared / "golden" / "clip_tokenizer_cases.jsonl").read_text(encoding="utf-8").split("\n")
             if l.strip()]
    must = {i for i, c in enumerate(lines) if len(c["ids"]) >= 16 or c["ftfy"] != "plain"}
    rest = [i for i in range(len(lines)) if i not in must]
    synth = _synthesized_long_texts(shared)
    need = max(0, count - len(must) - len(synth))
    step = max(1, len(rest) // max(1, need))
    chosen = sorted(must | set(rest[::step][:need]))
    out = [{"text": lines[i]["text"], "source": "clip_tokenizer_cases.jsonl", "input_ids": lines[i]["tokenize77"],
            "truncated": len(lines[i]["ids"]) > 75} for i in chosen]
    return out + synth


def _synthesized_long_texts(shared: Path) -> List[dict]:
    from .clip_tokenizer import ClipTokenizer

    tok = ClipTokenizer(str(shared / "clip" / "bpe_simple_vocab_16e6.txt.gz"))
    words = ("a man riding a horse on a beach next to the ocean while two dogs run behind him and a small "
             "boat sails far away under a cloudy sky near some rocks").split()
    out = []
    for target in (75, 76, 77, 110):
        # one token per word for these common words: build a text of exactly `target` tokens
        text_words = [words[k % len(words)] for k in range(target)]
        text = " ".join(text_words)
        ids = tok.encode(text)
        if len(ids) != target:
            raise AssertionError(f"synthesized text has {len(ids)} tokens, wanted {target}")
        out.append({"text": text, "source": "synthesized", "input_ids": tok.tokenize77(text),
                    "truncated": target > 75})
    return out


# -- encoding helpers (PyTorch reference) -----------------------------------------------------------------------

@torch.no_grad()
def encode_texts(clip: Clip, ids: Sequence[Sequence[int]], batch: int = 64) -> np.ndarray:
    """``[N, 77]`` ids -> ``[N, D]`` unnormalised text embeddings (float32)."""
    out = []
    for i in range(0, len(ids), batch):
        t = torch.tensor(ids[i:i + batch], dtype=torch.int64)
        out.append(clip.encode_text(t).numpy())
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, clip.cfg.embed_dim), np.float32)


@torch.no_grad()
def encode_preprocessed(clip: Clip, tensors: np.ndarray) -> np.ndarray:
    """``[N, 3, S, S]`` normalised pixels -> ``[N, D]`` unnormalised image embeddings (float32)."""
    return clip.encode_image(torch.from_numpy(np.ascontiguousarray(tensors, dtype=np.float32))).numpy()


def f32(x) -> float:
    """Rounds to float32; JSON writes the shortest text that reads back as the same float32."""
    return float(np.float32(x))


def f32_list(a) -> list:
    return [_F32(v) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


class _F32(float):
    """A float whose JSON text is the shortest decimal that round-trips *as float32* (``str(np.float32)``)."""

    def __new__(cls, v):
        obj = super().__new__(cls, float(np.float32(v)))
        obj._text = str(np.float32(v))
        return obj

    def __repr__(self):
        return self._text


#: Public name of the float32-exact JSON float (``F32(x)``); lists of them come from :func:`f32_list`.
F32 = _F32


def dump_json(obj, path) -> None:
    """JSON with float32 values written as their shortest float32 round-trip text."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = _dumps(obj)
    path.write_text(text + "\n")


def _dumps(obj, indent: int = 0) -> str:
    # A small writer: json.dumps ignores float.__repr__ overrides, and compact rows keep files readable.
    pad = "  " * indent
    if isinstance(obj, _F32):
        if not math.isfinite(obj):
            raise ValueError("non-finite float in golden output")
        return repr(obj)
    if isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError("non-finite float in golden output")
        return repr(obj)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f'{pad}  {json.dumps(str(k))}: {_dumps(v, indent + 1)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if all(isinstance(v, (int, float, bool)) and not isinstance(v, dict) for v in obj):
            return "[" + ", ".join(_dumps(v) if isinstance(v, float) else json.dumps(v) for v in obj) + "]"
        items = [pad + "  " + _dumps(v, indent + 1) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj, ensure_ascii=False)


def max_abs_diff(a, b) -> float:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise AssertionError(f"shape mismatch: expected {b.shape}, found {a.shape}")
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def _check(name: str, got, want, atol: float = VERIFY_ATOL) -> float:
    d = max_abs_diff(got, want)
    if not d <= atol:
        raise AssertionError(f"{name}: ONNX Runtime differs from PyTorch by {d:.3g} (> {atol})")
    return d


# -- verification through ONNX Runtime Java --------------------------------------------------------------------

def verify_layout(clip: Clip, layout: str, files: Dict[str, Path], pixels: np.ndarray,
                  ids77: np.ndarray) -> Dict[str, float]:
    """Runs the exported files in ONNX Runtime Java and compares with PyTorch; returns max |diff| per output.

    For ``hf`` and ``xenova`` the texts are also fed the Hugging Face way (trimmed to the longest text, padded
    with 49407, attention mask), which must give the same text embeddings as the 77-token zero-padded form."""
    from . import ort

    pixels = np.ascontiguousarray(pixels, dtype=np.float32)
    ids77 = np.ascontiguousarray(ids77, dtype=np.int64)
    img_ref = encode_preprocessed(clip, pixels)
    txt_ref = encode_texts(clip, ids77.tolist())
    hf_ids, hf_mask = hf_padded(ids77)
    diffs: Dict[str, float] = {}
    if layout == "decap":
        diffs["image_embeds"] = _check("decap image_embeds", ort.run(files["image_encoder"], {"pixel_values": pixels})["image_embeds"], img_ref)
        diffs["text_embeds"] = _check("decap text_embeds", ort.run(files["text_encoder"], {"input_ids": ids77})["text_embeds"], txt_ref)
    elif layout == "xenova":
        diffs["image_embeds"] = _check("xenova image_embeds", ort.run(files["vision_model"], {"pixel_values": pixels})["image_embeds"], img_ref)
        diffs["text_embeds_77"] = _check("xenova text_embeds (77, zero padded)", ort.run(files["text_model"], {"input_ids": ids77})["text_embeds"], txt_ref)
        diffs["text_embeds_trimmed"] = _check("xenova text_embeds (trimmed, 49407 padded)", ort.run(files["text_model"], {"input_ids": hf_ids})["text_embeds"], txt_ref)
    elif layout == "hf":
        def norm(a):
            return a / np.linalg.norm(a, axis=-1, keepdims=True)
        img_n, txt_n = norm(img_ref), norm(txt_ref)
        lpt = (txt_n @ img_n.T) * float(clip.logit_scale.exp())
        for tag, feed_ids, feed_mask in (("77", ids77, np.ones_like(ids77)), ("trimmed", hf_ids, hf_mask)):
            out = ort.run(files["model"], {"input_ids": feed_ids, "pixel_values": pixels, "attention_mask": feed_mask})
            diffs[f"text_embeds_{tag}"] = _check(f"hf text_embeds ({tag})", out["text_embeds"], txt_n)
            diffs[f"image_embeds_{tag}"] = _check(f"hf image_embeds ({tag})", out["image_embeds"], img_n)
            diffs[f"logits_per_text_{tag}"] = _check(f"hf logits_per_text ({tag})", out["logits_per_text"], lpt, 1e-3)
            diffs[f"logits_per_image_{tag}"] = _check(f"hf logits_per_image ({tag})", out["logits_per_image"], lpt.T, 1e-3)
    else:
        raise ValueError(f"unknown CLIP layout '{layout}'")
    return diffs


def eot_lengths(ids77) -> List[int]:
    """Tokens of each row through its EOT (the position ``argmax`` pools at), SOT included."""
    return [int(np.argmax(row)) + 1 for row in np.asarray(ids77)]


def verify_text_lengths(clip: Clip, text_encoder: Path, ids77: np.ndarray,
                        lengths: Optional[Sequence[int]] = None, pad_id: int = 0) -> Dict[str, float]:
    """Checks a decap-layout text tower with a dynamic sequence axis at several sequence lengths.

    Every row is fed at each length ``L`` of ``lengths`` that holds its EOT (ids cut to ``L``, ``pad_id`` after
    the EOT) through ONNX Runtime Java, and compared with PyTorch at ``L`` and with PyTorch at 77 (the
    embedding of the fixed-axis form). Default lengths: each row's own EOT length, 77 and a few in between.
    Returns {"L=<n>": max |diff| against PyTorch at 77}; raises above ``VERIFY_ATOL``."""
    from . import ort

    ids77 = np.ascontiguousarray(ids77, dtype=np.int64)
    full = ids77.shape[1]
    own = eot_lengths(ids77)
    if lengths is None:
        lengths = sorted(set(own) | {full, (min(own) + full) // 2} | {min(full, n + 5) for n in own})
    ref77 = encode_texts(clip, ids77.tolist())
    diffs: Dict[str, float] = {}
    for n in lengths:
        rows = [r for r in range(len(ids77)) if own[r] <= n]
        if not rows:
            continue
        cut = np.full((len(rows), n), pad_id, dtype=np.int64)
        for k, r in enumerate(rows):
            cut[k, :own[r]] = ids77[r, :own[r]]
        got = ort.run(text_encoder, {"input_ids": cut})["text_embeds"]
        with torch.no_grad():
            torch_n = clip.encode_text(torch.from_numpy(cut)).numpy()
        _check(f"decap text_embeds at length {n} vs PyTorch at {n}", got, torch_n)
        diffs[f"L={n}"] = _check(f"decap text_embeds at length {n} vs PyTorch at {full}", got, ref77[rows])
    return diffs


def hf_padded(ids77: np.ndarray, pad_id: int = 49407):
    """Hugging Face tokenizer form of 77-token ids: trimmed to the longest text, padded with ``pad_id``
    (openai/clip-vit-base-patch32's tokenizer pads with <|endoftext|>), plus the attention mask."""
    ids77 = np.asarray(ids77, dtype=np.int64)
    lengths = [int(np.argmax(row)) + 1 for row in ids77]  # through the first EOT
    n = max(lengths)
    ids = np.full((len(ids77), n), pad_id, dtype=np.int64)
    mask = np.zeros((len(ids77), n), dtype=np.int64)
    for r, (row, L) in enumerate(zip(ids77, lengths)):
        ids[r, :L] = row[:L]
        mask[r, :L] = 1
    return ids, mask


# -- fixtures --------------------------------------------------------------------------------------------------

def clip_manifest_section(cfg: ClipConfig, layout: str = "decap", mean: Sequence[float] = CLIP_MEAN,
                          std: Sequence[float] = CLIP_STD) -> dict:
    """The bundle manifest's ``clip`` object for a model of shape ``cfg`` trained with ``mean`` / ``std``."""
    return {"layout": layout, "image_size": cfg.image_resolution, "mean": list(mean), "std": list(std),
            "interpolation": "bicubic", "context_length": cfg.context_length}


def _rel(path: Path, base: Path) -> str:
    return os.path.relpath(path, base).replace(os.sep, "/")


def make_clip_fixtures(fixtures_dir, seed: int = 0, shared_dir=None, embed_dim: int = TINY_EMBED_DIM,
                       verify: bool = True, text_count: int = 240, log=print) -> dict:
    """Writes every CLIP fixture under ``fixtures_dir`` (= ``decap-onnx/src/test/resources/fixtures``):

    * ``tiny/image_encoder.onnx``, ``tiny/text_encoder.onnx`` -- decap layout, the tiny bundle's encoders;
    * ``layouts/hf/model.onnx`` + ``layouts/hf/golden.json``;
    * ``layouts/xenova/onnx/{text_model,vision_model}.onnx`` + ``layouts/xenova/golden.json``;
    * ``golden/clip_image_embeddings.json``, ``golden/clip_text_embeddings.json`` (tiny decap towers).

    Returns what the bundle writer and the pipeline golden need::

        {"clip": <Clip model, PyTorch>, "embedding_dim": 64,
         "files": {"image_encoder": Path, "text_encoder": Path},       # inside tiny/
         "manifest_clip": {...},                                       # the manifest's "clip" object
         "config": {...ClipConfig...}, "written": [Path, ...], "verification": {layout: {output: max_diff}}}
    """
    fixtures = Path(fixtures_dir)
    shared = Path(shared_dir) if shared_dir else default_shared_data()
    if not (shared / "golden").is_dir():
        raise FileNotFoundError(f"{shared}/golden not found: the CLIP goldens need ../shared/data")
    clip = tiny_clip(seed, embed_dim)
    written: List[Path] = []
    verification: Dict[str, Dict[str, float]] = {}

    img_cases = golden_image_cases(shared)
    pixels = np.stack([load_preprocessed(shared / c["preprocessed"]) for c in img_cases])
    txt_cases = golden_text_cases(shared, text_count)
    ids77 = np.array([c["input_ids"] for c in txt_cases], dtype=np.int64)

    # decap layout: the tiny bundle's encoders + the CLIP goldens
    files = export_layout(clip, "decap", fixtures / "tiny", dynamic_sequence=False)
    written += files.values()
    if verify:
        verification["decap"] = verify_layout(clip, "decap", files, pixels, ids77)
        log(f"decap layout verified in ONNX Runtime Java: {verification['decap']}")
    img_emb = encode_preprocessed(clip, pixels)
    txt_emb = encode_texts(clip, ids77.tolist())
    model_note = {"image_encoder": "fixtures/tiny/image_encoder.onnx", "text_encoder": "fixtures/tiny/text_encoder.onnx",
                  "created_by": f"tools/make_fixtures.py --seed {seed}", "embedding_dim": embed_dim,
                  "normalised": False}
    gi = fixtures / "golden" / "clip_image_embeddings.json"
    dump_json({**model_note,
               "input": "pixel_values = the reference tensor ../shared/data/<preprocessed> (float32 LE CHW, 3x224x224)",
               "cases": [{"image": c["image"], "preprocessed": c["preprocessed"], "embedding": f32_list(e)}
                         for c, e in zip(img_cases, img_emb)]}, gi)
    gt = fixtures / "golden" / "clip_text_embeddings.json"
    dump_json({**model_note,
               "input": "input_ids = the case's input_ids (the golden tokenize77 ids of the tokenizer cases)",
               "cases": [{"text": c["text"], "source": c["source"], "truncated": c["truncated"],
                          "input_ids": c["input_ids"], "embedding": f32_list(e)} for c, e in zip(txt_cases, txt_emb)]}, gt)
    written += [gi, gt]

    # hf and xenova layouts: smaller width, own golden with a few texts and images
    layout_clip = tiny_clip(seed + 1, embed_dim, width=16)
    pick_img = [0, 5, len(img_cases) - 1]
    pick_txt = [i for i, c in enumerate(txt_cases) if not c["truncated"]][:4] + \
        [i for i, c in enumerate(txt_cases) if c["truncated"]][:1]
    lp, lids = pixels[pick_img], ids77[pick_txt]
    for layout in ("hf", "xenova"):
        d = fixtures / "layouts" / layout
        files_l = export_layout(layout_clip, layout, d)
        written += files_l.values()
        if verify:
            verification[layout] = verify_layout(layout_clip, layout, files_l, lp, lids)
            log(f"{layout} layout verified in ONNX Runtime Java: {verification[layout]}")
        ie = encode_preprocessed(layout_clip, lp)
        te = encode_texts(layout_clip, lids.tolist())
        normalised = layout == "hf"
        if normalised:
            ie = ie / np.linalg.norm(ie, axis=-1, keepdims=True)
            te = te / np.linalg.norm(te, axis=-1, keepdims=True)
        hf_ids, hf_mask = hf_padded(lids)
        g = {"layout": layout, "files": {k: _rel(v, d) for k, v in files_l.items()},
             "created_by": f"tools/make_fixtures.py --seed {seed}", "embedding_dim": embed_dim,
             "normalised": normalised,
             "note": ("text embeddings are the same for the 77-token zero-padded ids and for the Hugging Face "
                      "form (trimmed to the longest text, padded with 49407, attention_mask)"),
             "texts": [{"text": txt_cases[i]["text"], "input_ids": txt_cases[i]["input_ids"],
                        "hf_input_ids": hf_ids[k].tolist(), "hf_attention_mask": hf_mask[k].tolist(),
                        "text_embeds": f32_list(te[k])} for k, i in enumerate(pick_txt)],
             "images": [{"image": img_cases[i]["image"], "preprocessed": img_cases[i]["preprocessed"],
                         "image_embeds": f32_list(ie[k])} for k, i in enumerate(pick_img)]}
        if layout == "hf":
            g["logit_scale"] = _F32(float(layout_clip.logit_scale.exp()))
            g["logits_per_text"] = [f32_list(r) for r in (te @ ie.T) * float(layout_clip.logit_scale.exp())]
        gp = d / "golden.json"
        dump_json(g, gp)
        written.append(gp)

    return {"clip": clip, "embedding_dim": embed_dim, "files": files, "config": clip.cfg.to_dict(),
            "manifest_clip": clip_manifest_section(clip.cfg), "written": written, "verification": verification}


def make_dynamic_text_fixture(out_path, seed: int = 0, shared_dir=None, embed_dim: int = TINY_EMBED_DIM,
                              verify: bool = True, log=print) -> dict:
    """The tiny fixtures' text tower (the same weights as ``tiny/text_encoder.onnx`` for the same ``seed``)
    exported with a dynamic sequence axis, ``input_ids [batch, sequence]``, to ``out_path`` (about 200 kB).

    Kept outside ``fixtures/`` so that :func:`make_clip_fixtures` and ``tools/test_fixtures.py`` stay as they
    are; the Java tests compare it with the fixed-axis tower and with ``golden/clip_text_embeddings.json``.
    With ``verify`` every golden text case is checked in ONNX Runtime Java at its own length, at 77 and at
    lengths in between. Returns {"file": Path, "verification": {...}}."""
    out = Path(out_path)
    shared = Path(shared_dir) if shared_dir else default_shared_data()
    clip = tiny_clip(seed, embed_dim)
    with _TempDir() as tmp:
        files = export_layout(clip, "decap", tmp, dynamic_sequence=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(files["text_encoder"].read_bytes())
    verification: Dict[str, float] = {}
    if verify:
        ids77 = np.array([c["input_ids"] for c in golden_text_cases(shared)], dtype=np.int64)
        verification = verify_text_lengths(clip, out, ids77, lengths=sorted(set(eot_lengths(ids77)) | {2, 77}))
        log(f"dynamic-axis tiny text tower verified in ONNX Runtime Java at {len(verification)} lengths, "
            f"max |diff| vs PyTorch at 77: {max(verification.values()):.3g}")
    return {"file": out, "verification": verification}


class _FullPositionsText(nn.Module):
    """A decap text tower as some exports write it: the whole 77-row position table and causal mask added
    unsliced, so the graph declares a dynamic sequence axis but only runs at 77 (a test of the Java fallback)."""

    def __init__(self, clip: Clip):
        super().__init__()
        self.clip = clip

    def forward(self, input_ids):
        c = self.clip
        x = c.token_rows(input_ids) + c.positional_embedding
        x = c.ln_final(c.transformer(x, c.causal_mask.unsqueeze(0).unsqueeze(0)))
        return x[torch.arange(x.shape[0]), c.eot_positions(input_ids)] @ c.text_projection


def make_full_positions_text_fixture(out_path, seed: int = 0, embed_dim: int = TINY_EMBED_DIM) -> Path:
    """The tiny text tower with a dynamic sequence axis declared but a fixed 77-row position table (fails on
    shorter input), for the test that such a model is fed 77 tokens. Checked to give the 77-token embedding at
    77 and to fail at 3 in ONNX Runtime Java."""
    from . import ort

    out = Path(out_path)
    clip = tiny_clip(seed, embed_dim).eval()
    ids = torch.zeros(2, clip.cfg.context_length, dtype=torch.int64)
    ids[:, 0], ids[:, 1], ids[:, 2] = 49406, 320, 49407
    _onnx_export(_FullPositionsText(clip), (ids,), out, ["input_ids"], ["text_embeds"],
                 {"input_ids": {0: "batch", 1: "sequence"}, "text_embeds": {0: "batch"}}, 17)
    _check("full-position text tower at 77", ort.run(out, {"input_ids": ids.numpy()})["text_embeds"],
           encode_texts(clip, ids.tolist()))
    try:
        ort.run(out, {"input_ids": ids[:, :3].contiguous().numpy()})
    except Exception:  # noqa: BLE001 - ORT's broadcast error is the point
        return out
    raise AssertionError(f"{out} runs on 3 tokens; expected a failure (fixed 77-row position table)")


class _TempDir:
    def __enter__(self) -> Path:
        import tempfile
        self._d = tempfile.TemporaryDirectory()
        return Path(self._d.name)

    def __exit__(self, *exc):
        self._d.cleanup()


# -- full size -------------------------------------------------------------------------------------------------

def make_full_size(out_dir, seed: int = 0, verify: bool = True, log=print, dynamic_sequence: bool = True) -> dict:
    """Random ViT-B/32-shaped CLIP exported in the decap layout into ``out_dir`` (bundle components
    ``image_encoder.onnx`` / ``text_encoder.onnx``; the text tower with a dynamic sequence axis unless
    ``dynamic_sequence`` is False). Returns {"clip", "files", "manifest_clip", "config", "verification"}."""
    clip = build_random_clip(VIT_B_32, seed)
    files = export_layout(clip, "decap", out_dir, dynamic_sequence=dynamic_sequence)
    verification = {}
    if verify:
        g = torch.Generator().manual_seed(seed)
        pixels = torch.randn(2, 3, 224, 224, generator=g).numpy()
        ids = np.zeros((2, 77), dtype=np.int64)
        ids[:, 0] = 49406
        ids[0, 1:6] = [320, 1929, 530, 320, 2867]
        ids[0, 6] = 49407
        ids[1, 1:76] = np.arange(1000, 1075)
        ids[1, 76] = 49407
        verification = verify_layout(clip, "decap", files, pixels, ids)
        if dynamic_sequence:
            verification["text_embeds_by_length"] = verify_text_lengths(clip, files["text_encoder"], ids)
        log(f"full-size decap export verified in ONNX Runtime Java: {verification}")
    return {"clip": clip, "files": files, "manifest_clip": clip_manifest_section(clip.cfg),
            "config": clip.cfg.to_dict(), "verification": verification}
