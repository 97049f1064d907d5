"""Reference caption search (greedy and beam) with the exact semantics of SPEC "Decoding semantics".

The search is written once against :class:`LogitsSource`, which yields next-token logits for a batch of
hypotheses; sources are:

* :class:`NoCacheSource`: the official notebook's computation (the whole sequence re-run every step, no cache);
  this is the reference used for golden files.
* :class:`CachedSource`: PyTorch with a key/value cache, one position per call (what ``decoder.onnx`` does).
* :class:`OrtSource`: ``decoder.onnx`` run in ONNX Runtime Java through :mod:`decap_tools.ort`.

Rules (decoder ids are the decoder's output indices; tokenizer ids come from the vocabulary map):

* masking (default on): decoder ids whose tokenizer id is -1 in the map or >= the tokenizer vocabulary size get
  logit -inf; with ``min_tokens``, EOT's logit is -inf while fewer than ``min_tokens`` tokens were generated.
* log-probs = ``log_softmax`` of the masked logits in float32.
* greedy: argmax of the masked logits (first index on ties); stop after EOT or ``max_tokens`` tokens;
  score = float32 sum of the chosen log-probs.
* beam (width W, length penalty a): see :func:`beam_search`. Scores are float32 running sums; the normalised
  score ``sum / n**a`` is computed in float64 (n = number of tokens, EOT included).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence

import numpy as np
import torch

TOKENIZER_VOCAB_SIZE = 49408
EOT_TOKENIZER_ID = 49407


class Vocabulary:
    """Maps decoder ids to tokenizer ids (``vocab_map`` entry j = tokenizer id of decoder id j, or -1)."""

    def __init__(self, decoder_vocab_size: int, vocab_map: Optional[Sequence[int]] = None,
                 tokenizer_vocab_size: int = TOKENIZER_VOCAB_SIZE, eot_id: int = EOT_TOKENIZER_ID):
        if vocab_map is None:
            m = np.arange(decoder_vocab_size, dtype=np.int64)
        else:
            m = np.asarray(vocab_map, dtype=np.int64)
            if m.shape != (decoder_vocab_size,):
                raise ValueError(f"vocab map: expected {decoder_vocab_size} entries, found {m.shape[0]}")
        self.to_tokenizer = m
        self.tokenizer_vocab_size = tokenizer_vocab_size
        eot = np.nonzero(m == eot_id)[0]
        if eot.size == 0:
            raise ValueError(f"no decoder id maps to the EOT token {eot_id}")
        self.eot_decoder_id = int(eot[0])
        # decoder ids with no decodable tokenizer id
        self.undecodable = (m < 0) | (m >= tokenizer_vocab_size)

    def tokenizer_ids(self, decoder_ids: Sequence[int]) -> List[int]:
        """Tokenizer ids of ``decoder_ids``; an id without one is reported as -1."""
        return [int(self.to_tokenizer[d]) if not self.undecodable[d] else -1 for d in decoder_ids]


@dataclass
class DecodeOptions:
    max_tokens: int = 30
    min_tokens: int = 0
    mask: bool = True


@dataclass
class Hypothesis:
    decoder_ids: List[int]
    logprobs: List[float]
    score: float                      # greedy: sum of log-probs; beam: normalised score
    sum_logprob: float
    finished_with_eot: bool
    min_margin: float = float("inf")  # smallest decision margin seen (see greedy / beam_search)
    selection_margin: float = float("inf")  # beam only: best minus second-best normalised score
    steps: int = 0
    extra: dict = field(default_factory=dict)


class LogitsSource:
    """Next-token logits for a set of hypotheses that all have the same length."""

    def first(self) -> np.ndarray:
        """Logits [1, vocab] after the prefix alone."""
        raise NotImplementedError

    def extend(self, parents: Sequence[int], tokens: Sequence[int]) -> np.ndarray:
        """Row r of the result [len(parents), vocab]: the logits after appending ``tokens[r]`` to row
        ``parents[r]`` of the previous call's batch."""
        raise NotImplementedError


