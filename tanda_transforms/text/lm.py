"""An interpolated Kneser-Ney n-gram language model in numpy, and the registry TFs name it by.

:class:`NGramLM` is estimated from sentences (lowercased words, markup removed, each padded
with ``order - 1`` start symbols ``<s>`` and one end symbol ``</s>``). Its data are the counts
of the observed n-grams of the highest order; every lower-order statistic is derived from them.
Probabilities follow interpolated Kneser-Ney (Chen & Goodman 1999) with one absolute discount:
raw counts at the highest order and for n-grams that start with ``<s>``, continuation counts
(distinct left neighbours) below, and the lowest order interpolated with the uniform
distribution over the vocabulary, so every word, seen or not, has positive probability. Words
outside the vocabulary are read as ``<unk>``.

A TF names a model by its key (``"ngram-" + checksum[:16]``), never by a path: register the
model first with :func:`register_language_model`. Models are stored without pickle, as plain
parts (:meth:`NGramLM.to_parts`) or an ``.npz`` file (:meth:`NGramLM.save`), both validated
in full when read (:class:`LanguageModelError`).

nltk is not used: its language models are slow to query and its taggers need a data download.

Examples
--------
>>> lm = NGramLM.fit(["The cat sat.", "The dog sat.", "A cat ran."])
>>> lm.vocab[:5]
('<s>', '</s>', '<unk>', '.', 'a')
>>> p = lm.prob_next(["the"])
>>> bool(abs(p.sum() - 1) < 1e-12), bool(p[lm.vocab.index("cat")] > p[lm.vocab.index("ran")])
(True, True)
>>> words, probs = lm.candidates(["the"], ["ran"], k=2)  # "the ___ ran": "cat" fits best
>>> words, probs.round(2)
(['cat', 'dog'], array([0.73, 0.27]))
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from tanda_transforms._atomic import write_atomic
from tanda_transforms.text import _lm_parts as parts
from tanda_transforms.text._lm_parts import FORMAT, SPECIALS, UNK, LanguageModelError
from tanda_transforms.text.tokens import Tokens, is_tag, tokenize

__all__ = [
    "NGramLM",
    "LanguageModelError",
    "LanguageModelNotFoundError",
    "register_language_model",
    "get_language_model",
    "registered_language_models",
    "unregister_language_model",
]

_BOS, _EOS, _UNK = 0, 1, 2


class LanguageModelNotFoundError(LookupError):
    """A TF names a language model key that is not registered in this process."""


class NGramLM:
    """An interpolated Kneser-Ney n-gram language model over lowercased words.

    Build one with :meth:`fit`, :meth:`from_parts` or :meth:`load`. The vocabulary starts with
    ``<s>``, ``</s>``, ``<unk>``, then the training words sorted. Two models are equal when
    their data (hence :attr:`checksum`) are.

    Attributes
    ----------
    vocab : tuple of str
    order : int
    discount : float
    checksum : str
        sha256 (hex) of a canonical encoding of the parts.
    key : str
        ``"ngram-" + checksum[:16]``: the name TFs use (see :func:`register_language_model`).
    """

    def __init__(self, header: dict, arrays: dict[str, np.ndarray]) -> None:
        """Use :meth:`fit`, :meth:`from_parts` or :meth:`load` (this trusts its input)."""
        self.order: int = header["order"]
        self.discount: float = header["discount"]
        self.vocab: tuple[str, ...] = tuple(header["vocab"])
        self._ngrams, self._counts = arrays["ngrams"], arrays["counts"]
        for a in (self._ngrams, self._counts):
            a.flags.writeable = False
        self._index = {w: i for i, w in enumerate(self.vocab)}
        self.checksum: str = parts.checksum(self._header(), self._ngrams, self._counts)
        self.key: str = "ngram-" + self.checksum[:16]
        self._levels = parts.build_levels(
            self._ngrams, self._counts, len(self.vocab), self.discount
        )
        uniform = np.full(len(self.vocab), 1.0 / (len(self.vocab) - 1))
        uniform[_BOS] = 0.0  # never predicted
        self._unigram = self._level_vector(uniform, 0, self._levels[0])
        self._unigram.flags.writeable = False

    # --- building --------------------------------------------------------------------------

    @classmethod
    def fit(
        cls, sentences: Iterable[Tokens | str], *, order: int = 3, discount: float = 0.75
    ) -> NGramLM:
        """Estimate a model from sentences (:class:`Tokens` or strings, markup allowed).

        Words are lowercased and tags dropped; a word longer than 100 characters (or holding
        a NUL character) is read as ``<unk>``. ``order`` is in [2, 5], ``discount`` in (0, 1).

        Raises
        ------
        ValueError
            If there is no sentence or a parameter is out of range.
        """
        parts.check_order_discount(order, discount, ValueError)
        ids: dict[str, int] = {}
        encoded = []
        for sentence in sentences:
            words = _plain(sentence)
            encoded.append([ids.setdefault(w, len(ids)) for w in words])
        if not encoded:
            raise ValueError("NGramLM.fit: no sentences")
        words = sorted(w for w in ids if w not in SPECIALS)
        vocab = list(SPECIALS) + words
        remap = np.array([_UNK] * len(ids), dtype=np.int64)
        final = {w: i for i, w in enumerate(vocab)}
        for w, i in ids.items():
            remap[i] = final.get(w, _UNK)
        pad = order - 1
        rows = []
        for sentence in encoded:
            seq = np.concatenate([np.zeros(pad, np.int64), remap[np.array(sentence, np.int64)],
                                  [_EOS]]).astype(np.int64)
            rows.append(np.lib.stride_tricks.sliding_window_view(seq, order))
        ngrams, counts = parts.unique_rows(np.concatenate(rows))
        header = {"format": FORMAT, "order": order, "discount": float(discount), "vocab": vocab}
        return cls(header, {"ngrams": ngrams, "counts": counts})

    def to_parts(self) -> tuple[dict, dict[str, np.ndarray]]:
        """``(header, arrays)``: plain data, no pickle; :meth:`from_parts` reads them back.

        The header is JSON-able: ``format`` (``"tanda-ngram-lm-1"``), ``order``,
        ``discount``, ``vocab`` (list of str). The arrays: ``ngrams`` (int64, ``(n, order)``,
        vocabulary ids of each distinct n-gram, rows sorted) and ``counts`` (int64, ``(n,)``).
        """
        return self._header(), {"ngrams": self._ngrams.copy(), "counts": self._counts.copy()}

    @classmethod
    def from_parts(cls, header: object, arrays: object) -> NGramLM:
        """A model from :meth:`to_parts` output, validated in full.

        Raises
        ------
        LanguageModelError
            If anything is malformed or out of limits (format, order, discount, vocabulary:
            at most 1,000,000 distinct, sorted words of at most 100 characters; arrays: int64,
            at most 20,000,000 sorted distinct n-grams, ids in range, counts positive,
            start/end symbols only where padding puts them, every word used).

        Examples
        --------
        >>> lm = NGramLM.fit(["a b", "b c"], order=2)
        >>> NGramLM.from_parts(*lm.to_parts()).checksum == lm.checksum
        True
        >>> header, arrays = lm.to_parts()
        >>> arrays["counts"][0] = 0
        >>> NGramLM.from_parts(header, arrays)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        tanda_transforms.text.LanguageModelError: counts must be positive ...
        """
        return cls(*parts.check_parts(header, arrays))

    def save(self, path: str | os.PathLike) -> None:
        """Write the model to an ``.npz`` file (compressed, no pickles), atomically."""
        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"a language model file must end in .npz, got {str(path)!r}")
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **parts.to_npz_arrays(*self.to_parts()))
        write_atomic(path, buffer.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike) -> NGramLM:
        """Read a model written by :meth:`save` (``allow_pickle=False``, headers checked first).

        Raises
        ------
        LanguageModelError
            If the file is not a valid model file.
        """
        return cls(*parts.check_parts(*parts.read_npz(Path(path))))

    # --- queries ---------------------------------------------------------------------------

    def prob_next(self, context: Sequence[str], *, bos: bool = True) -> np.ndarray:
        """P(w | context) for every word of :attr:`vocab` (float64, sums to 1).

        ``context``: the preceding words (lowercased here, tags dropped); only the last
        ``order - 1`` matter. With ``bos`` (default) a shorter context is the sentence start
        (padded with ``<s>``); without, only the words given are used. P(``<s>``) is 0.
        """
        hist = self._history(context, bos)
        p = self._unigram.copy()
        ctx = 0
        for k in range(2, self.order + 1):
            ctx = self._find_context(k, ctx, hist[-(k - 1)])
            if ctx < 0:
                break
            p = self._level_vector(p, ctx, self._levels[k - 1])
        return p

    def candidates(
        self,
        left: Sequence[str],
        right: Sequence[str],
        k: int,
        *,
        mask: np.ndarray | None = None,
        bos: bool = True,
        eos: bool = True,
    ) -> tuple[list[str], np.ndarray]:
        """The ``k`` likeliest words after ``left``, re-scored by how well ``right`` follows.

        Each of the ``k`` words ``v`` most probable given ``left`` gets the score
        P(v | left) times the probability of the next ``order - 1`` words of ``right`` given
        the words before them (``v`` included); scores are normalised to sum to 1 and sorted
        descending. Never returns ``<s>``, ``</s>``, ``<unk>`` or a tag. ``mask``: optional
        bool array over :attr:`vocab` of the words allowed. With ``eos`` a ``right`` shorter
        than ``order - 1`` ends the sentence (``</s>`` follows); ``bos``: as in
        :meth:`prob_next`.

        Returns
        -------
        words : list of str
            At most ``k`` words (fewer if fewer are allowed).
        probs : np.ndarray
            Their normalised scores (float64), descending.
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"candidates: k must be a positive int, got {k!r}")
        p = self.prob_next(left, bos=bos)
        p[:_UNK + 1] = 0.0
        if mask is not None:
            mask = np.asarray(mask)
            if mask.dtype != bool or mask.shape != p.shape:
                raise ValueError(f"candidates: mask must be a bool array of shape {p.shape}")
            p = np.where(mask, p, 0.0)
        k = min(k, int(np.count_nonzero(p)))
        if k == 0:
            return [], np.zeros(0)
        top = _top_indices(p, k)
        scores = p[top] * self._right_fit(left, right, top, bos, eos)
        order = np.argsort(-scores, kind="stable")
        top, scores = top[order], scores[order]
        return [self.vocab[i] for i in top], scores / scores.sum()

    def logprob(self, words: Sequence[str]) -> float:
        """Natural log-probability of a whole sentence (``</s>`` included, tags skipped)."""
        ids = [self._index.get(w, _UNK) for w in _lower(words)]
        seq = np.array([_BOS] * (self.order - 1) + ids + [_EOS], np.int64)
        grams = np.lib.stride_tricks.sliding_window_view(seq, self.order)
        return float(np.log(self._probs(grams[:, :-1], grams[:, -1])).sum())

    def perplexity(self, sentences: Iterable[Tokens | str | Sequence[str]]) -> float:
        """Corpus perplexity: exp(-total log-probability / number of predicted tokens)."""
        total, count = 0.0, 0
        for sentence in sentences:
            words = _plain(sentence) if isinstance(sentence, Tokens | str) else _lower(sentence)
            total += self.logprob(words)
            count += len(words) + 1
        if count == 0:
            raise ValueError("perplexity: no sentences")
        return math.exp(-total / count)

    def sample_unigram(
        self, rng: np.random.Generator, n: int = 1, *, mask: np.ndarray | None = None
    ) -> list[str]:
        """``n`` words drawn from the continuation unigram distribution (never a special).

        The continuation unigram is Kneser-Ney's lowest order without its uniform part: a
        word's probability is proportional to the number of distinct words seen before it,
        so words that occur in many contexts come first. ``mask``: bool array over
        :attr:`vocab` of the words allowed (ValueError if it allows none with weight).
        """
        level = self._levels[0]
        weights = np.zeros(len(self.vocab))
        weights[level.gram_keys] = level.counts  # order-1 keys are the word ids
        weights[:_UNK + 1] = 0.0
        if mask is not None:
            weights = np.where(np.asarray(mask, bool), weights, 0.0)
        if not weights.sum() > 0:
            raise ValueError("sample_unigram: the mask allows no word of the vocabulary")
        return [self.vocab[i] for i in rng.choice(len(weights), size=n, p=weights / weights.sum())]

    # --- internals -------------------------------------------------------------------------

    def _header(self) -> dict:
        return {"format": FORMAT, "order": self.order, "discount": self.discount,
                "vocab": list(self.vocab)}

    def _history(self, context: Sequence[str], bos: bool) -> list[int]:
        ids = [self._index.get(w, _UNK) for w in _lower(context)][-(self.order - 1):]
        fill = (_BOS if bos else -1)
        return [fill] * (self.order - 1 - len(ids)) + ids

    def _find_context(self, k: int, ctx: int, word: int) -> int:
        """Id of the order-``k`` context ``word`` + (context ``ctx`` of order k-1), or -1."""
        if word < 0:
            return -1
        keys = self._levels[k - 1].ctx_keys
        key = ctx * len(self.vocab) + word
        pos = int(np.searchsorted(keys, key))
        return pos if pos < len(keys) and keys[pos] == key else -1

    def _level_vector(self, lower: np.ndarray, ctx: int, level: parts.Level) -> np.ndarray:
        v = len(self.vocab)
        lo, hi = np.searchsorted(level.gram_keys, [ctx * v, (ctx + 1) * v])
        p = lower * level.lambdas[ctx]
        p[level.gram_keys[lo:hi] - ctx * v] += level.numerators[lo:hi]
        return p

    def _probs(self, hist: np.ndarray, words: np.ndarray) -> np.ndarray:
        """P(words[i] | hist[i]) for histories of ``order - 1`` ids (-1: no word), vectorised."""
        v, m = len(self.vocab), len(words)
        p = np.where(words == _BOS, 0.0, 1.0 / (v - 1))
        ctx, alive = np.zeros(m, np.int64), np.ones(m, bool)
        for k, level in enumerate(self._levels, start=1):
            if k > 1:
                word = hist[:, self.order - k]
                key = ctx * v + word
                pos = np.minimum(np.searchsorted(level.ctx_keys, key), len(level.ctx_keys) - 1)
                alive &= (word >= 0) & (level.ctx_keys[pos] == key)
                ctx = np.where(alive, pos, 0)
            gkey = ctx * v + words
            gpos = np.minimum(np.searchsorted(level.gram_keys, gkey), len(level.gram_keys) - 1)
            num = np.where(level.gram_keys[gpos] == gkey, level.numerators[gpos], 0.0)
            p = np.where(alive, level.lambdas[ctx] * p + num, p)
        return p

    def _right_fit(self, left, right, cands, bos, eos) -> np.ndarray:
        """For each candidate id, P(next order-1 words of ``right`` | words before them)."""
        n = self.order - 1
        after = [self._index.get(w, _UNK) for w in _lower(right)][:n]
        if eos and len(after) < n:
            after.append(_EOS)
        if not after:
            return np.ones(len(cands))
        hist = np.array(self._history(left, bos), np.int64)
        fit = np.ones(len(cands))
        for i, word in enumerate(after):
            rows = np.empty((len(cands), n + 1 + i), np.int64)
            rows[:, :n], rows[:, n], rows[:, n + 1:] = hist, cands, after[:i]
            fit *= self._probs(rows[:, -n:], np.full(len(cands), word, np.int64))
        return fit

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NGramLM) and self.checksum == other.checksum

    def __hash__(self) -> int:
        return hash(self.checksum)

    def __repr__(self) -> str:
        return (f"NGramLM(order={self.order}, discount={self.discount}, "
                f"{len(self.vocab)} words, {len(self._counts)} n-grams, key={self.key!r})")


