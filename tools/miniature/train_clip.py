#!/usr/bin/python3
"""Trains the miniature world's tiny CLIP contrastively, with hard negative captions.

Image tower: :class:`decap_tools.clip_model.ConvTower` (64x64 input); text tower: the CLIP text transformer of
:mod:`decap_tools.clip_model` over the word vocabulary (:mod:`decap_tools.word_tokenizer`), pooled at the EOT
(the largest id). Loss: symmetric InfoNCE with a learned temperature, where a caption counts as a positive of
every image whose scene it describes correctly (sizes it omits are free), and each image also meets
``--negatives`` hard negative captions of its own scene (colours swapped between the objects, relation flipped,
shapes swapped, one colour / shape / size changed) in the image->text direction.

Training images are rendered from the ``clip`` seed split with random rasteriser variants
(:func:`world.random_style`: antialiasing on/off, 1 px edge shifts, sub-pixel offsets, colour jitter, noise).

Usage: /usr/bin/python3 tools/miniature/train_clip.py --out DIR [--steps 3000] [--batch 256] [--images 40000]
Writes DIR/clip.pt (state dict), DIR/clip_config.json, DIR/vocab.txt, DIR/train_clip.json (log).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path
from typing import List, Sequence

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.nn import functional as F  # noqa: E402

import world  # noqa: E402
from decap_tools.clip_model import Clip, ClipConfig  # noqa: E402
from decap_tools.word_tokenizer import WordTokenizer  # noqa: E402

MEAN = (0.5, 0.5, 0.5)
STD = (0.25, 0.25, 0.25)
CONTEXT_LENGTH = 24
COLOUR_IDX = {c: i for i, c in enumerate(world.COLOURS)}
SHAPE_IDX = {s: i for i, s in enumerate(world.SHAPES)}
SIZE_IDX = {s: i for i, s in enumerate(world.SIZES)}


def world_tokenizer() -> WordTokenizer:
    from decap_tools.word_tokenizer import build_vocabulary
    return WordTokenizer(build_vocabulary(world.vocabulary_texts()))


def model_config(vocab_size: int, embed_dim: int = 64, text_width: int = 64, text_layers: int = 2) -> ClipConfig:
    return ClipConfig(embed_dim=embed_dim, image_resolution=64, vision_type="cnn",
                      vision_channels=(32, 48, 64, 96), vision_strides=(2, 2, 1, 2), vision_width=256,
                      vision_layers=0, vision_patch_size=1, vision_heads=1,
                      context_length=CONTEXT_LENGTH, vocab_size=vocab_size, text_width=text_width, text_heads=4,
                      text_layers=text_layers, token_buckets=0)


# -- fact codes: vectorised "does caption j describe scene i" ------------------------------------------------

def scene_code(sc: world.Scene) -> List[int]:
    """[n, colour, shape, size of the left/top object, colour, shape, size of the other, axis]."""
    o = sc.objects
    if len(o) == 1:
        return [1, COLOUR_IDX[o[0].colour], SHAPE_IDX[o[0].shape], SIZE_IDX[o[0].size], -2, -2, -2, -1]
    a, b = (o[0], o[1]) if sc.relation in ("left", "above") else (o[1], o[0])
    axis = 0 if sc.relation in ("left", "right") else 1
    return [2, COLOUR_IDX[a.colour], SHAPE_IDX[a.shape], SIZE_IDX[a.size], COLOUR_IDX[b.colour],
            SHAPE_IDX[b.shape], SIZE_IDX[b.size], axis]


def spec_code(sp: world.CaptionSpec) -> List[int]:
    m = sp.mentions

    def z(x):
        return -1 if x.size is None else SIZE_IDX[x.size]

    if len(m) == 1:
        return [1, COLOUR_IDX[m[0].colour], SHAPE_IDX[m[0].shape], z(m[0]), -2, -2, -2, -1]
    a, b = (m[0], m[1]) if sp.relation in ("left", "above") else (m[1], m[0])
    axis = 0 if sp.relation in ("left", "right") else 1
    return [2, COLOUR_IDX[a.colour], SHAPE_IDX[a.shape], z(a), COLOUR_IDX[b.colour], SHAPE_IDX[b.shape], z(b), axis]


def match_matrix(scenes: np.ndarray, specs: np.ndarray) -> np.ndarray:
    """[S, 8] scene codes x [T, 8] caption codes -> bool [S, T]: the caption's facts all hold in the scene."""
    s = scenes[:, None, :]
    t = specs[None, :, :]
    eq = s == t
    free = t == -1
    ok = eq | free
    ok[..., 0] = eq[..., 0]
    ok[..., 7] = eq[..., 7]
    return ok.all(-1)