class NoCacheSource(LogitsSource):
    """The notebook way: embed [prefix, tokens...] and run the full causal transformer every step."""

    def __init__(self, model, prefix: np.ndarray):
        self.model = model
        self.prefix = torch.as_tensor(np.asarray(prefix, np.float32)).reshape(1, -1)
        self.seqs: List[List[int]] = [[]]

    @torch.no_grad()
    def _run(self) -> np.ndarray:
        toks = torch.tensor(self.seqs, dtype=torch.long).reshape(len(self.seqs), -1)
        pre = self.prefix.expand(len(self.seqs), -1)
        return self.model.logits_no_cache(pre, toks).numpy().astype(np.float32)

    def first(self):
        self.seqs = [[]]
        return self._run()

    def extend(self, parents, tokens):
        self.seqs = [self.seqs[p] + [int(t)] for p, t in zip(parents, tokens)]
        return self._run()


class CachedSource(LogitsSource):
    """PyTorch with a key/value cache (reordered by ``parents``), one position per call: ``model.step``."""

    def __init__(self, model, prefix: np.ndarray):
        self.model = model
        self.prefix = torch.as_tensor(np.asarray(prefix, np.float32)).reshape(1, -1)
        self.past = None

    @torch.no_grad()
    def first(self):
        ids = torch.zeros(1, 1, dtype=torch.long)
        logits, self.past = self.model.step(self.prefix, ids, torch.tensor([True]), self.model.empty_past(1))
        return logits.numpy().astype(np.float32)

    @torch.no_grad()
    def extend(self, parents, tokens):
        idx = torch.tensor(list(parents), dtype=torch.long)
        past = [(k.index_select(0, idx), v.index_select(0, idx)) for k, v in self.past]
        ids = torch.tensor(list(tokens), dtype=torch.long).reshape(-1, 1)
        pre = self.prefix.expand(len(parents), -1)
        logits, self.past = self.model.step(pre, ids, torch.tensor([False]), past)
        return logits.numpy().astype(np.float32)


class OrtSource(LogitsSource):
    """``decoder.onnx`` in ONNX Runtime Java, with its I/O contract (see docs/model-bundle.md)."""

    def __init__(self, model_path, prefix: np.ndarray, layers: int, heads: int, head_dim: int):
        from . import ort
        self.session = ort.Session(model_path)
        self.prefix = np.asarray(prefix, np.float32).reshape(1, -1)
        self.layers, self.heads, self.head_dim = layers, heads, head_dim
        self.past = None

    def _run(self, prefix, ids, use_prefix, past):
        feeds = {"prefix": prefix, "input_ids": ids, "use_prefix": np.array([use_prefix])}
        for i, (k, v) in enumerate(past):
            feeds[f"past_key_values.{i}.key"] = k
            feeds[f"past_key_values.{i}.value"] = v
        out = self.session.run(feeds)
        self.past = [(out[f"present.{i}.key"], out[f"present.{i}.value"]) for i in range(self.layers)]
        return out["logits"]

    def first(self):
        z = np.zeros((1, self.heads, 0, self.head_dim), np.float32)
        return self._run(self.prefix, np.zeros((1, 1), np.int64), True, [(z, z)] * self.layers)

    def extend(self, parents, tokens):
        idx = np.asarray(parents, np.int64)
        past = [(k[idx], v[idx]) for k, v in self.past]
        pre = np.repeat(self.prefix, len(idx), axis=0)
        return self._run(pre, np.asarray(tokens, np.int64).reshape(-1, 1), False, past)


def masked_logits(logits: np.ndarray, vocab: Vocabulary, options: DecodeOptions, generated: int) -> np.ndarray:
    """Applies masking and the min-tokens rule to logits [n, vocab] (returns a float32 copy)."""
    out = np.array(logits, dtype=np.float32, copy=True)
    if options.mask:
        out[:, vocab.undecodable] = -np.inf
    if generated < options.min_tokens:
        out[:, vocab.eot_decoder_id] = -np.inf
    return out


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """float32 log-softmax (torch's), -inf stays -inf."""
    return torch.log_softmax(torch.from_numpy(np.ascontiguousarray(logits, np.float32)), dim=-1).numpy()