def _top_indices(p: np.ndarray, k: int) -> np.ndarray:
    """The indices of the ``k`` largest values of ``p`` (1 <= k <= len(p)), ascending; of
    values equal to the k-th largest, the lowest indices. ``argpartition`` picks among such
    ties differently across numpy versions and CPUs (its SIMD paths), so a seed would draw
    other words on another machine.

    Examples
    --------
    >>> _top_indices(np.array([0.1, 0.3, 0.1, 0.3, 0.1]), 3).tolist()
    [0, 1, 3]
    """
    kth = np.partition(p, len(p) - k)[len(p) - k]
    above = np.flatnonzero(p > kth)
    tied = np.flatnonzero(p == kth)[: k - len(above)]
    return np.sort(np.concatenate([above, tied]))


def _lower(words: Sequence[str]) -> list[str]:
    if isinstance(words, str):
        raise TypeError("expected a sequence of words, got a str (tokenize it first)")
    return [w.lower() for w in words if not is_tag(w)]


def _plain(sentence: Tokens | str) -> list[str]:
    if isinstance(sentence, str):
        sentence = tokenize(sentence)
    if not isinstance(sentence, Tokens):
        raise TypeError(f"a sentence is a Tokens or a str, got {type(sentence).__name__}")
    return [w if len(w) <= parts.MAX_WORD and "\0" not in w else UNK
            for w in _lower(sentence.words)]


