#!/usr/bin/python3
"""Text-only DeCap decoder training: any caption corpus + a CLIP text tower -> official-layout decoder + bundle.

As in DeCap (Li et al., ICLR 2023), the decoder never sees an image: every caption is embedded by the CLIP text
tower, the embedding is L2-normalised and used as the one-token prefix (``clip_project``), and the GPT-2 decoder
learns to reproduce the caption's tokens followed by EOT (cross-entropy on every caption token and the EOT).
Optionally Gaussian noise (``--noise-std``) is added to the normalised prefix (CapDec-style; default off,
DeCap's own recipe).

Corpus (``--captions``, repeatable): ``.txt`` (one caption per line), COCO captions JSON (``annotations[].caption``)
or JSONL (one ``{"caption": ...}`` object per line). ``--format`` overrides the detection by extension.

Text tower (one of):
  ``--clip-dir DIR``        this project's CLIP checkpoint: ``DIR/clip.pt`` + ``DIR/clip_config.json``
                            (decap_tools.clip_model layout, e.g. the miniature CLIP of tools/miniature/train_clip.py)
  ``--clip-state-dict PT``  an OpenAI-layout ViT-B/32 state dict (decap_tools.clip_model.VIT_B_32)
  ``--text-encoder ONNX``   an exported decap-layout text tower, run in ONNX Runtime Java (decap_tools.ort)
Tokenizer (one of): ``--vocab bpe_simple_vocab_16e6.txt.gz`` (CLIP BPE; decoder vocabulary 49408, EOT 49407) or
``--word-vocab vocab.txt`` (word tokenizer, docs/model-bundle.md; decoder vocabulary V, EOT V-1; the file is
copied into the bundle).

Output (``--out DIR``): ``DIR/decoder.onnx`` and ``DIR/decap-bundle.json`` written by
``convert_checkpoint.convert`` from the official-layout state dict (``--checkpoint-out``, default
``DIR/../<name>-decoder.pt``), verified in ONNX Runtime Java unless ``--no-verify``. With ``--with-towers`` (needs
``--clip-dir``) the CLIP towers are exported into the bundle too (decap layout, verified), with the
preprocessing of ``DIR/preprocess.json`` ({"mean": [...], "std": [...]}) when the CLIP dir has one.

Example (the miniature decoder; see tools/miniature/build_all.sh):
  /usr/bin/python3 tools/train_decoder.py --captions decoder_captions.txt --clip-dir out/clip \\
      --word-vocab out/clip/vocab.txt --with-towers --out bundle --epochs 8 --width 128 --layers 2 --heads 4
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Sequence

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from decap_tools.decoder_model import DeCapDecoder, DecoderConfig, official_state_dict  # noqa: E402


# -- corpora ---------------------------------------------------------------------------------------------------

def read_captions(path, fmt: str = "auto") -> List[str]:
    p = Path(path)
    if fmt == "auto":
        name = p.name.lower()
        fmt = "jsonl" if name.endswith(".jsonl") else "coco" if name.endswith(".json") else "txt"
    text = p.read_text(encoding="utf-8")
    if fmt == "txt":
        caps = [l.strip() for l in text.splitlines()]
    elif fmt == "jsonl":
        caps = [str(json.loads(l)["caption"]).strip() for l in text.splitlines() if l.strip()]
    elif fmt == "coco":
        data = json.loads(text)
        if not isinstance(data, dict) or "annotations" not in data:
            raise ValueError(f"{p}: not a COCO captions file (no 'annotations' list)")
        caps = [str(a["caption"]).strip() for a in data["annotations"]]
    else:
        raise ValueError(f"unknown corpus format {fmt!r}; expected txt, coco or jsonl")
    return [c for c in caps if c]


# -- tokenizers ------------------------------------------------------------------------------------------------

class _Tok:
    """What training needs from a tokenizer: ids without SOT/EOT, context-length ids, sizes, the manifest."""

    def __init__(self, args):
        if bool(args.vocab) == bool(args.word_vocab):
            raise SystemExit("give exactly one of --vocab (CLIP BPE merges file) or --word-vocab (vocab.txt)")
        if args.word_vocab:
            from decap_tools.word_tokenizer import WordTokenizer
            self.t = WordTokenizer.load(args.word_vocab)
            self.kind = "word"
            self.vocab_size, self.sot, self.eot = self.t.vocab_size, self.t.sot_id, self.t.eot_id
            self.section = self.t.manifest_section("vocab.txt")
        else:
            from decap_tools.clip_tokenizer import ClipTokenizer, EOT_ID, SOT_ID
            self.t = ClipTokenizer(args.vocab)
            self.kind = "clip-bpe"
            self.vocab_size, self.sot, self.eot = 49408, SOT_ID, EOT_ID
            self.section = None  # bundle.TOKENIZER_SECTION
        self.path = args.word_vocab or args.vocab

    def encode(self, text: str) -> List[int]:
        return self.t.encode(text)

    def context(self, text: str, n: int) -> List[int]:
        ids = self.encode(text)[: n - 2]
        out = [self.sot] + ids + [self.eot]
        return out + [0] * (n - len(out))


# -- text embeddings -------------------------------------------------------------------------------------------

def load_clip_dir(d):
    from decap_tools.clip_model import Clip, ClipConfig
    d = Path(d)
    cfg = json.loads((d / "clip_config.json").read_text())
    cfg = ClipConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()})
    clip = Clip(cfg)
    clip.load_state_dict(torch.load(d / "clip.pt", map_location="cpu"))
    return clip.eval()


def load_clip_state_dict(path):
    from decap_tools.clip_model import VIT_B_32, Clip
    clip = Clip(VIT_B_32)
    sd = torch.load(path, map_location="cpu")
    sd = {k: v for k, v in sd.items() if k not in ("input_resolution", "context_length", "vocab_size")}
    clip.load_state_dict(sd, strict=True)
    return clip.float().eval()


@torch.no_grad()
def embed_texts(texts: Sequence[str], tok: _Tok, clip=None, text_encoder=None, context_length: int = 77,
                batch: int = 512, device: str = "cpu", log=print) -> torch.Tensor:
    """Unit text embeddings [N, D] of ``texts``; duplicates are embedded once."""
    uniq = sorted(set(texts))
    index = {t: i for i, t in enumerate(uniq)}
    n = clip.cfg.context_length if clip is not None else context_length
    rows = []
    t0 = time.time()
    if clip is not None:
        clip = clip.to(device)
    for i in range(0, len(uniq), batch):
        ids = np.array([tok.context(t, n) for t in uniq[i:i + batch]], dtype=np.int64)
        if clip is not None:
            e = clip.encode_text(torch.from_numpy(ids).to(device)).float().cpu()
        else:
            from decap_tools import ort
            e = torch.from_numpy(ort.run(text_encoder, {"input_ids": ids})["text_embeds"].astype(np.float32))
        rows.append(F.normalize(e, dim=-1))
    emb = torch.cat(rows)
    log(f"embedded {len(uniq)} distinct captions in {time.time() - t0:.1f}s")
    return emb[torch.tensor([index[t] for t in texts])]


# -- training --------------------------------------------------------------------------------------------------

def targets(texts: Sequence[str], tok: _Tok, max_length: int) -> torch.Tensor:
    """[N, max_length] caption ids (truncated to max_length - 1) followed by EOT, padded with -100."""
    out = torch.full((len(texts), max_length), -100, dtype=torch.long)
    for r, t in enumerate(texts):
        ids = tok.encode(t)[: max_length - 1] + [tok.eot]
        out[r, :len(ids)] = torch.tensor(ids)
    return out


def train_decoder(prefixes: torch.Tensor, tgt: torch.Tensor, cfg: DecoderConfig, epochs: int, batch: int, lr: float,
                  seed: int, device: str = "cpu", noise_std: float = 0.0, val_fraction: float = 0.02,
                  log=print) -> dict:
    torch.manual_seed(seed)
    model = DeCapDecoder(cfg).init_random(seed).to(device)
    n = len(tgt)
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=g)
    n_val = int(n * val_fraction)
    val, tr = perm[:n_val], perm[n_val:]
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * math.ceil(len(tr) / batch)
    warm = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps))))
    wte = model.decoder.transformer.wte

    def loss_of(idx, noisy):
        p = prefixes[idx].to(device)
        if noisy and noise_std > 0:
            p = F.normalize(p + noise_std * torch.randn(p.shape, generator=None, device=device), dim=-1)
        y = tgt[idx].to(device)
        length = int((y != -100).sum(1).max())
        y = y[:, :length]
        inp = y[:, :-1].clamp(min=0)  # tokens 1..L-1 as inputs after the prefix (padding ids are masked out)
        embeds = torch.cat([model.embed_prefix(p), wte(inp)], dim=1)
        logits, _ = model.forward_embeds(embeds)
        return F.cross_entropy(logits.reshape(-1, cfg.vocab_size), y.reshape(-1), ignore_index=-100)

    t0 = time.time()
    history = []
    step = 0
    for ep in range(1, epochs + 1):
        model.train()
        order = tr[torch.randperm(len(tr), generator=g)]
        total, count = 0.0, 0
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            loss = loss_of(idx, True)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            total += loss.item() * len(idx)
            count += len(idx)
        model.eval()
        with torch.no_grad():
            vl = float(np.mean([loss_of(val[i:i + 1024], False).item() for i in range(0, len(val), 1024)])) \
                if n_val else float("nan")
        history.append({"epoch": ep, "train_loss": total / count, "val_loss": vl, "seconds": time.time() - t0})
        log(f"epoch {ep}/{epochs}: train loss {total / count:.4f}, held-out loss {vl:.4f}, {time.time() - t0:.0f}s")
    return {"model": model.cpu().eval(), "history": history, "steps": step, "seconds": time.time() - t0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--captions", action="append", required=True, help="caption corpus (repeatable)")
    ap.add_argument("--format", default="auto", choices=("auto", "txt", "coco", "jsonl"))
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--clip-dir", help="DIR with clip.pt + clip_config.json (this project's CLIP layout)")
    src.add_argument("--clip-state-dict", help="OpenAI-layout ViT-B/32 state dict (.pt)")
    src.add_argument("--text-encoder", help="decap-layout text_encoder.onnx (run in ONNX Runtime Java)")
    ap.add_argument("--context-length", type=int, default=77, help="with --text-encoder: its input length")
    ap.add_argument("--vocab", help="CLIP BPE merges file (bpe_simple_vocab_16e6.txt.gz)")
    ap.add_argument("--word-vocab", help="word tokenizer vocabulary (vocab.txt)")
    ap.add_argument("--out", required=True, help="bundle directory to write")
    ap.add_argument("--name", default=None, help="bundle name (default: the --out directory's name)")
    ap.add_argument("--checkpoint-out", help="where to keep the official-layout state dict (.pt)")
    ap.add_argument("--with-towers", action="store_true", help="export the CLIP towers into the bundle too")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--max-length", type=int, default=30, help="tokens per caption incl. EOT (longer truncated)")
    ap.add_argument("--max-tokens", type=int, default=None, help="generation.max_tokens (default max-length)")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--width", type=int, default=768)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--noise-std", type=float, default=0.0, help="Gaussian noise on the unit prefix (0 = DeCap)")
    ap.add_argument("--val-fraction", type=float, default=0.02)
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-verify", action="store_true", help="skip the ONNX Runtime Java checks")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device is available to PyTorch; use --device cpu")
    if args.with_towers and not args.clip_dir:
        raise SystemExit("--with-towers needs --clip-dir (the towers are exported from that checkpoint)")
    out = Path(args.out)
    name = args.name or out.name
    tok = _Tok(args)
    texts = []
    for c in args.captions:
        texts += read_captions(c, args.format)
    if not texts:
        raise SystemExit("no captions found in --captions")
    log(f"{len(texts)} captions from {len(args.captions)} file(s), tokenizer {tok.kind} ({tok.vocab_size} ids)")
    clip = load_clip_dir(args.clip_dir) if args.clip_dir else \
        load_clip_state_dict(args.clip_state_dict) if args.clip_state_dict else None
    if clip is not None and clip.cfg.vocab_size != tok.vocab_size:
        raise SystemExit(f"the CLIP text tower has {clip.cfg.vocab_size} token ids, the tokenizer "
                         f"{tok.vocab_size}: pass the vocabulary the tower was trained with")
    prefixes = embed_texts(texts, tok, clip=clip, text_encoder=args.text_encoder,
                           context_length=args.context_length, device=args.device, log=log)
    tgt = targets(texts, tok, args.max_length)
    max_positions = args.max_length + 2
    cfg = DecoderConfig(prefix_dim=prefixes.shape[1], width=args.width, layers=args.layers, heads=args.heads,
                        vocab_size=tok.vocab_size, max_positions=max_positions)
    log(f"decoder {json.dumps(cfg.to_dict())}")
    r = train_decoder(prefixes, tgt, cfg, args.epochs, args.batch, args.lr, args.seed, args.device,
                      args.noise_std, args.val_fraction, log)
    model = r["model"]

    # -- bundle: through the official checkpoint layout and convert_checkpoint.convert
    out.mkdir(parents=True, exist_ok=True)
    ckpt = Path(args.checkpoint_out) if args.checkpoint_out else out.parent / f"{name}-decoder.pt"
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    torch.save(official_state_dict(model), ckpt)
    extra, clip_section = {}, None
    if tok.kind == "word":
        shutil.copyfile(tok.path, out / "vocab.txt")
        extra["tokenizer_vocabulary"] = out / "vocab.txt"
    tower_check = None
    if args.with_towers:
        from decap_tools import clip_export
        files = clip_export.export_layout(clip, "decap", out)
        extra.update(files)
        pre = Path(args.clip_dir) / "preprocess.json"
        mean_std = json.loads(pre.read_text()) if pre.is_file() else {"mean": clip_export.CLIP_MEAN,
                                                                      "std": clip_export.CLIP_STD}
        clip_section = clip_export.clip_manifest_section(clip.cfg, "decap", mean_std["mean"], mean_std["std"])
        if not args.no_verify:
            s = clip.cfg.image_resolution
            gen = torch.Generator().manual_seed(args.seed)
            pixels = torch.randn(3, 3, s, s, generator=gen).numpy()
            ids = np.array([tok.context(t, clip.cfg.context_length) for t in texts[:3]], dtype=np.int64)
            tower_check = clip_export.verify_layout(clip, "decap", files, pixels, ids)
            log(f"CLIP towers verified in ONNX Runtime Java: {tower_check}")
    max_tokens = min(args.max_tokens or args.max_length, max_positions - 1)
    cmd = "tools/train_decoder.py " + " ".join(sys.argv[1:]) if argv is None else "tools/train_decoder.py " + \
        " ".join(argv)
    from convert_checkpoint import convert
    conv = convert(ckpt, out, heads=args.heads, name=name, verify=not args.no_verify, log=log,
                   tokenizer=tok.section, extra_files=extra, clip=clip_section,
                   generation={"max_tokens": max_tokens, "eot_id": tok.eot},
                   description=f"DeCap decoder trained on text only ({len(texts)} captions) by tools/train_decoder.py",
                   created_by=cmd)
    report = {"captions": len(texts), "decoder": cfg.to_dict(), "epochs": args.epochs, "batch": args.batch,
              "lr": args.lr, "noise_std": args.noise_std, "steps": r["steps"], "train_seconds": r["seconds"],
              "history": r["history"], "checkpoint": str(ckpt), "manifest": str(conv["manifest"]),
              "decoder_verification": conv["verification"], "tower_verification": tower_check}
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
