"""Reference DeCap decoder: a GPT-2 language model conditioned on a one-token CLIP prefix, written for decap.

Architecture (as in DeCap's ``train.py``, which wraps Hugging Face's ``GPT2LMHeadModel``):

* ``clip_project``: ``Linear(prefix_dim -> width)`` inside an ``nn.Sequential`` (DeCap's ``MLP((512, 768))``), so
  its keys are ``clip_project.model.0.{weight,bias}``. Its output is the input embedding of position 0.
* ``decoder.transformer``: token embedding ``wte`` [vocab, width], learned positions ``wpe`` [max_positions, width],
  ``layers`` pre-LayerNorm blocks (``ln_1`` -> causal self-attention ``c_attn``/``c_proj`` -> residual, ``ln_2`` ->
  MLP ``c_fc`` (width -> 4 width), ``gelu_new`` (tanh approximation), ``c_proj`` -> residual), final ``ln_f``.
  LayerNorm epsilon 1e-5. Attention scores are divided by sqrt(head_dim).
* ``decoder.lm_head``: bias-free projection to the vocabulary, *tied* to ``wte``.
* Linear layers inside the transformer use GPT-2's ``Conv1D`` layout: weight [in, out], ``y = x @ W + b``.

State dict keys therefore equal those of the official checkpoint (``coco_prefix-009.pt``), except that the
official file also holds GPT-2's attention buffers ``decoder.transformer.h.N.attn.bias`` (the causal mask) and
``.attn.masked_bias``; :func:`load_official_state_dict` accepts and drops them.

Three ways to compute next-token logits, all in float32:

* :meth:`DeCapDecoder.logits_no_cache`: the official notebook's way: embed ``[clip_project(prefix), wte(t1..tn)]``
  and run the whole sequence through the causal transformer at every step, keeping the last position's logits.
* :meth:`DeCapDecoder.step`: one position with a key/value cache; position id = ``past_len``. Input embedding is
  ``clip_project(prefix)`` where ``use_prefix`` is true, else ``wte(input_ids)`` (selected with ``torch.where`` so
  the ONNX graph has a ``Where`` and both results are exact). This is what ``decoder.onnx`` contains.
* :meth:`DeCapDecoder.forward_embeds`: the shared full-sequence forward (optionally after a cache).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Tuple

import torch
from torch import nn
from torch.nn import functional as F

LN_EPS = 1e-5


@dataclass(frozen=True)
class DecoderConfig:
    """Shape of a DeCap decoder. Defaults: the official COCO decoder (GPT-2 with 4 layers, 4 heads, width 768)."""

    prefix_dim: int = 512
    width: int = 768
    layers: int = 4
    heads: int = 4
    vocab_size: int = 50257
    max_positions: int = 1024

    def __post_init__(self):
        if self.width % self.heads != 0:
            raise ValueError(f"width {self.width} is not divisible by heads {self.heads}")

    @property
    def head_dim(self) -> int:
        return self.width // self.heads

    def to_dict(self) -> dict:
        return asdict(self)


def gelu_new(x: torch.Tensor) -> torch.Tensor:
    """GPT-2's GELU (tanh approximation), written out so the ONNX export is plain elementwise ops."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    """GPT-2's linear layer: weight stored [in, out]; ``y = x @ W + b``."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(x, self.weight) + self.bias


class Attention(nn.Module):
    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        self.heads = cfg.heads
        self.head_dim = cfg.head_dim
        self.c_attn = Conv1D(cfg.width, 3 * cfg.width)
        self.c_proj = Conv1D(cfg.width, cfg.width)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        return x.reshape(b, t, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x: torch.Tensor, past: Optional[Tuple[torch.Tensor, torch.Tensor]] = None,
                causal: bool = True) -> Tuple[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        """x [b, t, w]; past (k, v) each [b, heads, p, head_dim]. Returns output and the new (k, v) [.., p+t, ..].

        With ``causal``, query i (absolute position p+i) sees keys 0..p+i; for t == 1 no mask is needed.
        """
        b, t, w = x.shape
        q, k, v = self.c_attn(x).split(w, dim=2)
        q, k, v = self._split(q), self._split(k), self._split(v)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        if causal and t > 1:
            total = k.shape[2]
            p = total - t
            allowed = torch.ones(t, total, dtype=torch.bool).tril(diagonal=p)
            scores = scores.masked_fill(~allowed, float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        out = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, t, w)
        return self.c_proj(out), (k, v)


class Mlp(nn.Module):
    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        self.c_fc = Conv1D(cfg.width, 4 * cfg.width)
        self.c_proj = Conv1D(4 * cfg.width, cfg.width)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.width, eps=LN_EPS)
        self.attn = Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.width, eps=LN_EPS)
        self.mlp = Mlp(cfg)

    def forward(self, x, past=None):
        a, present = self.attn(self.ln_1(x), past)
        x = x + a
        x = x + self.mlp(self.ln_2(x))
        return x, present


