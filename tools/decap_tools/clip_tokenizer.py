"""CLIP's byte-level BPE tokenizer, written for decap (the Python reference of the Java tokenizer).

Behaviour follows OpenAI's ``simple_tokenizer``: text is cleaned (HTML entities unescaped twice, whitespace
runs collapsed to one space, stripped), lower-cased, split with CLIP's pre-tokenisation pattern, each piece is
mapped to byte-level unicode characters, and BPE merges from ``bpe_simple_vocab_16e6.txt.gz`` are applied with
``</w>`` marking a word's end. Vocabulary: 256 byte symbols, their 256 ``</w>`` forms, 48,894 merges (lines
1..48894 of the merges file), then ``<|startoftext|>`` = 49406 and ``<|endoftext|>`` = 49407.

Difference from the reference: OpenAI runs ``ftfy.fix_text`` first; ftfy is not available here, so texts that
ftfy would repair (mojibake, some compatibility characters) may tokenize differently. The golden cases marked
``"ftfy": "plain"`` are the ones where ftfy changes nothing.

Needs the ``regex`` module (Debian: ``python3-regex``) for the ``\\p{L}`` / ``\\p{N}`` classes.
"""

from __future__ import annotations

import gzip
import html
import os
import re
from functools import lru_cache
from typing import Dict, Iterable, List, Sequence, Tuple

try:
    import regex
except ImportError as e:  # pragma: no cover - environment problem
    raise ImportError("clip_tokenizer needs the 'regex' module: apt-get install -y python3-regex") from e

SOT_ID = 49406
EOT_ID = 49407
CONTEXT_LENGTH = 77
#: Number of merge lines CLIP uses (the file's first line is a version header).
MERGE_COUNT = 49152 - 256 - 2

_PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE)


def default_bpe_path() -> str:
    """``../shared/data/clip/bpe_simple_vocab_16e6.txt.gz`` relative to the repository root."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "data", "clip",
                                         "bpe_simple_vocab_16e6.txt.gz"))


@lru_cache(maxsize=1)
def byte_to_unicode() -> Dict[int, str]:
    """GPT-2's reversible byte -> printable character table: the 188 printable Latin-1 bytes map to themselves,
    the other 68 bytes to code points 256, 257, ... in byte order. Iteration order matters (it is the order of
    the first 256 vocabulary entries): printable bytes first, ascending, then the remapped ones."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    table = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def clean_text(text: str) -> str:
    """Basic cleaning of the reference minus ftfy: unescape HTML twice, collapse whitespace, strip, lower."""
    text = html.unescape(html.unescape(text)).strip()
    # stdlib re on purpose: its \s (str.isspace) also covers U+001C..U+001F, unlike regex's White_Space.
    text = re.sub(r"\s+", " ", text).strip()
    return text.lower()


class ClipTokenizer:
    """Encodes text to CLIP token ids and decodes them back. Not thread-safe (it keeps a BPE cache)."""

    def __init__(self, bpe_path: str | None = None):
        path = bpe_path or default_bpe_path()
        if not os.path.exists(path):
            raise FileNotFoundError(f"CLIP BPE merges not found at {path}; pass bpe_path or provide "
                                    f"../shared/data/clip/bpe_simple_vocab_16e6.txt.gz")
        with gzip.open(path, "rt", encoding="utf-8") as f:
            lines = f.read().split("\n")
        merges: List[Tuple[str, str]] = [tuple(line.split()) for line in lines[1:1 + MERGE_COUNT]]
        b2u = byte_to_unicode()
        symbols = list(b2u.values())
        vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        self.encoder: Dict[str, int] = {tok: i for i, tok in enumerate(vocab)}
        self.decoder: Dict[int, str] = {i: tok for tok, i in self.encoder.items()}
        self.ranks: Dict[Tuple[str, str], int] = {m: i for i, m in enumerate(merges)}
        self.byte_encoder = b2u
        self.byte_decoder = {c: b for b, c in b2u.items()}
        self._cache: Dict[str, List[str]] = {"<|startoftext|>": ["<|startoftext|>"],
                                             "<|endoftext|>": ["<|endoftext|>"]}
        if len(self.encoder) != 49408 or self.encoder["<|endoftext|>"] != EOT_ID:
            raise ValueError(f"unexpected CLIP vocabulary from {path}: {len(self.encoder)} entries")

    @property
    def vocab_size(self) -> int:
        return len(self.encoder)

    def _bpe(self, piece: str) -> List[str]:
        cached = self._cache.get(piece)
        if cached is not None:
            return cached
        word = list(piece[:-1]) + [piece[-1] + "</w>"]
        while len(word) > 1:
            best = None
            best_rank = None
            for pair in zip(word, word[1:]):
                r = self.ranks.get(pair)
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = pair, r
            if best is None:
                break
            merged = []
            i = 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == best[0] and word[i + 1] == best[1]:
                    merged.append(best[0] + best[1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self._cache[piece] = word
        return word

    def encode(self, text: str) -> List[int]:
        """Token ids of ``text`` without SOT/EOT."""
        ids: List[int] = []
        for piece in _PATTERN.findall(clean_text(text)):
            mapped = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self._bpe(mapped))
        return ids

    def tokenize77(self, text: str, context_length: int = CONTEXT_LENGTH, truncate: bool = True) -> List[int]:
        """``clip.tokenize`` form: SOT, ids, EOT, zero padding to ``context_length``. Too-long texts keep their
        first ``context_length - 1`` tokens and end with EOT (``truncate=True``) or raise."""
        ids = [SOT_ID] + self.encode(text) + [EOT_ID]
        if len(ids) > context_length:
            if not truncate:
                raise ValueError(f"text needs {len(ids)} tokens, more than the context length {context_length}")
            ids = ids[:context_length]
            ids[-1] = EOT_ID
        return ids + [0] * (context_length - len(ids))

    def tokenize_batch(self, texts: Iterable[str], context_length: int = CONTEXT_LENGTH) -> List[List[int]]:
        return [self.tokenize77(t, context_length) for t in texts]

    def decode(self, ids: Sequence[int]) -> str:
        """Inverse mapping as the reference's ``decode``: every id is decoded (pass ids without SOT/EOT/padding),
        ``</w>`` becomes a space, invalid UTF-8 becomes U+FFFD."""
        toks = "".join(self.decoder[i] for i in ids)
        raw = bytearray(self.byte_decoder[c] for c in toks)
        return raw.decode("utf-8", errors="replace").replace("</w>", " ")