# -- data ------------------------------------------------------------------------------------------------------

def to_pixels(imgs_u8: torch.Tensor) -> torch.Tensor:
    """uint8 [B, 64, 64, 3] -> normalised float [B, 3, 64, 64]."""
    x = imgs_u8.permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


def render_pool(seeds: Sequence[int], styled, style_seed: int = 0):
    """styled: False = the contract (Pillow), True = random rasteriser variants, \"centre\" = centre-sampled."""
    rng = random.Random(style_seed)
    imgs = np.empty((len(seeds), 64, 64, 3), np.uint8)
    scenes = []
    for i, s in enumerate(seeds):
        sc = world.sample_scene(s)
        scenes.append(sc)
        if styled == "centre":
            imgs[i] = np.asarray(world.render_centre_sampled(sc))
            continue
        st = world.random_style(rng) if styled else world.PLAIN
        imgs[i] = np.asarray(world.render(sc, st, rng))
    return torch.from_numpy(imgs), scenes


class Encoder:
    def __init__(self, tok: WordTokenizer, n: int):
        self.tok, self.n, self.cache = tok, n, {}

    def __call__(self, texts: Sequence[str], trim: bool = False) -> torch.Tensor:
        """Context-length ids; with ``trim`` cut after the longest text's EOT (same embeddings: causal mask)."""
        rows = []
        for t in texts:
            r = self.cache.get(t)
            if r is None:
                r = self.tok.encode_context(t, self.n)
                self.cache[t] = r
            rows.append(r)
        ids = torch.tensor(rows, dtype=torch.int64)
        if trim:
            ids = ids[:, :int((ids != 0).sum(1).max())]
        return ids


# -- evaluation ------------------------------------------------------------------------------------------------

@torch.no_grad()
def retrieval_accuracy(clip: Clip, imgs: torch.Tensor, scenes, cand_texts, cand_codes, enc) -> dict:
    """Top-1 retrieval over ``cand_texts``: share of images whose best caption is correct, by object count."""
    clip.eval()
    t = torch.cat([clip.encode_text(enc(cand_texts[i:i + 512], trim=True)) for i in range(0, len(cand_texts), 512)])
    t = F.normalize(t, dim=-1)
    v = torch.cat([clip.encode_image(to_pixels(imgs[i:i + 256])) for i in range(0, len(imgs), 256)])
    v = F.normalize(v, dim=-1)
    best = (v @ t.T).argmax(1).numpy()
    codes = np.array([scene_code(s) for s in scenes])
    ok = match_matrix(codes, cand_codes)[np.arange(len(scenes)), best]
    n = np.array([len(s.objects) for s in scenes])
    clip.train()
    return {"single": float(ok[n == 1].mean()), "pair": float(ok[n == 2].mean()), "all": float(ok.mean())}


# -- training --------------------------------------------------------------------------------------------------

