"""Specifications of the miniature world and the word tokenizer. Run:
    /usr/bin/python3 -m unittest discover -s tools/tests -p 'test_miniature*.py'

The shipped-bundle checks skip until tools/miniature/build_all.py has written the resources.
"""
import json
import random
import sys
import unittest
from collections import Counter
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))
sys.path.insert(0, str(TOOLS / "miniature"))

import numpy as np  # noqa: E402

import world  # noqa: E402
from decap_tools import bundle  # noqa: E402
from decap_tools.word_tokenizer import WordTokenizer, build_vocabulary  # noqa: E402

RESOURCES = ROOT / "decap-miniature/src/main/resources/dev/decap/miniature"
SCENES = [world.sample_scene(s) for s in world.scene_seeds("eval", 400)]


class SceneContractSpec(unittest.TestCase):
    def test_scenes_have_one_or_two_objects_of_the_contract(self):
        counts = Counter(len(s.objects) for s in SCENES)
        self.assertEqual(set(counts), {1, 2})
        for s in SCENES:
            self.assertTrue(all(200 <= c <= 255 for c in s.background), s)
            for o in s.objects:
                self.assertIn(o.shape, world.SHAPES)
                self.assertIn(o.colour, world.COLOURS)
                self.assertEqual(o.r, {"small": 7, "large": 12}[o.size])
                self.assertTrue(0 <= o.cx - o.r and o.cx + o.r <= 63 and 0 <= o.cy - o.r and o.cy + o.r <= 63,
                                f"object outside the canvas: {o}")

    def test_two_objects_have_different_colours_and_the_stated_relation(self):
        for s in SCENES:
            if len(s.objects) != 2:
                continue
            a, b = s.objects
            self.assertNotEqual(a.colour, b.colour)
            dx, dy = a.cx - b.cx, a.cy - b.cy
            if s.relation in ("left", "right"):
                self.assertTrue(20 <= abs(dx) <= 38 and abs(dy) <= 3, s)
                self.assertEqual(s.relation, "left" if dx < 0 else "right")
            else:
                self.assertTrue(20 <= abs(dy) <= 38 and abs(dx) <= 3, s)
                self.assertEqual(s.relation, "above" if dy < 0 else "below")
            self.assertEqual(world.relation_of(a, b), s.relation)

    def test_every_relation_shape_colour_and_size_occurs(self):
        rel = Counter(s.relation for s in SCENES if s.relation)
        self.assertEqual(set(rel), set(world.RELATIONS))
        objs = [o for s in SCENES for o in s.objects]
        self.assertEqual({o.shape for o in objs}, set(world.SHAPES))
        self.assertEqual({o.colour for o in objs}, set(world.COLOURS))
        self.assertEqual({o.size for o in objs}, set(world.SIZES))

    def test_a_scene_is_a_function_of_its_seed_and_splits_are_disjoint(self):
        self.assertEqual(world.sample_scene(4_000_123), world.sample_scene(4_000_123))
        self.assertNotEqual(world.sample_scene(4_000_123), world.sample_scene(4_000_124))
        ranges = sorted((b, b + world.SPLIT_SIZE) for b in world.SPLITS.values())
        for (a0, a1), (b0, _) in zip(ranges, ranges[1:]):
            self.assertLessEqual(a1, b0)
        with self.assertRaises(ValueError):
            world.scene_seeds("eval", world.SPLIT_SIZE + 1)


class RenderingSpec(unittest.TestCase):
    def test_plain_rendering_is_64x64_rgb_with_exact_colours_and_background(self):
        for s in SCENES[:60]:
            img = world.render(s)
            self.assertEqual((img.size, img.mode), ((64, 64), "RGB"))
            a = np.asarray(img).reshape(-1, 3)
            colours = {tuple(c) for c in np.unique(a, axis=0)}
            expected = {tuple(s.background)} | {world.COLOURS[o.colour] for o in s.objects}
            self.assertEqual(colours, expected, s)

    def test_shapes_fill_their_contract_boxes(self):
        s = world.Scene(1, (230, 230, 230), (world.Obj("square", "red", "large", 20, 30),), None)
        a = np.asarray(world.render(s))
        red = np.all(a == world.COLOURS["red"], axis=-1)
        ys, xs = np.nonzero(red)
        self.assertEqual((xs.min(), xs.max(), ys.min(), ys.max()), (8, 32, 18, 42))
        t = world.Scene(1, (230, 230, 230), (world.Obj("triangle", "blue", "small", 30, 30),), None)
        b = np.all(np.asarray(world.render(t)) == world.COLOURS["blue"], axis=-1)
        ys, xs = np.nonzero(b)
        self.assertEqual((ys.min(), ys.max(), xs.min(), xs.max()), (23, 37, 23, 37))
        self.assertEqual(np.nonzero(b[23])[0].tolist(), [30])  # apex at (cx, cy - r)
        c = world.Scene(1, (230, 230, 230), (world.Obj("circle", "green", "small", 30, 30),), None)
        g = np.all(np.asarray(world.render(c)) == world.COLOURS["green"], axis=-1)
        self.assertTrue(g[30, 30] and g[30, 23] and g[23, 30] and not g[23, 23])

    def test_rasteriser_variants_keep_size_and_stay_close_to_the_contract(self):
        rng = random.Random(0)
        for s in SCENES[:30]:
            st = world.random_style(rng)
            a = np.asarray(world.render(s, st, random.Random(1)), dtype=np.int32)
            b = np.asarray(world.render(s), dtype=np.int32)
            self.assertEqual(a.shape, (64, 64, 3))
            # most pixels agree within jitter/noise; only edges differ a lot
            self.assertGreater(np.mean(np.abs(a - b).max(-1) <= 30), 0.85, st)


