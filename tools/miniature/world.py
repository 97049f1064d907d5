#!/usr/bin/python3
"""The miniature world: seeded scenes of one or two flat shapes, rendered with Pillow, with natural captions.

The contract (also in ``docs/miniature-world.md``; outside tests render images from it independently):

* 64x64 RGB; one uniform background colour, each channel in [200, 255];
* one or two filled objects; shapes ``circle`` (ellipse in the box [cx-r, cy-r, cx+r, cy+r]), ``square``
  (rectangle in that box), ``triangle`` (polygon (cx, cy-r), (cx-r, cy+r), (cx+r, cy+r)); sizes ``small`` r=7,
  ``large`` r=12; six colours (:data:`COLOURS`); objects fully inside the canvas;
* two objects have different colours and one relation: ``left``/``right`` (centres 20-38 px apart horizontally,
  within +-3 px vertically) or ``above``/``below`` (the same, vertically). ``relation`` describes object 0
  relative to object 1 ("object 0 is to the left of object 1").

Every scene is a pure function of its seed (``random.Random(seed)``). Seed ranges (:data:`SPLITS`) are disjoint:
decoder-training text, memory corpus, CLIP training images and evaluation images never share a seed.

Command line (PNG files + ``scenes.jsonl``, one JSON description per line, in ``--out``)::

    /usr/bin/python3 tools/miniature/world.py --split eval --count 500 --out /tmp/eval
    /usr/bin/python3 tools/miniature/world.py --seed 4000000 --count 8 --out /tmp/x --captions 5
    /usr/bin/python3 tools/miniature/world.py --split decoder --count 1000 --captions-only   # captions to stdout
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from PIL import Image, ImageDraw

SIZE = 64
SHAPES = ("circle", "square", "triangle")
SIZES = {"small": 7, "large": 12}
COLOURS: Dict[str, Tuple[int, int, int]] = {
    "red": (220, 40, 40), "green": (40, 180, 60), "blue": (50, 80, 220),
    "yellow": (230, 210, 40), "purple": (140, 60, 180), "orange": (240, 140, 30),
}
RELATIONS = ("left", "right", "above", "below")
OPPOSITE = {"left": "right", "right": "left", "above": "below", "below": "above"}
RELATION_PHRASE = {"left": "to the left of", "right": "to the right of", "above": "above", "below": "below"}
BACKGROUND_RANGE = (200, 255)
MIN_GAP, MAX_GAP, MAX_OFF_AXIS = 20, 38, 3

#: First seed of each split; a split's scenes use seeds ``base .. base + count - 1`` (count < 1,000,000).
SPLITS = {"decoder": 1_000_000, "memory": 2_000_000, "clip": 3_000_000, "eval": 4_000_000, "samples": 5_000_000}
SPLIT_SIZE = 1_000_000

#: Words a caption may use for each size (the first is the canonical one).
SIZE_WORDS = {"small": ("small", "little", "tiny"), "large": ("large", "big")}
SINGLE_FRAMES = ("{a}", "there is {a}", "a picture of {a}", "an image of {a}", "a drawing of {a}",
                 "{a} on a plain background", "{a} in the picture")
PAIR_FRAMES = ("{a} {rel} {b}", "there is {a} {rel} {b}", "{a} is {rel} {b}", "a picture of {a} {rel} {b}",
               "an image of {a} {rel} {b}", "a drawing of {a} {rel} {b}", "{a} sits {rel} {b}")
#: Probability that a caption ends with " ." and that a noun phrase carries a size word.
P_PERIOD, P_SIZE_WORD = 0.2, 0.5


@dataclass(frozen=True)
class Obj:
    shape: str
    colour: str
    size: str
    cx: int
    cy: int

    @property
    def r(self) -> int:
        return SIZES[self.size]

    def to_dict(self) -> dict:
        return {"shape": self.shape, "colour": self.colour, "size": self.size, "r": self.r, "cx": self.cx,
                "cy": self.cy}


@dataclass(frozen=True)
class Scene:
    seed: int
    background: Tuple[int, int, int]
    objects: Tuple[Obj, ...]
    relation: Optional[str]  # object 0 relative to object 1; None for one object

    def to_dict(self) -> dict:
        return {"seed": self.seed, "background": list(self.background),
                "objects": [o.to_dict() for o in self.objects], "relation": self.relation}


# -- scenes ----------------------------------------------------------------------------------------------------

def sample_scene(seed: int, p_single: float = 0.35) -> Scene:
    """The scene of ``seed``: 1 object with probability ``p_single``, else 2 with a relation."""
    rng = random.Random(seed)
    bg = tuple(rng.randint(*BACKGROUND_RANGE) for _ in range(3))
    if rng.random() < p_single:
        shape, colour, size = rng.choice(SHAPES), rng.choice(list(COLOURS)), rng.choice(list(SIZES))
        r = SIZES[size]
        return Scene(seed, bg, (Obj(shape, colour, size, rng.randint(r, SIZE - 1 - r),
                                    rng.randint(r, SIZE - 1 - r)),), None)
    c0, c1 = rng.sample(list(COLOURS), 2)
    s0, s1 = rng.choice(SHAPES), rng.choice(SHAPES)
    z0, z1 = rng.choice(list(SIZES)), rng.choice(list(SIZES))
    r0, r1 = SIZES[z0], SIZES[z1]
    relation = rng.choice(RELATIONS)
    gap = rng.randint(MIN_GAP, MAX_GAP)
    off = rng.randint(-MAX_OFF_AXIS, MAX_OFF_AXIS)
    # along the relation axis: "first" is the object with the smaller coordinate (left / top)
    first_is_0 = relation in ("left", "above")
    ra, rb = (r0, r1) if first_is_0 else (r1, r0)
    a_lo, a_hi = ra, SIZE - 1 - rb - gap
    a = rng.randint(a_lo, a_hi)
    b = a + gap
    # across the axis: both centres inside, offset off
    lo = max(ra, rb - off)
    hi = min(SIZE - 1 - ra, SIZE - 1 - rb - off)
    c = rng.randint(lo, hi)
    pa, pb = (a, c), (b, c + off)
    if relation in ("above", "below"):
        pa, pb = (pa[1], pa[0]), (pb[1], pb[0])
    p0, p1 = (pa, pb) if first_is_0 else (pb, pa)
    objs = (Obj(s0, c0, z0, p0[0], p0[1]), Obj(s1, c1, z1, p1[0], p1[1]))
    return Scene(seed, bg, objs, relation)


def scene_seeds(split: str, count: int, start: int = 0) -> List[int]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(SPLITS)}")
    if start + count > SPLIT_SIZE:
        raise ValueError(f"split {split}: at most {SPLIT_SIZE} scenes, asked for {start + count}")
    return [SPLITS[split] + start + i for i in range(count)]


def relation_of(a: Obj, b: Obj) -> Optional[str]:
    """The contract's relation of ``a`` relative to ``b`` from their centres, or None when they fit none."""
    dx, dy = a.cx - b.cx, a.cy - b.cy
    if abs(dy) <= MAX_OFF_AXIS and MIN_GAP <= abs(dx) <= MAX_GAP:
        return "left" if dx < 0 else "right"
    if abs(dx) <= MAX_OFF_AXIS and MIN_GAP <= abs(dy) <= MAX_GAP:
        return "above" if dy < 0 else "below"
    return None


