"""CLIP image and text towers, written for decap, in the layout of OpenAI's CLIP state dict.

The parameter names match OpenAI's ``clip/model.py`` state dict for the ViT variants
(``visual.conv1.weight``, ``visual.class_embedding``, ``visual.transformer.resblocks.0.attn.in_proj_weight``,
``token_embedding.weight``, ``transformer.resblocks.0.mlp.c_fc.weight``, ``text_projection`` ...), so a real
OpenAI checkpoint loads with ``load_state_dict`` (``buckets=0``). Semantics are those of ``encode_image`` /
``encode_text``: projected, *unnormalised* embeddings; the text tower uses a causal mask and pools the token at
``argmax(input_ids)`` (the EOT token, 49407, is the largest id CLIP's tokenizer produces).

For tiny test fixtures the text tower may hash token ids into ``buckets`` rows (``input_ids % buckets``); the
ONNX export does the same, so PyTorch and ONNX Runtime stay comparable.

Everything is float32. Activations use QuickGELU (``x * sigmoid(1.702 x)``), as OpenAI's CLIP.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Optional, Tuple

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class ClipConfig:
    """Shape of a CLIP ViT model. Defaults are ViT-B/32."""

    embed_dim: int = 512
    image_resolution: int = 224
    vision_layers: int = 12
    vision_width: int = 768
    vision_patch_size: int = 32
    vision_heads: int = 12
    context_length: int = 77
    vocab_size: int = 49408
    text_width: int = 512
    text_heads: int = 8
    text_layers: int = 12
    #: 0 = a full ``vocab_size`` token table; N > 0 = hashed table of N rows, looked up at ``input_ids % N``.
    token_buckets: int = 0
    #: ``vit`` (OpenAI's ViT tower) or ``cnn`` (:class:`ConvTower`, a small CNN for tiny images; not OpenAI's).
    vision_type: str = "vit"
    #: cnn only: output channels of the 3x3 convolutions; each is followed by BatchNorm and ReLU.
    vision_channels: Tuple[int, ...] = ()
    #: cnn only: stride of each convolution (same length as ``vision_channels``).
    vision_strides: Tuple[int, ...] = ()

    def __post_init__(self):
        if self.vision_type not in ("vit", "cnn"):
            raise ValueError(f"vision_type must be vit or cnn, found {self.vision_type!r}")
        if self.vision_type == "cnn":
            if not self.vision_channels or len(self.vision_channels) != len(self.vision_strides):
                raise ValueError(f"cnn tower: expected {len(self.vision_channels)} strides, found "
                                 f"{len(self.vision_strides)} (and at least one convolution)")
            return
        if self.image_resolution % self.vision_patch_size != 0:
            raise ValueError(f"image_resolution {self.image_resolution} is not a multiple of "
                             f"vision_patch_size {self.vision_patch_size}")
        for width, heads, what in ((self.vision_width, self.vision_heads, "vision"),
                                   (self.text_width, self.text_heads, "text")):
            if width % heads != 0:
                raise ValueError(f"{what} width {width} is not divisible by {what} heads {heads}")

    @property
    def grid(self) -> int:
        return self.image_resolution // self.vision_patch_size

    def to_dict(self) -> dict:
        return asdict(self)


#: ViT-B/32 as released by OpenAI (embed 512, vision 12x768 patch 32, text 12x512 heads 8).
VIT_B_32 = ClipConfig()


def tiny_config(embed_dim: int = 64, width: int = 32, layers: int = 2, heads: int = 2,
                patch_size: int = 16, buckets: int = 256) -> ClipConfig:
    """A small CLIP for committed test fixtures: 224x224 input (so it runs on real preprocessed images),
    a hashed token table, a few hundred kilobytes of weights."""
    return ClipConfig(embed_dim=embed_dim, image_resolution=224, vision_layers=layers, vision_width=width,
                      vision_patch_size=patch_size, vision_heads=heads, context_length=77, vocab_size=49408,
                      text_width=width, text_heads=heads, text_layers=layers, token_buckets=buckets)


def quick_gelu(x: torch.Tensor) -> torch.Tensor:
    return x * torch.sigmoid(1.702 * x)


class Mlp(nn.Module):
    """``c_fc`` -> QuickGELU -> ``c_proj`` (4x expansion), named as in OpenAI's checkpoints."""

    def __init__(self, width: int):
        super().__init__()
        self.c_fc = nn.Linear(width, 4 * width)
        self.c_proj = nn.Linear(4 * width, width)

    def forward(self, x):
        return self.c_proj(quick_gelu(self.c_fc(x)))