# --------------------------------------------------------------------------- model registry

_MODELS: dict[str, NGramLM] = {}

_HOW_TO_REGISTER = (
    "Register the model in this process before applying or loading the TFs that name it: "
    "lm = NGramLM.fit(sentences) (or NGramLM.load('model.npz')); "
    "key = register_language_model(lm); TFs then take lm=key."
)


def register_language_model(lm: NGramLM) -> str:
    """Make ``lm`` available to TFs as ``lm=key``; returns its :attr:`~NGramLM.key`.

    Idempotent: registering an equal model again keeps the first one. Registered models live
    in this process only.

    Examples
    --------
    >>> lm = NGramLM.fit(["a b c"])
    >>> key = register_language_model(lm)
    >>> get_language_model(key) is lm, key in registered_language_models()
    (True, True)
    >>> unregister_language_model(key)
    """
    if not isinstance(lm, NGramLM):
        raise TypeError(f"lm must be an NGramLM, got {type(lm).__name__}")
    known = _MODELS.setdefault(lm.key, lm)
    if known != lm:  # two models whose checksums share their first 64 bits
        raise ValueError(f"another language model is registered under {lm.key!r}")
    return lm.key


def get_language_model(key: str) -> NGramLM:
    """The model registered under ``key`` (:class:`LanguageModelNotFoundError` otherwise)."""
    if not isinstance(key, str):
        raise TypeError(f"a language model key is a str, got {type(key).__name__}")
    try:
        return _MODELS[key]
    except KeyError:
        known = registered_language_models() or "none"
        raise LanguageModelNotFoundError(
            f"no language model registered under {key!r:.80} (registered: {known}). "
            + _HOW_TO_REGISTER
        ) from None


def registered_language_models() -> list[str]:
    """Keys of the models registered in this process, sorted."""
    return sorted(_MODELS)


def unregister_language_model(key: str) -> None:
    """Forget the model registered under ``key`` (KeyError if there is none)."""
    del _MODELS[key]