# -- rendering -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RenderStyle:
    """How a scene is rasterised. The default is the contract drawn with Pillow, no antialiasing.

    ``supersample`` > 1 draws at that scale and box-filters down (antialiasing); ``edge`` (-1, 0, +1) moves the
    right/bottom edge of each box by that many pixels (Java2D's ``fillOval(x, y, 2r, 2r)`` ends one pixel earlier
    than Pillow's inclusive box); ``shift`` moves every shape by a sub-pixel offset (antialiased only);
    ``colour_jitter`` adds up to that much to each channel of each object colour; ``noise`` is the std of
    Gaussian pixel noise."""

    supersample: int = 1
    edge: int = 0
    shift: Tuple[float, float] = (0.0, 0.0)
    colour_jitter: int = 0
    noise: float = 0.0


PLAIN = RenderStyle()


def random_style(rng: random.Random) -> RenderStyle:
    """A random rasteriser variant for training-time augmentation."""
    aa = rng.random() < 0.5
    return RenderStyle(supersample=rng.choice((2, 4, 8)) if aa else 1, edge=rng.choice((-1, 0, 0, 1)),
                       shift=(rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5)) if aa else (0.0, 0.0),
                       colour_jitter=rng.choice((0, 0, 6, 12)), noise=rng.choice((0.0, 0.0, 2.0, 4.0)))