class CaptionSpec(unittest.TestCase):
    def test_colour_word_directly_precedes_its_shape_word(self):
        colours, shapes = set(world.COLOURS), set(world.SHAPES)
        for s in SCENES:
            for c in world.captions_of(s, 5):
                toks = c.split()
                for i, t in enumerate(toks):
                    if t in colours:
                        self.assertIn(toks[i + 1], shapes, c)
                    if t in shapes:
                        self.assertIn(toks[i - 1], colours, c)

    def test_relations_read_the_first_mentioned_object_relative_to_the_second(self):
        s = world.Scene(7, (230, 230, 230), (world.Obj("circle", "red", "small", 15, 30),
                                             world.Obj("square", "blue", "large", 45, 31)), "left")
        seen = set()
        for c in world.captions_of(s, 60):
            first = c.index("red") < c.index("blue")
            phrase = "to the left of" if first else "to the right of"
            self.assertIn(phrase, c)
            seen.add(first)
        self.assertEqual(seen, {True, False}, "both mention orders occur")

    def test_captions_parse_back_to_facts_that_hold(self):
        for s in SCENES:
            for c in world.captions_of(s, 3):
                sp = world.parse_caption(c)
                self.assertIsNotNone(sp, c)
                self.assertTrue(world.consistent(sp, s), c)

    def test_captions_are_varied(self):
        caps = [c for s in SCENES for c in world.captions_of(s, 2)]
        self.assertGreater(len(set(caps)), 0.9 * len(caps))
        self.assertTrue(any(c.startswith("there is") for c in caps))
        self.assertTrue(any(c.endswith(" .") for c in caps))
        self.assertTrue(any(" an orange" in c or c.startswith("an orange") for c in caps))
        self.assertTrue(any(w in c.split() for c in caps for w in ("little", "tiny", "big")))

    def test_parser_rejects_what_is_not_one_or_two_mentions_with_one_relation(self):
        self.assertIsNone(world.parse_caption("a red thing"))
        self.assertEqual(len(world.parse_caption("a red blue circle").mentions), 1)  # only "blue circle" binds
        self.assertIsNone(world.parse_caption("a red circle and a blue square"))
        self.assertIsNone(world.parse_caption("a red circle left above a blue square"))
        self.assertIsNone(world.parse_caption("a red circle a blue square a green circle"))
        sp = world.parse_caption("a big red circle below the tiny blue square .")
        self.assertEqual([(m.colour, m.shape, m.size) for m in sp.mentions],
                         [("red", "circle", "large"), ("blue", "square", "small")])
        self.assertEqual(sp.relation, "below")

    def test_hard_negatives_contradict_the_scene(self):
        rng = random.Random(3)
        for s in SCENES[:100]:
            sp = world.sample_spec(s, rng)
            negs = [n for n in world.negatives(sp, rng, 8) if not world.consistent(n, s)]
            self.assertGreater(len(negs), 0)
            if len(s.objects) == 2:
                swapped = world.CaptionSpec(
                    (world.Mention(sp.mentions[1].colour, sp.mentions[0].shape, None),
                     world.Mention(sp.mentions[0].colour, sp.mentions[1].shape, None)),
                    sp.relation, 0, ("a", "a"), (0, 0), False)
                self.assertFalse(world.consistent(swapped, s))

    def test_memory_corpus_covers_every_combination(self):
        mem = world.memory_corpus()
        self.assertGreater(len(mem), 2000)
        specs = [world.parse_caption(c) for c in mem]
        self.assertTrue(all(sp is not None for sp in specs))
        singles = {(m.colour, m.shape) for sp in specs if len(sp.mentions) == 1 for m in sp.mentions}
        self.assertEqual(len(singles), 18)
        pairs = set()
        for sp in specs:
            if len(sp.mentions) == 2:  # the fact, whichever object is mentioned first: (left/top, other, axis)
                a, b = sp.mentions if sp.relation in ("left", "above") else sp.mentions[::-1]
                pairs.add((a.colour, a.shape, b.colour, b.shape, sp.relation in ("left", "right")))
        self.assertEqual(len(pairs), 6 * 3 * 5 * 3 * 2)
        sizes = {(m.colour, m.shape, m.size) for sp in specs if len(sp.mentions) == 1 for m in sp.mentions}
        self.assertEqual(len(sizes), 18 * 3)  # small, large and unstated