class Transformer(nn.Module):
    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        self.wte = nn.Embedding(cfg.vocab_size, cfg.width)
        self.wpe = nn.Embedding(cfg.max_positions, cfg.width)
        self.h = nn.ModuleList([Block(cfg) for _ in range(cfg.layers)])
        self.ln_f = nn.LayerNorm(cfg.width, eps=LN_EPS)


class Gpt2LmHead(nn.Module):
    """GPT-2 transformer plus the tied vocabulary projection (``lm_head.weight is transformer.wte.weight``)."""

    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        self.transformer = Transformer(cfg)
        self.lm_head = nn.Linear(cfg.width, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.transformer.wte.weight


class ClipProject(nn.Module):
    """DeCap's ``MLP((prefix_dim, width))``: a Sequential holding one Linear (keys ``model.0.*``)."""

    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(cfg.prefix_dim, cfg.width))

    def forward(self, x):
        return self.model(x)


Past = List[Tuple[torch.Tensor, torch.Tensor]]


class DeCapDecoder(nn.Module):
    """The DeCap caption decoder. ``state_dict()`` keys match the official checkpoint (minus GPT-2's buffers)."""

    def __init__(self, cfg: DecoderConfig):
        super().__init__()
        self.cfg = cfg
        self.decoder = Gpt2LmHead(cfg)
        self.clip_project = ClipProject(cfg)

    # ---------------------------------------------------------------- initialisation
    def init_random(self, seed: int, std: float = 0.02) -> "DeCapDecoder":
        """GPT-2's initialisation from ``seed``: weights N(0, std), biases 0, LayerNorm weight 1 / bias 0."""
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if ".ln_" in name or name.startswith("decoder.transformer.ln_f"):
                    p.fill_(1.0 if name.endswith("weight") else 0.0)
                elif name.endswith("bias"):
                    p.zero_()
                else:
                    p.copy_(torch.randn(p.shape, generator=g) * std)
        return self

    # ---------------------------------------------------------------- forward passes
    def embed_prefix(self, prefix: torch.Tensor) -> torch.Tensor:
        """[b, prefix_dim] -> [b, 1, width]."""
        return self.clip_project(prefix).unsqueeze(1)

    def forward_embeds(self, embeds: torch.Tensor, past: Optional[Past] = None) -> Tuple[torch.Tensor, Past]:
        """Runs input embeddings [b, t, w] (positions past_len..past_len+t-1); returns logits [b, t, vocab] and
        the presents (k, v) per layer."""
        tr = self.decoder.transformer
        p = 0 if past is None else past[0][0].shape[2]
        pos = torch.arange(p, p + embeds.shape[1], dtype=torch.long)
        x = embeds + tr.wpe(pos).unsqueeze(0)
        presents = []
        for i, block in enumerate(tr.h):
            x, present = block(x, None if past is None else past[i])
            presents.append(present)
        x = tr.ln_f(x)
        return torch.matmul(x, tr.wte.weight.t()), presents

    def logits_no_cache(self, prefix: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """The notebook's step: prefix [b, prefix_dim], generated decoder ids [b, n] (n >= 0) -> next logits [b, vocab]."""
        embeds = self.embed_prefix(prefix)
        if tokens.shape[1] > 0:
            embeds = torch.cat([embeds, self.decoder.transformer.wte(tokens)], dim=1)
        logits, _ = self.forward_embeds(embeds)
        return logits[:, -1, :]

    def step(self, prefix: torch.Tensor, input_ids: torch.Tensor, use_prefix: torch.Tensor,
             past: Past) -> Tuple[torch.Tensor, Past]:
        """One cached position: prefix [b, prefix_dim], input_ids [b, 1] int64, use_prefix bool [1], past per layer
        (k, v) [b, heads, past_len, head_dim] (past_len may be 0). Returns logits [b, vocab] and presents.

        This is exactly the computation exported to ``decoder.onnx``.
        """
        tr = self.decoder.transformer
        from_prefix = self.embed_prefix(prefix)
        from_token = tr.wte(input_ids)
        x = torch.where(use_prefix.reshape(1, 1, 1), from_prefix, from_token)
        # position id = past_len, read from the cache's shape inside the graph (kept dynamic in the export)
        pos = torch._shape_as_tensor(past[0][0])[2].reshape(1, 1)
        x = x + tr.wpe(pos)
        presents = []
        for i, block in enumerate(tr.h):
            x, present = block(x, past[i])
            presents.append(present)
        h = tr.ln_f(x).squeeze(1)  # [b, w]
        # F.linear keeps the tied weight as is (Gemm transB) instead of a transposed copy in the ONNX file
        return F.linear(h, tr.wte.weight), presents

    def empty_past(self, batch: int) -> Past:
        c = self.cfg
        z = torch.zeros(batch, c.heads, 0, c.head_dim)
        return [(z, z) for _ in range(c.layers)]


# -------------------------------------------------------------------- checkpoints
GPT2_BUFFER_SUFFIXES = (".attn.bias", ".attn.masked_bias")


def _is_gpt2_buffer(key: str) -> bool:
    return key.startswith("decoder.transformer.h.") and key.endswith(GPT2_BUFFER_SUFFIXES)


def infer_config(state: Dict[str, torch.Tensor], heads: int = 4) -> DecoderConfig:
    """Reads the decoder's sizes from an official-layout state dict. Heads cannot be inferred from weights."""
    try:
        vocab, width = state["decoder.transformer.wte.weight"].shape
        max_positions = state["decoder.transformer.wpe.weight"].shape[0]
        out_dim, prefix_dim = state["clip_project.model.0.weight"].shape
    except KeyError as e:
        raise ValueError(f"not a DeCap decoder state dict: missing {e}") from None
    if out_dim != width:
        raise ValueError(f"clip_project outputs {out_dim} values, expected the decoder width {width}")
    layers = 0
    while f"decoder.transformer.h.{layers}.ln_1.weight" in state:
        layers += 1
    if layers == 0:
        raise ValueError("no transformer blocks (decoder.transformer.h.0.*) in the state dict")
    return DecoderConfig(prefix_dim=int(prefix_dim), width=int(width), layers=layers, heads=heads,
                         vocab_size=int(vocab), max_positions=int(max_positions))


def load_official_state_dict(state: Dict[str, torch.Tensor], heads: int = 4) -> DeCapDecoder:
    """Builds a decoder from an official-layout state dict (e.g. ``torch.load('coco_prefix-009.pt')``).

    GPT-2's ``attn.bias`` / ``attn.masked_bias`` buffers are dropped; ``decoder.lm_head.weight`` must equal
    ``wte`` (tied) when present. Every other key must match exactly.
    """
    cfg = infer_config(state, heads)
    state = {k: v for k, v in state.items() if not _is_gpt2_buffer(k)}
    wte = state["decoder.transformer.wte.weight"]
    head = state.get("decoder.lm_head.weight")
    if head is not None and not torch.equal(head, wte):
        raise ValueError("decoder.lm_head.weight differs from decoder.transformer.wte.weight; decap requires the "
                         "tied head of GPT-2")
    state.setdefault("decoder.lm_head.weight", wte)
    model = DeCapDecoder(cfg)
    model.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    return model.eval()


def official_state_dict(model: DeCapDecoder) -> Dict[str, torch.Tensor]:
    """The model's state dict as the official checkpoint stores it: plus GPT-2's buffers (causal mask
    ``attn.bias`` [1, 1, P, P] and ``attn.masked_bias`` = -1e4), with ``lm_head`` sharing ``wte``."""
    cfg = model.cfg
    out = {}
    for k, v in model.state_dict().items():
        out[k] = v
    mask = torch.tril(torch.ones(cfg.max_positions, cfg.max_positions, dtype=torch.uint8)).bool()
    for i in range(cfg.layers):
        out[f"decoder.transformer.h.{i}.attn.bias"] = mask.view(1, 1, cfg.max_positions, cfg.max_positions)
        out[f"decoder.transformer.h.{i}.attn.masked_bias"] = torch.tensor(-1e4)
    return out