def render(scene: Scene, style: RenderStyle = PLAIN, rng: Optional[random.Random] = None) -> Image.Image:
    """The scene as a 64x64 RGB image. ``rng`` (needed for jitter/noise) defaults to one seeded by the scene."""
    rng = rng or random.Random(scene.seed ^ 0x5EED)
    k = style.supersample
    img = Image.new("RGB", (SIZE * k, SIZE * k), scene.background)
    draw = ImageDraw.Draw(img)
    sx, sy = style.shift
    for o in scene.objects:
        col = COLOURS[o.colour]
        if style.colour_jitter:
            j = style.colour_jitter
            col = tuple(max(0, min(255, c + rng.randint(-j, j))) for c in col)
        r = o.r
        if k == 1:
            x0, y0, x1, y1 = o.cx - r, o.cy - r, o.cx + r + style.edge, o.cy + r + style.edge
            if o.shape == "circle":
                draw.ellipse([x0, y0, x1, y1], fill=col)
            elif o.shape == "square":
                draw.rectangle([x0, y0, x1, y1], fill=col)
            else:
                draw.polygon([(o.cx, y0), (x0, y1), (x1, y1)], fill=col)
        else:
            # continuous coordinates: the pixel (i, j) covers [i, i+1); the contract's integer box [cx-r, cx+r]
            # spans cx-r .. cx+r+1 in pixel area, minus one pixel when edge = -1
            cx, cy = o.cx + sx, o.cy + sy
            x0, y0 = (cx - r) * k, (cy - r) * k
            x1, y1 = (cx + r + 1 + style.edge) * k - 1, (cy + r + 1 + style.edge) * k - 1
            if o.shape == "circle":
                draw.ellipse([x0, y0, x1, y1], fill=col)
            elif o.shape == "square":
                draw.rectangle([x0, y0, x1, y1], fill=col)
            else:
                draw.polygon([((cx + 0.5) * k, y0), (x0, y1), (x1, y1)], fill=col)
    if k > 1:
        img = img.resize((SIZE, SIZE), Image.BOX)
    if style.noise > 0:
        import numpy as np
        a = np.asarray(img, dtype=np.float32)
        g = np.random.default_rng(rng.randrange(1 << 30))
        a = a + g.normal(0.0, style.noise, a.shape)
        img = Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8), "RGB")
    return img


def render_centre_sampled(scene: Scene) -> Image.Image:
    """An independent rasteriser (not Pillow): a pixel takes an object's colour when its centre (x + 0.5,
    y + 0.5) lies inside the shape's continuous outline: the disc of radius r around (cx, cy), the square
    [cx-r, cx+r]^2, the triangle (cx, cy-r), (cx-r, cy+r), (cx+r, cy+r). This is what Java2D's ``fillOval`` /
    ``fillRect`` / ``fillPolygon`` without antialiasing draw for those outlines; used to check robustness."""
    import numpy as np
    a = np.empty((SIZE, SIZE, 3), np.uint8)
    a[:] = scene.background
    y, x = np.mgrid[0:SIZE, 0:SIZE] + 0.5
    for o in scene.objects:
        r = o.r
        if o.shape == "circle":
            m = (x - o.cx) ** 2 + (y - o.cy) ** 2 <= r * r
        elif o.shape == "square":
            m = (np.abs(x - o.cx) <= r) & (np.abs(y - o.cy) <= r)
        else:
            # inside the apex-down edges and above the base: |x - cx| <= (y - (cy - r)) / 2, y <= cy + r
            m = (y >= o.cy - r) & (y <= o.cy + r) & (np.abs(x - o.cx) <= (y - (o.cy - r)) / 2.0)
        a[m] = COLOURS[o.colour]
    return Image.fromarray(a, "RGB")