class SelfAttention(nn.Module):
    """Multi-head self-attention holding its weights as ``nn.MultiheadAttention`` does (``in_proj_weight``
    [3w, w], ``in_proj_bias`` [3w], ``out_proj``), so checkpoints load unchanged. Written out with plain
    matmuls so the ONNX graph is simple and the same in every opset. Input is batch-first ``[B, L, w]``."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.width = width
        self.heads = heads
        self.head_dim = width // heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, additive_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        b, n, w = x.shape[0], x.shape[1], self.width
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)
        q, k, v = qkv.split(w, dim=-1)

        def heads(t):
            return t.reshape(b, n, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = heads(q), heads(k), heads(v)
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim))
        if additive_mask is not None:
            scores = scores + additive_mask
        attn = torch.softmax(scores, dim=-1)
        out = torch.matmul(attn, v).transpose(1, 2).reshape(b, n, w)
        return self.out_proj(out)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = SelfAttention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = Mlp(width)

    def forward(self, x, additive_mask=None):
        x = x + self.attn(self.ln_1(x), additive_mask)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width: int, layers: int, heads: int):
        super().__init__()
        self.width = width
        self.layers = layers
        self.resblocks = nn.ModuleList([ResidualAttentionBlock(width, heads) for _ in range(layers)])

    def forward(self, x, additive_mask=None):
        for block in self.resblocks:
            x = block(x, additive_mask)
        return x


class VisionTransformer(nn.Module):
    """CLIP's ViT image tower: patch conv, class token, positions, ``ln_pre``, blocks, ``ln_post`` on the class
    token, projection."""

    def __init__(self, cfg: ClipConfig):
        super().__init__()
        w = cfg.vision_width
        self.conv1 = nn.Conv2d(3, w, kernel_size=cfg.vision_patch_size, stride=cfg.vision_patch_size, bias=False)
        self.class_embedding = nn.Parameter(torch.empty(w))
        self.positional_embedding = nn.Parameter(torch.empty(cfg.grid * cfg.grid + 1, w))
        self.ln_pre = nn.LayerNorm(w)
        self.transformer = Transformer(w, cfg.vision_layers, cfg.vision_heads)
        self.ln_post = nn.LayerNorm(w)
        self.proj = nn.Parameter(torch.empty(w, cfg.embed_dim))

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        x = self.conv1(pixel_values)                      # [B, w, g, g]
        x = x.flatten(2).transpose(1, 2)                  # [B, g*g, w]
        cls = self.class_embedding.reshape(1, 1, -1).expand(x.shape[0], 1, x.shape[2])
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.transformer(self.ln_pre(x))
        return self.ln_post(x[:, 0, :]) @ self.proj


class ConvTower(nn.Module):
    """A small CNN image tower for tiny images: 3x3 convolutions (BatchNorm, ReLU) with the configured strides,
    a 1x1 convolution to ``vision_width // 8`` channels, the feature map *flattened* (so positions survive,
    which spatial relations need), ``Linear`` -> ReLU -> ``Linear`` to ``vision_width``, ``ln_post``,
    projection ``proj`` [vision_width, embed_dim]."""

    def __init__(self, cfg: ClipConfig):
        super().__init__()
        layers = []
        c_in, s = 3, cfg.image_resolution
        for c, stride in zip(cfg.vision_channels, cfg.vision_strides):
            layers += [nn.Conv2d(c_in, c, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
            c_in, s = c, (s + 2 - 3) // stride + 1
        squeeze = max(8, cfg.vision_width // 8)
        layers += [nn.Conv2d(c_in, squeeze, 1), nn.ReLU()]
        self.convs = nn.Sequential(*layers)
        self.fc1 = nn.Linear(squeeze * s * s, cfg.vision_width)
        self.fc2 = nn.Linear(cfg.vision_width, cfg.vision_width)
        self.ln_post = nn.LayerNorm(cfg.vision_width)
        self.proj = nn.Parameter(torch.randn(cfg.vision_width, cfg.embed_dim) * cfg.vision_width ** -0.5)

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        x = self.convs(pixel_values).flatten(1)
        x = self.fc2(F.relu(self.fc1(x)))
        return self.ln_post(x) @ self.proj


class Clip(nn.Module):
    """Both towers; the top-level parameter names are OpenAI's (``visual.*``, ``token_embedding``,
    ``positional_embedding``, ``transformer.*``, ``ln_final``, ``text_projection``, ``logit_scale``)."""

    def __init__(self, cfg: ClipConfig):
        super().__init__()
        self.cfg = cfg
        self.visual = ConvTower(cfg) if cfg.vision_type == "cnn" else VisionTransformer(cfg)
        rows = cfg.token_buckets if cfg.token_buckets > 0 else cfg.vocab_size
        self.token_embedding = nn.Embedding(rows, cfg.text_width)
        self.positional_embedding = nn.Parameter(torch.empty(cfg.context_length, cfg.text_width))
        self.transformer = Transformer(cfg.text_width, cfg.text_layers, cfg.text_heads)
        self.ln_final = nn.LayerNorm(cfg.text_width)
        self.text_projection = nn.Parameter(torch.empty(cfg.text_width, cfg.embed_dim))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        # Additive causal mask for the longest context; sliced to the actual length at run time.
        causal = torch.full((cfg.context_length, cfg.context_length), float("-inf")).triu(1)
        self.register_buffer("causal_mask", causal, persistent=False)

    # -- initialisation ------------------------------------------------------------------------------------
    def init_random(self, seed: int) -> "Clip":
        """Random weights with the scales of OpenAI's ``initialize_parameters`` (and its ViT init), drawn from
        a private generator so results depend on ``seed`` only."""
        g = torch.Generator().manual_seed(seed)

        def normal_(t, std):
            with torch.no_grad():
                t.copy_(torch.randn(t.shape, generator=g) * std)

        cfg = self.cfg
        vw, tw = cfg.vision_width, cfg.text_width
        vit = cfg.vision_type == "vit"
        if vit:
            normal_(self.visual.conv1.weight, (3 * cfg.vision_patch_size ** 2) ** -0.5)
            normal_(self.visual.class_embedding, vw ** -0.5)
            normal_(self.visual.positional_embedding, vw ** -0.5)
        normal_(self.visual.proj, vw ** -0.5)
        normal_(self.token_embedding.weight, 0.02)
        normal_(self.positional_embedding, 0.01)
        normal_(self.text_projection, tw ** -0.5)
        # the cnn tower keeps PyTorch's default initialisation of its convolutions and linear layers
        for tower in ((self.visual.transformer, self.transformer) if vit else (self.transformer,)):
            w, n = tower.width, tower.layers
            proj_std = (w ** -0.5) * ((2 * n) ** -0.5)
            for block in tower.resblocks:
                normal_(block.attn.in_proj_weight, w ** -0.5)
                normal_(block.attn.out_proj.weight, proj_std)
                normal_(block.mlp.c_fc.weight, (2 * w) ** -0.5)
                normal_(block.mlp.c_proj.weight, proj_std)
                # Non-trivial biases and norms, so an export that drops one of them fails the comparison.
                for p in (block.attn.in_proj_bias, block.attn.out_proj.bias, block.mlp.c_fc.bias,
                          block.mlp.c_proj.bias, block.ln_1.bias, block.ln_2.bias):
                    normal_(p, 0.02)
                for ln in (block.ln_1, block.ln_2):
                    with torch.no_grad():
                        ln.weight.copy_(1.0 + torch.randn(ln.weight.shape, generator=g) * 0.05)
        for ln in ((self.visual.ln_pre, self.visual.ln_post, self.ln_final) if vit
                   else (self.visual.ln_post, self.ln_final)):
            with torch.no_grad():
                ln.weight.copy_(1.0 + torch.randn(ln.weight.shape, generator=g) * 0.05)
                ln.bias.copy_(torch.randn(ln.bias.shape, generator=g) * 0.02)
        return self

    # -- towers --------------------------------------------------------------------------------------------
    def encode_image(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """``[B, 3, S, S]`` normalised pixels -> ``[B, embed_dim]``, unnormalised."""
        return self.visual(pixel_values)

    def token_rows(self, input_ids: torch.Tensor) -> torch.Tensor:
        if self.cfg.token_buckets > 0:
            input_ids = torch.remainder(input_ids, self.cfg.token_buckets)
        return self.token_embedding(input_ids)

    def eot_positions(self, input_ids: torch.Tensor) -> torch.Tensor:
        # int32 argmax: ONNX Runtime has no int64 ArgMax kernel. Ties resolve to the first index in both.
        return input_ids.to(torch.int32).argmax(dim=-1)

    def text_hidden(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Final-layer-normed token states ``[B, L, text_width]`` for ``L <= context_length``.

        ``attention_mask`` (1 = token, 0 = padding), when given, additionally hides padded keys, as Hugging
        Face's CLIP does; with the causal mask it cannot change the state at the EOT position."""
        n = input_ids.shape[1]
        x = self.token_rows(input_ids) + self.positional_embedding[:n]
        mask = self.causal_mask[:n, :n].unsqueeze(0).unsqueeze(0)  # [1, 1, L, L]
        if attention_mask is not None:
            pad = (1.0 - attention_mask.to(x.dtype)) * torch.finfo(torch.float32).min
            mask = mask + pad[:, None, None, :]
        x = self.transformer(x, mask)
        return self.ln_final(x)

    def encode_text(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``[B, L]`` CLIP token ids (SOT ... EOT, padded) -> ``[B, embed_dim]``, unnormalised, pooled at
        ``argmax(input_ids)``."""
        x = self.text_hidden(input_ids, attention_mask)
        pooled = x[torch.arange(x.shape[0]), self.eot_positions(input_ids)]
        return pooled @ self.text_projection

    def forward(self, pixel_values, input_ids):
        return self.encode_image(pixel_values), self.encode_text(input_ids)


def build_random_clip(cfg: ClipConfig, seed: int) -> Clip:
    """A CLIP of shape ``cfg`` with random weights determined by ``seed``, in eval mode."""
    torch.manual_seed(seed)
    return Clip(cfg).init_random(seed).eval()


def param_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
