"""Specifications of the CLIP tooling. Run: /usr/bin/python3 -m unittest discover -s tools/tests -p 'test_clip*.py'

Tests that need ../shared/data skip when it is absent; the ORT parity test skips without the ONNX Runtime jar.
"""

import json
import sys
import tempfile
import unittest
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOOLS))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from decap_tools import clip_export  # noqa: E402
from decap_tools.clip_model import Clip, ClipConfig, build_random_clip, tiny_config  # noqa: E402

SHARED = clip_export.default_shared_data()
HAVE_SHARED = (SHARED / "golden" / "clip_tokenizer_cases.jsonl").is_file()


def _ort_available():
    try:
        from decap_tools import ort
        ort.ort_jar()
        return True
    except Exception:
        return False


OPENAI_VIT_KEYS = {
    "positional_embedding", "text_projection", "logit_scale", "token_embedding.weight", "ln_final.weight",
    "ln_final.bias", "visual.class_embedding", "visual.positional_embedding", "visual.proj",
    "visual.conv1.weight", "visual.ln_pre.weight", "visual.ln_pre.bias", "visual.ln_post.weight",
    "visual.ln_post.bias",
}
BLOCK_KEYS = ["ln_1.weight", "ln_1.bias", "attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight",
              "attn.out_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
              "mlp.c_proj.weight", "mlp.c_proj.bias"]


def _ids(rows):
    out = np.zeros((len(rows), 77), dtype=np.int64)
    for r, toks in enumerate(rows):
        seq = [49406] + toks + [49407]
        out[r, :len(seq)] = seq
    return torch.from_numpy(out)