# -- captions --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Mention:
    """One noun phrase: ``[article] [size word] colour shape``; ``size`` None = no size word."""
    colour: str
    shape: str
    size: Optional[str]


@dataclass(frozen=True)
class CaptionSpec:
    """What a caption says, before words are chosen: the mentioned objects in order, the relation of the first
    relative to the second, and the surface choices (frame, articles, size synonyms, period)."""
    mentions: Tuple[Mention, ...]
    relation: Optional[str]
    frame: int
    articles: Tuple[str, ...]   # "a" (a/an by the next word) or "the", per mention
    size_words: Tuple[int, ...]  # index into SIZE_WORDS[size] per mention
    period: bool


def sample_spec(scene: Scene, rng: random.Random) -> CaptionSpec:
    objs = list(scene.objects)
    rel = scene.relation
    if len(objs) == 2 and rng.random() < 0.5:
        objs.reverse()
        rel = OPPOSITE[rel]
    mentions = tuple(Mention(o.colour, o.shape, o.size if rng.random() < P_SIZE_WORD else None) for o in objs)
    frames = SINGLE_FRAMES if len(objs) == 1 else PAIR_FRAMES
    arts = tuple(rng.choice(("a", "a", "the")) if i else "a" if rng.random() < 0.85 else "the"
                 for i in range(len(objs)))
    return CaptionSpec(mentions, rel, rng.randrange(len(frames)), arts,
                       tuple(rng.randrange(3) for _ in objs), rng.random() < P_PERIOD)


def _np(m: Mention, article: str, size_word: int) -> str:
    words = []
    if m.size is not None:
        syn = SIZE_WORDS[m.size]
        words.append(syn[size_word % len(syn)])
    words += [m.colour, m.shape]
    if article == "a":
        article = "an" if words[0][0] in "aeiou" else "a"
    return " ".join([article] + words)


def render_spec(spec: CaptionSpec) -> str:
    nps = [_np(m, a, z) for m, a, z in zip(spec.mentions, spec.articles, spec.size_words)]
    if len(nps) == 1:
        text = SINGLE_FRAMES[spec.frame].format(a=nps[0])
    else:
        text = PAIR_FRAMES[spec.frame].format(a=nps[0], b=nps[1], rel=RELATION_PHRASE[spec.relation])
    return text + (" ." if spec.period else "")


def caption(scene: Scene, rng: random.Random) -> str:
    return render_spec(sample_spec(scene, rng))


def captions_of(scene: Scene, count: int, salt: int = 0) -> List[str]:
    """``count`` reference captions of ``scene`` (seeded by the scene and ``salt``)."""
    rng = random.Random((scene.seed << 8) ^ (0xCA9 + salt))
    return [caption(scene, rng) for _ in range(count)]


def vocabulary_texts() -> List[str]:
    """Texts holding every word and punctuation token a caption can use (for the word vocabulary)."""
    words = list(SHAPES) + list(COLOURS) + [w for ws in SIZE_WORDS.values() for w in ws] + ["a", "an", "the"]
    frames = [f.format(a="", b="", rel="") for f in SINGLE_FRAMES + PAIR_FRAMES]
    return words + frames + list(RELATION_PHRASE.values()) + ["."]