def train(out_dir, steps: int, batch: int, n_images: int, negatives: int, lr: float, seed: int, embed_dim: int,
          eval_every: int, threads: int, log=print) -> dict:
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = world_tokenizer()
    tok.save(out / "vocab.txt")
    cfg = model_config(tok.vocab_size, embed_dim)
    clip = Clip(cfg).init_random(seed)
    with torch.no_grad():
        clip.logit_scale.fill_(math.log(1 / 0.07))
    enc = Encoder(tok, cfg.context_length)
    t0 = time.time()
    imgs, scenes = render_pool(world.scene_seeds("clip", n_images), styled=True, style_seed=seed)
    codes = np.array([scene_code(s) for s in scenes])
    ev_imgs, ev_scenes = render_pool(world.scene_seeds("eval", 600, start=900_000), styled=False)
    ev_styled, _ = render_pool(world.scene_seeds("eval", 600, start=900_000), styled=True, style_seed=seed + 1)
    memory = world.memory_corpus()
    mem_codes = np.array([spec_code(world.parse_caption(c)) for c in memory])
    log(f"rendered {n_images} training + 2x600 check images in {time.time() - t0:.1f}s; vocab {tok.vocab_size}")
    params = [p for n, p in clip.named_parameters()]
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.98))
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps))))
    rng = random.Random(seed)
    history = []
    clip.train()
    t_train = time.time()
    for step in range(1, steps + 1):
        idx = rng.sample(range(n_images), batch)
        specs = [world.sample_spec(scenes[i], rng) for i in idx]
        neg_specs = []
        for i, sp in zip(idx, specs):
            cands = [c for c in world.negatives(sp, rng, negatives * 2) if not world.consistent(c, scenes[i])]
            cands = cands[:negatives]
            while len(cands) < negatives:  # rare: pad with another image's caption
                cands.append(specs[rng.randrange(batch)])
            neg_specs += cands
        all_specs = specs + neg_specs
        texts = [world.render_spec(s) for s in all_specs]
        tcodes = np.array([spec_code(s) for s in all_specs])
        pos = torch.from_numpy(match_matrix(codes[idx], tcodes))  # [B, B + B*K]
        px = to_pixels(imgs[idx])
        v = F.normalize(clip.encode_image(px), dim=-1)
        t = F.normalize(clip.encode_text(enc(texts, trim=True)), dim=-1)
        scale = clip.logit_scale.exp().clamp(max=100.0)
        logits = scale * v @ t.T
        lse = torch.logsumexp(logits, 1)
        pos_lse = torch.logsumexp(logits.masked_fill(~pos, float("-inf")), 1)
        loss_i = (lse - pos_lse).mean()
        lt = logits[:, :batch].T  # texts x images
        pos_t = pos[:, :batch].T
        loss_t = (torch.logsumexp(lt, 1) - torch.logsumexp(lt.masked_fill(~pos_t, float("-inf")), 1)).mean()
        loss = 0.5 * (loss_i + loss_t)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0:
            log(f"step {step} loss {loss.item():.4f} (i2t {loss_i.item():.3f} t2i {loss_t.item():.3f}) "
                f"scale {scale.item():.1f} {time.time() - t_train:.0f}s")
        if step % eval_every == 0 or step == steps:
            acc = retrieval_accuracy(clip, ev_imgs, ev_scenes, memory, mem_codes, enc)
            acc_s = retrieval_accuracy(clip, ev_styled, ev_scenes, memory, mem_codes, enc)
            history.append({"step": step, "loss": loss.item(), "plain": acc, "styled": acc_s,
                            "seconds": time.time() - t_train})
            log(f"  retrieval@1 over the memory: plain {acc} styled {acc_s}")
    clip.eval()
    torch.save(clip.state_dict(), out / "clip.pt")
    (out / "clip_config.json").write_text(json.dumps(cfg.to_dict(), indent=2) + "\n")
    (out / "preprocess.json").write_text(json.dumps({"mean": list(MEAN), "std": list(STD)}) + "\n")
    report = {"steps": steps, "batch": batch, "images": n_images, "negatives": negatives, "lr": lr, "seed": seed,
              "train_seconds": time.time() - t_train, "history": history, "mean": MEAN, "std": STD}
    (out / "train_clip.json").write_text(json.dumps(report, indent=2) + "\n")
    return {"clip": clip, "tokenizer": tok, "report": report}


def load(out_dir):
    out = Path(out_dir)
    d = json.loads((out / "clip_config.json").read_text())
    d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
    clip = Clip(ClipConfig(**d))
    clip.load_state_dict(torch.load(out / "clip.pt", map_location="cpu"))
    return clip.eval(), WordTokenizer.load(out / "vocab.txt")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--images", type=int, default=40000)
    ap.add_argument("--negatives", type=int, default=4)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--embed-dim", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    train(args.out, args.steps, args.batch, args.images, args.negatives, args.lr, args.seed, args.embed_dim,
          args.eval_every, args.threads, log=lambda m: print(m, file=sys.stderr, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