def greedy(source: LogitsSource, vocab: Vocabulary, options: DecodeOptions = DecodeOptions()) -> Hypothesis:
    """The notebook's greedy search. ``min_margin``: smallest top-1 minus top-2 masked logit over the steps."""
    logits = source.first()
    ids: List[int] = []
    lps: List[float] = []
    total = np.float32(0.0)
    min_margin = float("inf")
    eot = False
    while len(ids) < options.max_tokens:
        ml = masked_logits(logits, vocab, options, len(ids))[0]
        lp = log_softmax(ml[None, :])[0]
        t = int(np.argmax(ml))
        top2 = np.partition(ml, -2)[-2:]
        min_margin = min(min_margin, float(top2[1] - top2[0]))
        ids.append(t)
        lps.append(float(lp[t]))
        total = np.float32(total + lp[t])
        if t == vocab.eot_decoder_id:
            eot = True
            break
        if len(ids) < options.max_tokens:
            logits = source.extend([0], [t])
    return Hypothesis(ids, lps, float(total), float(total), eot, min_margin=min_margin, steps=len(ids))


@dataclass
class _Beam:
    ids: List[int]
    lps: List[float]
    total: np.float32


def beam_search(source: LogitsSource, vocab: Vocabulary, width: int, length_penalty: float = 0.0,
                options: DecodeOptions = DecodeOptions()) -> Hypothesis:
    """Reference beam search (SPEC "Decoding semantics").

    alive = [empty beam, sum 0]. At each step every alive beam b and token v give a candidate with score
    float32(sum_b + logprob_b[v]) (candidates with -inf score are dropped). Candidates are sorted by score
    descending, ties by beam index then token id ascending, and walked: an EOT candidate becomes a finished
    hypothesis (normalised score sum / n**a, n counting EOT), any other becomes a new alive beam; the walk stops
    when ``width`` new alive beams are collected. The search stops when at least ``width`` hypotheses are
    finished, or after ``max_tokens`` steps, when the alive beams become finished (no EOT, normalised by their
    length). The result is the finished hypothesis with the highest normalised score (ties: first finished).

    ``min_margin``: smallest gap between adjacent sorted candidate scores among those walked plus the next one;
    ``selection_margin``: best minus second-best normalised score.
    """
    if width < 1:
        raise ValueError(f"beam width must be >= 1, found {width}")
    logits = source.first()
    alive = [_Beam([], [], np.float32(0.0))]
    finished: List[tuple] = []  # (normalised, beam, eot)
    min_margin = float("inf")
    step = 0
    a = float(length_penalty)
    while True:
        ml = masked_logits(logits, vocab, options, step)
        lp = log_softmax(ml)                                         # [n_alive, vocab]
        sums = np.array([b.total for b in alive], np.float32)
        cand = (sums[:, None] + lp).astype(np.float32)               # float32 sums
        flat = cand.reshape(-1)
        n_vocab = cand.shape[1]
        beam_idx = np.repeat(np.arange(len(alive)), n_vocab)
        tok_idx = np.tile(np.arange(n_vocab), len(alive))
        finite = np.isfinite(flat)
        # lexsort: last key is primary -> score desc, then beam asc, then token asc
        order = np.lexsort((tok_idx[finite], beam_idx[finite], -flat[finite]))
        f_scores, f_beams, f_toks = flat[finite][order], beam_idx[finite][order], tok_idx[finite][order]
        new_alive: List[_Beam] = []
        parents: List[int] = []
        walked = 0
        for s, bi, t in zip(f_scores, f_beams, f_toks):
            walked += 1
            parent = alive[int(bi)]
            nb = _Beam(parent.ids + [int(t)], parent.lps + [float(lp[bi, t])], np.float32(s))
            if int(t) == vocab.eot_decoder_id:
                finished.append((float(nb.total) / (len(nb.ids) ** a), nb, True))
            else:
                new_alive.append(nb)
                parents.append(int(bi))
                if len(new_alive) == width:
                    break
        window = f_scores[:walked + 1].astype(np.float64)
        if window.size > 1:
            min_margin = min(min_margin, float(np.min(window[:-1] - window[1:])))
        step += 1
        if len(finished) >= width:
            break
        if step >= options.max_tokens:
            for nb in new_alive:
                finished.append((float(nb.total) / (len(nb.ids) ** a), nb, False))
            break
        alive = new_alive
        logits = source.extend(parents, [b.ids[-1] for b in alive])
    best = 0
    for i in range(1, len(finished)):
        if finished[i][0] > finished[best][0]:
            best = i
    norm, nb, eot = finished[best]
    others = [f[0] for i, f in enumerate(finished) if i != best]
    sel = norm - max(others) if others else float("inf")
    return Hypothesis(nb.ids, nb.lps, norm, float(nb.total), eot, min_margin=min_margin, selection_margin=sel,
                      steps=step)