class WordTokenizerSpec(unittest.TestCase):
    tok = WordTokenizer(build_vocabulary(world.vocabulary_texts()))

    def test_vocabulary_layout(self):
        t = self.tok.tokens
        self.assertEqual(t[:2], ["<pad>", "<unk>"])
        self.assertEqual(t[-2:], ["<|startoftext|>", "<|endoftext|>"])
        words = [w for w in t[2:-2] if w.isalpha()]
        punct = t[2 + len(words):-2]
        self.assertEqual(words, sorted(words))
        self.assertEqual(punct, ["."])
        self.assertEqual((self.tok.sot_id, self.tok.eot_id), (len(t) - 2, len(t) - 1))
        for c in world.COLOURS:
            self.assertIn(c, t)

    def test_encode_normalises_lower_cases_and_splits(self):
        tok = self.tok
        red, circle, dot = tok.ids["red"], tok.ids["circle"], tok.ids["."]
        self.assertEqual(tok.encode("A RED Circle."), [tok.ids["a"], red, circle, dot])
        self.assertEqual(tok.encode("red\u00a0circle\u3000!"), [red, circle, 1])
        self.assertEqual(tok.encode("crimson circle"), [1, circle])
        self.assertEqual(tok.encode("r2d2"), [1])
        self.assertEqual(tok.encode("red...circle"), [red, dot, dot, dot, circle])
        self.assertEqual(tok.encode("re\u0301d"), [1])  # NFC-composed e-acute: one unknown word
        self.assertEqual(tok.encode(""), [])

    def test_encode_context_frames_and_truncates_keeping_eot_last(self):
        tok = self.tok
        ctx = tok.encode_context("a red circle", 8)
        self.assertEqual(ctx, [tok.sot_id, tok.ids["a"], tok.ids["red"], tok.ids["circle"], tok.eot_id, 0, 0, 0])
        long = tok.encode_context(" ".join(["red"] * 30), 24)
        self.assertEqual(len(long), 24)
        self.assertEqual((long[0], long[-1]), (tok.sot_id, tok.eot_id))
        self.assertEqual(int(np.argmax(long)), 23)

    def test_decode_drops_specials_and_attaches_punctuation(self):
        tok = self.tok
        ids = tok.encode_context("a red circle .", 12)
        self.assertEqual(tok.decode(ids), "a red circle.")
        self.assertEqual(tok.decode([tok.ids["."], tok.ids["red"]]), ". red")
        self.assertEqual(tok.decode([1, tok.ids["red"]]), "<unk> red")

    def test_golden_cases_match_the_implementation(self):
        path = TOOLS / "miniature" / "tokenizer_cases.jsonl"
        tok = WordTokenizer.load(TOOLS / "miniature" / "vocab.txt")
        self.assertEqual(tok.tokens, self.tok.tokens)
        cases = [json.loads(l) for l in path.read_text(encoding="utf-8").split("\n") if l]
        self.assertGreaterEqual(len(cases), 300)
        for c in cases:
            self.assertEqual(tok.encode(c["text"]), c["ids"], c["text"])
            self.assertEqual(tok.encode_context(c["text"], c["context_length"]), c["context_ids"], c["text"])
            self.assertEqual(tok.decode(c["ids"]), c["decoded"], c["text"])
            self.assertEqual(tok.decode(c["context_ids"]), c["decoded_context"], c["text"])


