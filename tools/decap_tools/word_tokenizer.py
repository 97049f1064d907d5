"""Word-level tokenizer of decap bundles (manifest ``"tokenizer": {"type": "word", ...}``).

Exact spec (shared with the Java implementation; see docs/model-bundle.md, "Word tokenizer"):

* ``vocab.txt``: UTF-8, one token per line, id = 0-based line index. Line 0 ``<pad>``, line 1 ``<unk>``, then
  the words (sorted), then punctuation tokens, then ``<|startoftext|>`` (id V-2) and ``<|endoftext|>`` (id V-1).
* ``encode(text)``: Unicode NFC, lower-case, split with ``[\\p{L}\\p{N}]+|[^\\s\\p{L}\\p{N}]``; each token's id
  from the vocabulary, unknown -> 1. No SOT/EOT.
* ``encode_context(text, n)``: ``[SOT, ids..., EOT, 0, ...]`` of length n; ids truncated so EOT stays last.
* ``decode(ids)``: drops pad, SOT and EOT; joins tokens with single spaces, except that a token made only of
  non-letter/non-digit characters is appended to the previous token without a space.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Iterable, List, Sequence

import regex

PAD, UNK, SOT, EOT = "<pad>", "<unk>", "<|startoftext|>", "<|endoftext|>"
PAD_ID, UNK_ID = 0, 1
_SPLIT = regex.compile(r"[\p{L}\p{N}]+|[^\s\p{L}\p{N}]")
_WORDISH = regex.compile(r"[\p{L}\p{N}]")


def pieces(text: str) -> List[str]:
    """NFC, lower-case, split into tokens (the strings, before the vocabulary lookup)."""
    return _SPLIT.findall(unicodedata.normalize("NFC", text).lower())


def is_punctuation(token: str) -> bool:
    return not _WORDISH.search(token)


def build_vocabulary(texts: Iterable[str], extra_words: Iterable[str] = (), extra_punctuation: Iterable[str] = ()
                     ) -> List[str]:
    """The vocab.txt lines for a corpus: pad, unk, sorted words, sorted punctuation, SOT, EOT."""
    words, punct = set(extra_words), set(extra_punctuation)
    for t in texts:
        for p in pieces(t):
            (punct if is_punctuation(p) else words).add(p)
    return [PAD, UNK] + sorted(words) + sorted(punct) + [SOT, EOT]


class WordTokenizer:
    def __init__(self, tokens: Sequence[str]):
        tokens = list(tokens)
        if len(tokens) < 4 or tokens[0] != PAD or tokens[1] != UNK or tokens[-2] != SOT or tokens[-1] != EOT:
            raise ValueError("vocabulary must start with <pad>, <unk> and end with <|startoftext|>, <|endoftext|>")
        if len(set(tokens)) != len(tokens):
            raise ValueError("vocabulary has duplicate tokens")
        self.tokens = tokens
        self.ids = {t: i for i, t in enumerate(tokens)}
        self.vocab_size = len(tokens)
        self.sot_id = self.vocab_size - 2
        self.eot_id = self.vocab_size - 1

    @classmethod
    def load(cls, path) -> "WordTokenizer":
        text = Path(path).read_text(encoding="utf-8")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return cls(lines)

    def save(self, path) -> Path:
        path = Path(path)
        path.write_text("\n".join(self.tokens) + "\n", encoding="utf-8")
        return path

    def encode(self, text: str) -> List[int]:
        return [self.ids.get(p, UNK_ID) for p in pieces(text)]

    def encode_context(self, text: str, n: int) -> List[int]:
        if n < 2:
            raise ValueError(f"context length must be at least 2, found {n}")
        ids = self.encode(text)[: n - 2]
        out = [self.sot_id] + ids + [self.eot_id]
        return out + [PAD_ID] * (n - len(out))

    def decode(self, ids: Iterable[int]) -> str:
        out = ""
        for i in ids:
            i = int(i)
            if i in (PAD_ID, self.sot_id, self.eot_id):
                continue
            tok = self.tokens[i]
            if out and is_punctuation(tok):
                out += tok
            else:
                out = tok if not out else out + " " + tok
        return out

    def manifest_section(self, vocabulary: str = "vocab.txt") -> dict:
        return {"type": "word", "vocabulary": vocabulary, "vocab_size": self.vocab_size, "sot_id": self.sot_id,
                "eot_id": self.eot_id, "pad_id": PAD_ID, "unk_id": UNK_ID}