_SIZE_OF_WORD = {w: z for z, ws in SIZE_WORDS.items() for w in ws}
_RELATION_WORDS = {"left": "left", "right": "right", "above": "above", "below": "below"}


def parse_caption(text: str) -> Optional[CaptionSpec]:
    """The facts a caption states, as in docs/miniature-world.md: a mention is a colour word directly followed
    by a shape word, with an optional size word directly before the colour; with two mentions the relation is
    the one relation word (left, right, above, below) between them. None when the caption has not exactly one
    or two mentions, or two mentions without exactly one relation word between them."""
    toks = [t for t in text.lower().replace(".", " ").split()]
    mentions, spans = [], []
    for i in range(len(toks) - 1):
        if toks[i] in COLOURS and toks[i + 1] in SHAPES:
            size = _SIZE_OF_WORD.get(toks[i - 1]) if i > 0 else None
            mentions.append(Mention(toks[i], toks[i + 1], size))
            spans.append((i, i + 2))
    if len(mentions) == 1:
        return CaptionSpec(tuple(mentions), None, 0, ("a",), (0,), False)
    if len(mentions) != 2:
        return None
    between = [_RELATION_WORDS[t] for t in toks[spans[0][1]:spans[1][0]] if t in _RELATION_WORDS]
    if len(between) != 1:
        return None
    return CaptionSpec(tuple(mentions), between[0], 0, ("a", "a"), (0, 0), False)


# -- hard negatives (for contrastive training) ----------------------------------------------------------------

def negatives(spec: CaptionSpec, rng: random.Random, count: int) -> List[CaptionSpec]:
    """Captions that differ from ``spec`` in exactly one fact, most of them in the binding: colours swapped
    between the two objects, shapes swapped, relation flipped, one colour / shape / size changed."""
    out: List[CaptionSpec] = []
    ms = list(spec.mentions)
    kinds = ["colour", "shape", "size"]
    if len(ms) == 2:
        kinds = ["swap_colour", "swap_colour", "flip", "flip", "swap_shape", "colour", "shape", "size", "order"]
    tries = 0
    while len(out) < count and tries < count * 10:
        tries += 1
        kind = rng.choice(kinds)
        new_ms, rel = list(ms), spec.relation
        i = rng.randrange(len(ms))
        if kind == "swap_colour":
            new_ms = [Mention(ms[1].colour, ms[0].shape, ms[0].size), Mention(ms[0].colour, ms[1].shape, ms[1].size)]
        elif kind == "swap_shape":
            if ms[0].shape == ms[1].shape:
                continue
            new_ms = [Mention(ms[0].colour, ms[1].shape, ms[0].size), Mention(ms[1].colour, ms[0].shape, ms[1].size)]
        elif kind == "flip":
            rel = OPPOSITE[rel] if rng.random() < 0.7 else rng.choice(
                [r for r in RELATIONS if r not in (rel, OPPOSITE[rel])])
        elif kind == "order":
            # same words, objects mentioned in the other order with the same relation word: wrong
            new_ms = [ms[1], ms[0]]
        elif kind == "colour":
            others = [c for c in COLOURS if c != ms[i].colour and all(c != m.colour for m in ms)]
            new_ms[i] = Mention(rng.choice(others), ms[i].shape, ms[i].size)
        elif kind == "shape":
            new_ms[i] = Mention(ms[i].colour, rng.choice([s for s in SHAPES if s != ms[i].shape]), ms[i].size)
        elif kind == "size":
            if ms[i].size is None:
                new_ms[i] = Mention(ms[i].colour, ms[i].shape, rng.choice(list(SIZES)))
                # only a negative when it contradicts; caller checks consistency with the scene
            else:
                new_ms[i] = Mention(ms[i].colour, ms[i].shape, "large" if ms[i].size == "small" else "small")
        cand = CaptionSpec(tuple(new_ms), rel, spec.frame, spec.articles, spec.size_words, spec.period)
        out.append(cand)
    return out