class TrainDecoderSpec(unittest.TestCase):
    """tools/train_decoder.py: corpora, targets, and a whole (tiny) run through convert_checkpoint."""

    def test_reads_txt_coco_and_jsonl_corpora(self):
        import tempfile
        import train_decoder
        with tempfile.TemporaryDirectory() as d:
            d = Path(d)
            (d / "c.txt").write_text("a red circle\n\n  a blue square  \n", encoding="utf-8")
            (d / "c.json").write_text(json.dumps({"annotations": [{"image_id": 1, "caption": "a red circle"}]}))
            (d / "c.jsonl").write_text(json.dumps({"caption": "a big red circle"}) + "\n")
            self.assertEqual(train_decoder.read_captions(d / "c.txt"), ["a red circle", "a blue square"])
            self.assertEqual(train_decoder.read_captions(d / "c.json"), ["a red circle"])
            self.assertEqual(train_decoder.read_captions(d / "c.jsonl"), ["a big red circle"])
            with self.assertRaises(ValueError):
                (d / "bad.json").write_text("[]")
                train_decoder.read_captions(d / "bad.json")

    def test_trains_text_only_and_writes_an_official_layout_checkpoint_and_a_word_bundle(self):
        import tempfile
        import torch
        import train_clip
        import train_decoder
        from decap_tools.clip_model import Clip
        from decap_tools.decoder_model import load_official_state_dict
        tok = train_clip.world_tokenizer()
        with tempfile.TemporaryDirectory() as d:
            d = Path(d)
            cfg = train_clip.model_config(tok.vocab_size, embed_dim=16, text_width=32, text_layers=1)
            clip = Clip(cfg).init_random(0).eval()
            (d / "clip").mkdir()
            torch.save(clip.state_dict(), d / "clip" / "clip.pt")
            (d / "clip" / "clip_config.json").write_text(json.dumps(cfg.to_dict()))
            tok.save(d / "clip" / "vocab.txt")
            (d / "c.txt").write_text("\n".join(world.corpus("decoder", 64)) + "\n")
            with open(d / "report.json", "w") as out:
                stdout, sys.stdout = sys.stdout, out
                try:
                    train_decoder.main(["--captions", str(d / "c.txt"), "--clip-dir", str(d / "clip"),
                                        "--word-vocab", str(d / "clip" / "vocab.txt"), "--out", str(d / "b"),
                                        "--epochs", "1", "--width", "16", "--layers", "1", "--heads", "2",
                                        "--max-length", "24", "--no-verify", "--threads", "1"])
                finally:
                    sys.stdout = stdout
            m = bundle.read_manifest(d / "b")
            self.assertEqual(m["tokenizer"]["type"], "word")
            self.assertEqual(m["decoder"]["vocab_size"], tok.vocab_size)
            self.assertEqual(m["generation"]["eot_id"], tok.eot_id)
            self.assertEqual(set(m["files"]), {"decoder", "tokenizer_vocabulary"})
            state = torch.load(d / "b-decoder.pt")
            self.assertIn("decoder.transformer.h.0.attn.bias", state)  # GPT-2 buffers of the official layout
            model = load_official_state_dict(state, heads=2)
            self.assertEqual(model.cfg.prefix_dim, 16)

    def test_targets_end_with_eot_and_are_padded_with_ignore_index(self):
        import train_decoder

        class Args:
            vocab, word_vocab = None, str(TOOLS / "miniature" / "vocab.txt")
        tok = train_decoder._Tok(Args)
        y = train_decoder.targets(["a red circle", " ".join(["red"] * 40)], tok, 24)
        self.assertEqual(y[0, :4].tolist(), tok.encode("a red circle") + [tok.eot])
        self.assertTrue(bool((y[0, 4:] == -100).all()))
        self.assertEqual(int(y[1, -1]), tok.eot)


@unittest.skipUnless((RESOURCES / "bundle" / "decap-bundle.json").is_file(), "miniature bundle not built yet")
class ShippedBundleSpec(unittest.TestCase):
    def test_manifest_declares_the_word_tokenizer_and_checksums_every_file(self):
        m = bundle.read_manifest(RESOURCES / "bundle", check_hashes=True)
        v = m["tokenizer"]["vocab_size"]
        self.assertEqual(m["name"], "decap-miniature")
        self.assertEqual(m["tokenizer"], {"type": "word", "vocabulary": "vocab.txt", "vocab_size": v,
                                          "sot_id": v - 2, "eot_id": v - 1, "pad_id": 0, "unk_id": 1,
                                          "vocabulary_sha256": m["files"]["tokenizer_vocabulary"]["sha256"]})
        self.assertEqual(m["files"]["tokenizer_vocabulary"]["path"], "vocab.txt")
        self.assertEqual(m["generation"]["eot_id"], v - 1)
        self.assertEqual((m["decoder"]["vocab_size"], m["decoder"]["vocab_map"]), (v, None))
        self.assertEqual((m["clip"]["image_size"], m["clip"]["interpolation"]), (64, "bicubic"))
        self.assertEqual(len(WordTokenizer.load(RESOURCES / "bundle" / "vocab.txt").tokens), v)

    def test_model_files_stay_small(self):
        files = [p for p in RESOURCES.rglob("*") if p.is_file()]
        self.assertLess(sum(p.stat().st_size for p in files), 10 * 1024 * 1024)
        for p in files:
            self.assertLess(p.stat().st_size, 5 * 1024 * 1024, p)

    def test_memory_corpus_is_the_generators(self):
        mem = (RESOURCES / "memory.txt").read_text(encoding="utf-8").splitlines()
        self.assertEqual(mem, world.memory_corpus())


if __name__ == "__main__":
    unittest.main()