class ClipModelSpec(unittest.TestCase):
    def test_state_dict_uses_openai_names_and_shapes(self):
        cfg = ClipConfig(embed_dim=24, vision_layers=2, vision_width=32, vision_patch_size=32, vision_heads=4,
                         text_width=16, text_heads=2, text_layers=3)
        sd = Clip(cfg).state_dict()
        expected = set(OPENAI_VIT_KEYS)
        for prefix, n in (("visual.transformer", 2), ("transformer", 3)):
            for i in range(n):
                expected |= {f"{prefix}.resblocks.{i}.{k}" for k in BLOCK_KEYS}
        self.assertEqual(set(sd), expected)
        self.assertEqual(tuple(sd["visual.conv1.weight"].shape), (32, 3, 32, 32))
        self.assertEqual(tuple(sd["visual.positional_embedding"].shape), (50, 32))
        self.assertEqual(tuple(sd["visual.proj"].shape), (32, 24))
        self.assertEqual(tuple(sd["token_embedding.weight"].shape), (49408, 16))
        self.assertEqual(tuple(sd["transformer.resblocks.0.attn.in_proj_weight"].shape), (48, 16))
        self.assertEqual(tuple(sd["text_projection"].shape), (16, 24))

    def test_attention_equals_torch_multihead_attention_holding_the_same_weights(self):
        # OpenAI's blocks use nn.MultiheadAttention (sequence-first) with these parameter names; loading our
        # block's weights into it must give the same output, so real checkpoints mean the same thing here.
        from decap_tools.clip_model import SelfAttention
        torch.manual_seed(0)
        ours = SelfAttention(32, 4)
        torch.nn.init.normal_(ours.in_proj_weight, std=0.2)
        torch.nn.init.normal_(ours.in_proj_bias, std=0.2)
        ref = torch.nn.MultiheadAttention(32, 4)
        ref.load_state_dict(ours.state_dict())
        x = torch.randn(2, 7, 32)
        mask = torch.full((7, 7), float("-inf")).triu(1)
        with torch.no_grad():
            got = ours(x, mask)
            want = ref(x.transpose(0, 1), x.transpose(0, 1), x.transpose(0, 1), need_weights=False,
                       attn_mask=mask)[0].transpose(0, 1)
        self.assertLess(float((got - want).abs().max()), 1e-5)

    def test_same_seed_gives_same_weights_and_other_seed_differs(self):
        a, b, c = (build_random_clip(tiny_config(), s) for s in (7, 7, 8))
        for k, v in a.state_dict().items():
            self.assertTrue(torch.equal(v, b.state_dict()[k]), k)
        self.assertFalse(torch.equal(a.visual.proj, c.visual.proj))

    def test_text_embedding_ignores_everything_after_eot(self):
        clip = build_random_clip(tiny_config(), 1)
        ids = _ids([[320, 1929, 530]])
        noisy = ids.clone()
        noisy[0, 5:] = torch.arange(100, 172)
        with torch.no_grad():
            self.assertTrue(torch.allclose(clip.encode_text(ids), clip.encode_text(noisy), atol=1e-6))
            trimmed = ids[:, :5]
            self.assertTrue(torch.allclose(clip.encode_text(ids), clip.encode_text(trimmed), atol=1e-5))

    def test_text_embedding_depends_on_tokens_before_eot(self):
        clip = build_random_clip(tiny_config(), 1)
        with torch.no_grad():
            a = clip.encode_text(_ids([[320, 1929, 530]]))
            b = clip.encode_text(_ids([[320, 1929, 531]]))
        self.assertGreater(float((a - b).abs().max()), 1e-3)

    def test_batched_and_single_encoding_agree(self):
        clip = build_random_clip(tiny_config(), 2)
        x = torch.randn(3, 3, 224, 224, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            batched = clip.encode_image(x)
            single = torch.cat([clip.encode_image(x[i:i + 1]) for i in range(3)])
        self.assertTrue(torch.allclose(batched, single, atol=1e-5))


@unittest.skipUnless(HAVE_SHARED, f"../shared/data not found: {SHARED}")
class ClipTokenizerSpec(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from decap_tools.clip_tokenizer import ClipTokenizer
        cls.tok = ClipTokenizer()
        text = (SHARED / "golden" / "clip_tokenizer_cases.jsonl").read_text(encoding="utf-8")
        cls.cases = [json.loads(l) for l in text.split("\n") if l.strip()]

    def test_tokenizer_matches_reference_on_every_plain_golden_case(self):
        plain = [c for c in self.cases if c["ftfy"] == "plain"]
        self.assertGreater(len(plain), 2000)
        for c in plain:
            self.assertEqual(self.tok.encode(c["text"]), c["ids"], c["text"])
            self.assertEqual(self.tok.tokenize77(c["text"]), c["tokenize77"], c["text"])
            self.assertEqual(self.tok.decode(c["ids"]), c["decoded"], c["text"])

    def test_every_coco_caption_tokenizes_to_77_ids_ending_in_eot(self):
        caps = json.loads((SHARED / "coco" / "captions_val2017.json").read_text())["annotations"]
        for a in caps:
            ids = self.tok.tokenize77(a["caption"])
            self.assertEqual(len(ids), 77)
            self.assertEqual(ids[0], 49406)
            self.assertIn(49407, ids)

    def test_long_text_is_truncated_to_76_tokens_and_eot(self):
        ids = self.tok.tokenize77("dog " * 200)
        self.assertEqual(len(ids), 77)
        self.assertEqual(ids[-1], 49407)
        self.assertNotIn(0, ids)
        with self.assertRaises(ValueError):
            self.tok.tokenize77("dog " * 200, truncate=False)


@unittest.skipUnless(HAVE_SHARED and _ort_available(), "needs ../shared/data and onnxruntime-1.24.1.jar")
class ClipExportSpec(unittest.TestCase):
    def test_every_layout_exports_expected_names_and_matches_pytorch_in_ort(self):
        clip = build_random_clip(tiny_config(width=16), 4)
        pixels = np.random.default_rng(0).standard_normal((2, 3, 224, 224)).astype(np.float32)
        ids = _ids([[320, 1929], list(range(1000, 1100))[:75]]).numpy()
        from decap_tools import ort
        expected = {"decap": {"image_encoder": (["pixel_values"], ["image_embeds"]),
                              "text_encoder": (["input_ids"], ["text_embeds"])},
                    "hf": {"model": (["input_ids", "pixel_values", "attention_mask"],
                                     ["logits_per_image", "logits_per_text", "text_embeds", "image_embeds"])},
                    "xenova": {"text_model": (["input_ids"], ["text_embeds"]),
                               "vision_model": (["pixel_values"], ["image_embeds"])}}
        with tempfile.TemporaryDirectory() as d:
            for layout, comps in expected.items():
                files = clip_export.export_layout(clip, layout, Path(d) / layout)
                self.assertEqual(set(files), set(comps))
                for comp, (ins, outs) in comps.items():
                    desc = ort.describe(files[comp])
                    self.assertEqual(list(desc["inputs"]), ins, f"{layout}/{comp}")
                    self.assertEqual(list(desc["outputs"]), outs, f"{layout}/{comp}")
                diffs = clip_export.verify_layout(clip, layout, files, pixels, ids)
                self.assertTrue(all(v <= clip_export.VERIFY_ATOL for v in diffs.values()), diffs)

    def test_decap_text_tower_has_a_dynamic_sequence_axis_unless_fixed_and_is_exact_at_every_length(self):
        clip = build_random_clip(tiny_config(width=16), 5)
        ids = _ids([[320, 1929], list(range(1000, 1100))[:75], []]).numpy()
        from decap_tools import ort
        with tempfile.TemporaryDirectory() as d:
            dyn = clip_export.export_layout(clip, "decap", Path(d) / "dyn", image=False)
            fixed = clip_export.export_layout(clip, "decap", Path(d) / "fixed", dynamic_sequence=False, image=False)
            self.assertEqual(set(dyn), {"text_encoder"})
            self.assertEqual(ort.describe(dyn["text_encoder"])["inputs"]["input_ids"]["shape"][1], -1)
            self.assertEqual(ort.describe(fixed["text_encoder"])["inputs"]["input_ids"]["shape"][1], 77)
            diffs = clip_export.verify_text_lengths(clip, dyn["text_encoder"], ids)
            self.assertIn("L=2", diffs)   # the empty text at its own length
            self.assertIn("L=77", diffs)  # the truncated one
            self.assertTrue(all(v <= clip_export.VERIFY_ATOL for v in diffs.values()), diffs)


if __name__ == "__main__":
    unittest.main()