def consistent(spec: CaptionSpec, scene: Scene) -> bool:
    """True when every fact the caption states holds in the scene."""
    objs = scene.objects
    if len(spec.mentions) != len(objs):
        return False

    def match(m: Mention, o: Obj) -> bool:
        return m.colour == o.colour and m.shape == o.shape and (m.size is None or m.size == o.size)

    if len(objs) == 1:
        return match(spec.mentions[0], objs[0])
    a, b = spec.mentions
    if match(a, objs[0]) and match(b, objs[1]) and spec.relation == scene.relation:
        return True
    return match(a, objs[1]) and match(b, objs[0]) and spec.relation == OPPOSITE[scene.relation]


# -- corpora ---------------------------------------------------------------------------------------------------

def corpus(split: str, count: int, per_scene: int = 1) -> List[str]:
    """``count`` scenes of ``split``, ``per_scene`` captions each."""
    out = []
    for s in scene_seeds(split, count):
        out += captions_of(sample_scene(s), per_scene)
    return out


def memory_corpus(seed: int = SPLITS["memory"], singles_per_combo: int = 8, pairs_per_combo: int = 3) -> List[str]:
    """The memory bank's captions: every single-object colour x shape x size (``singles_per_combo`` captions
    each) and every ordered pair of distinct colours x shapes x relation (``pairs_per_combo`` captions each,
    sizes random), all rendered from scenes seeded in the memory split."""
    rng = random.Random(seed)
    out = []
    k = 0
    for colour in COLOURS:
        for shape in SHAPES:
            for size in SIZES:
                for _ in range(singles_per_combo):
                    sc = Scene(seed + k, (230, 230, 230), (Obj(shape, colour, size, 32, 32),), None)
                    out.append(caption(sc, rng))
                    k += 1
    for c0 in COLOURS:
        for s0 in SHAPES:
            for c1 in COLOURS:
                if c1 == c0:
                    continue
                for s1 in SHAPES:
                    for rel in RELATIONS:
                        for _ in range(pairs_per_combo):
                            z0, z1 = rng.choice(list(SIZES)), rng.choice(list(SIZES))
                            sc = Scene(seed + k, (230, 230, 230), (Obj(s0, c0, z0, 20, 32), Obj(s1, c1, z1, 44, 32)),
                                       rel)
                            out.append(caption(sc, rng))
                            k += 1
    return out


def write_scenes(seeds: Sequence[int], out_dir, captions: int = 5, style: RenderStyle = PLAIN,
                 prefix: str = "scene") -> List[dict]:
    """PNGs ``{prefix}_{seed}.png`` and ``scenes.jsonl`` (one description per line, with reference captions)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for s in seeds:
        sc = sample_scene(s)
        name = f"{prefix}_{s}.png"
        render(sc, style).save(out / name)
        rows.append({"image": name, **sc.to_dict(), "captions": captions_of(sc, captions)})
    with open(out / "scenes.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--split", choices=sorted(SPLITS), help="use the split's seed range")
    src.add_argument("--seed", type=int, help="first seed")
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", help="output directory for PNGs + scenes.jsonl")
    ap.add_argument("--captions", type=int, default=5, help="reference captions per scene (default 5)")
    ap.add_argument("--captions-only", action="store_true", help="print captions (one per line) to stdout")
    ap.add_argument("--memory", action="store_true", help="print the memory corpus to stdout (ignores --count)")
    args = ap.parse_args(argv)
    if args.memory:
        sys.stdout.write("\n".join(memory_corpus()) + "\n")
        return 0
    seeds = scene_seeds(args.split, args.count) if args.split else [args.seed + i for i in range(args.count)]
    if args.captions_only:
        for s in seeds:
            for c in captions_of(sample_scene(s), args.captions):
                print(c)
        return 0
    if not args.out:
        ap.error("--out is required unless --captions-only or --memory")
    write_scenes(seeds, args.out, args.captions)
    print(f"wrote {len(seeds)} scenes to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
