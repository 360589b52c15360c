"""A language model's plain parts (see :mod:`.lm`): validation, ``.npz`` files, derived tables.

Parts are data from elsewhere: everything is checked (types, dtypes, sizes against fixed
limits, ids in range, sortedness, where the start and end symbols may stand) before any
statistic is derived, and every problem raises :class:`LanguageModelError` naming what was
expected. Files are read with ``allow_pickle=False`` after their array headers are checked.
"""

from __future__ import annotations

import hashlib
import json
import math
import zipfile
from pathlib import Path

import numpy as np

from tanda_transforms._npz import npz_headers
from tanda_transforms.text.tokens import is_tag

FORMAT = "tanda-ngram-lm-1"
BOS, EOS, UNK = "<s>", "</s>", "<unk>"
SPECIALS = (BOS, EOS, UNK)
MAX_VOCAB = 1_000_000
MAX_WORD = 100
MAX_NGRAMS = 20_000_000
MIN_ORDER, MAX_ORDER = 2, 5
_MAX_TOTAL = 2**53  # counts add up exactly in float64
_HEADER_KEYS = ("format", "order", "discount", "vocab")
_ARRAY_KEYS = ("ngrams", "counts")


class LanguageModelError(ValueError):
    """A language model's parts or file are malformed or exceed the limits."""


LanguageModelError.__module__ = "tanda_transforms.text"


def check_order_discount(order: object, discount: object, error: type = LanguageModelError):
    """Raise ``error`` unless ``order`` is an int in [2, 5] and ``discount`` a float in (0, 1)."""
    if isinstance(order, bool) or not isinstance(order, int | np.integer) or not (
        MIN_ORDER <= order <= MAX_ORDER
    ):
        raise error(f"order must be an int in [{MIN_ORDER}, {MAX_ORDER}], got {order!r:.40}")
    if isinstance(discount, bool) or not isinstance(discount, int | float | np.floating) or not (
        0 < discount < 1  # also False for NaN
    ):
        raise error(f"discount must be a number in (0, 1), got {discount!r:.40}")


def valid_word(word: object) -> bool:
    """Whether ``word`` may be in a vocabulary (1..100 characters, no whitespace/NUL/tag)."""
    return (
        isinstance(word, str)
        and 0 < len(word) <= MAX_WORD
        and not any(c.isspace() or c == "\0" for c in word)
        and not is_tag(word)
        and word not in SPECIALS
    )


def check_parts(header: object, arrays: object) -> tuple[dict, dict[str, np.ndarray]]:
    """Validated copies of ``(header, arrays)`` (see ``NGramLM.from_parts``)."""
    if not isinstance(header, dict) or sorted(header) != sorted(_HEADER_KEYS):
        got = sorted(header) if isinstance(header, dict) else type(header).__name__
        raise LanguageModelError(f"header must be a dict with keys {_HEADER_KEYS}, got {got}")
    if not isinstance(header["format"], str) or header["format"] != FORMAT:
        raise LanguageModelError(f"format must be {FORMAT!r}, got {header['format']!r:.80}")
    order, discount = header["order"], header["discount"]
    check_order_discount(order, discount)
    vocab = _check_vocab(header["vocab"])
    if not isinstance(arrays, dict) or sorted(arrays) != sorted(_ARRAY_KEYS):
        got = sorted(arrays) if isinstance(arrays, dict) else type(arrays).__name__
        raise LanguageModelError(f"arrays must be a dict with keys {_ARRAY_KEYS}, got {got}")
    ngrams, counts = (_int64(arrays[k], k) for k in _ARRAY_KEYS)
    if ngrams.ndim != 2 or ngrams.shape[1] != order or counts.ndim != 1:
        raise LanguageModelError(
            f"ngrams must have shape (n, {order}) and counts (n,), got {ngrams.shape} "
            f"and {counts.shape}"
        )
    if not 1 <= len(counts) <= MAX_NGRAMS or ngrams.shape[0] != len(counts):
        raise LanguageModelError(
            f"expected 1..{MAX_NGRAMS} n-grams with one count each, got {ngrams.shape[0]} "
            f"n-grams and {len(counts)} counts"
        )
    ngrams, counts = (np.array(a, dtype=np.int64, order="C") for a in (ngrams, counts))
    if ngrams.min() < 0 or ngrams.max() >= len(vocab):
        raise LanguageModelError(f"ngram ids must be in [0, {len(vocab) - 1}] (vocab indices)")
    if counts.min() < 1:
        raise LanguageModelError("counts must be positive (each n-gram was seen at least once)")
    if counts.astype(np.float64).sum() > _MAX_TOTAL:
        raise LanguageModelError("counts must add up to at most 2**53, got more")
    _check_sorted(ngrams)
    _check_structure(ngrams, len(vocab))
    clean = {"format": FORMAT, "order": int(order), "discount": float(discount), "vocab": vocab}
    return clean, {"ngrams": ngrams, "counts": counts}


def _check_vocab(vocab: object) -> list[str]:
    if not isinstance(vocab, list | tuple):
        raise LanguageModelError(f"vocab must be a list of str, got {type(vocab).__name__}")
    if not len(SPECIALS) <= len(vocab) <= MAX_VOCAB:
        raise LanguageModelError(
            f"vocab must hold {len(SPECIALS)}..{MAX_VOCAB} words, got {len(vocab)}"
        )
    if tuple(vocab[: len(SPECIALS)]) != SPECIALS:
        raise LanguageModelError(f"vocab must start with {SPECIALS}, got {vocab[:3]!r:.80}")
    words = vocab[len(SPECIALS) :]
    for i, word in enumerate(words):
        if not valid_word(word):
            raise LanguageModelError(
                f"vocab word {i + len(SPECIALS)} must be a str of 1..{MAX_WORD} characters "
                f"without whitespace, NUL or markup (and not {SPECIALS}), got {word!r:.80}"
            )
    for i in range(1, len(words)):
        if not words[i - 1] < words[i]:
            raise LanguageModelError(
                f"vocab words after {SPECIALS} must be distinct and sorted; word "
                f"{i + len(SPECIALS)} ({words[i]!r:.40}) is not after {words[i - 1]!r:.40}"
            )
    return list(vocab)


def _int64(array: object, name: str) -> np.ndarray:
    if not isinstance(array, np.ndarray) or array.dtype.kind != "i" or array.dtype.itemsize != 8:
        got = array.dtype if isinstance(array, np.ndarray) else type(array).__name__
        raise LanguageModelError(f"{name} must be an int64 numpy array, got {got}")
    return array


def _check_sorted(ngrams: np.ndarray) -> None:
    if len(ngrams) < 2:
        return
    a, b = ngrams[:-1], ngrams[1:]
    differ = a != b
    first = differ.argmax(axis=1)
    rows = np.arange(len(a))
    ok = differ.any(axis=1) & (b[rows, first] > a[rows, first])
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0]) + 1
        raise LanguageModelError(
            f"ngrams must be distinct rows sorted lexicographically; row {bad} is not after "
            f"row {bad - 1}"
        )


def _check_structure(ngrams: np.ndarray, v: int) -> None:
    """``<s>`` only as leading padding, ``</s>`` only last, every word predicted once."""
    bos, eos = ngrams == 0, ngrams == 1
    if bos[:, -1].any() or (~bos[:, :-1] & bos[:, 1:]).any():
        raise LanguageModelError("<s> (id 0) may only open an n-gram, as padding before words")
    if eos[:, :-1].any():
        raise LanguageModelError("</s> (id 1) may only end an n-gram")
    seen = np.bincount(ngrams[:, -1], minlength=v) > 0
    if not seen[1] or not seen[len(SPECIALS) :].all():
        missing = np.flatnonzero(~seen[len(SPECIALS) :])[:5] + len(SPECIALS)
        raise LanguageModelError(
            "every vocab word (and </s>) must end at least one n-gram; unused ids: "
            f"{missing.tolist() if len(missing) else [1]}"
        )


# --------------------------------------------------------------------------- npz files

_NPZ_DTYPES = {"format": "U", "order": "i", "discount": "f", "vocab": "U",
               "ngrams": "i", "counts": "i"}


def to_npz_arrays(header: dict, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays of a model file: header fields as 0-d arrays, vocab as unicode."""
    return {
        "format": np.array(header["format"]),
        "order": np.array(header["order"], np.int64),
        "discount": np.array(header["discount"], np.float64),
        "vocab": np.array(header["vocab"], dtype=str),
        "ngrams": arrays["ngrams"],
        "counts": arrays["counts"],
    }


def read_npz(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """``(header, arrays)`` of a model file, with array headers checked before reading."""
    where = f"language model file {str(path)!r}"
    if path.suffix != ".npz" or not path.is_file():
        raise LanguageModelError(f"{where}: expected an existing .npz file")
    try:
        headers = npz_headers(path)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        raise LanguageModelError(f"{where}: not a readable .npz file ({err})") from None
    if sorted(headers) != sorted(_NPZ_DTYPES):
        raise LanguageModelError(f"{where}: expected arrays {sorted(_NPZ_DTYPES)}, "
                                 f"got {sorted(headers)[:10]}")
    for key, (shape, dtype) in headers.items():
        if dtype.hasobject or dtype.kind != _NPZ_DTYPES[key]:
            raise LanguageModelError(f"{where}: {key} has dtype {dtype}, expected kind "
                                     f"{_NPZ_DTYPES[key]!r} (objects are never unpickled)")
        if key in ("format", "order", "discount") and shape != ():
            raise LanguageModelError(f"{where}: {key} must be a scalar, got shape {shape}")
    vshape, vdtype = headers["vocab"]
    if len(vshape) != 1 or vshape[0] > MAX_VOCAB or vdtype.itemsize > 4 * MAX_WORD:
        raise LanguageModelError(f"{where}: vocab must be 1-D, at most {MAX_VOCAB} words of "
                                 f"at most {MAX_WORD} characters, got {vshape} {vdtype}")
    nshape, cshape = headers["ngrams"][0], headers["counts"][0]
    if len(nshape) != 2 or nshape[1] > MAX_ORDER or math.prod(nshape) > MAX_ORDER * MAX_NGRAMS \
            or len(cshape) != 1 or cshape[0] > MAX_NGRAMS:
        raise LanguageModelError(f"{where}: ngrams {nshape} / counts {cshape} exceed "
                                 f"({MAX_NGRAMS}, {MAX_ORDER}) / ({MAX_NGRAMS},)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            data = {key: npz[key] for key in _NPZ_DTYPES}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
        raise LanguageModelError(f"{where}: cannot read arrays ({err})") from None
    if data["format"].dtype.itemsize > 4 * 64:
        raise LanguageModelError(f"{where}: format must be {FORMAT!r}")
    header = {
        "format": str(data["format"]),
        "order": int(data["order"]),
        "discount": float(data["discount"]),
        "vocab": [str(w) for w in data["vocab"]],
    }
    return header, {"ngrams": data["ngrams"], "counts": data["counts"]}


# --------------------------------------------------------------------------- derived tables


class Level:
    """Statistics of one order ``k``: context keys, n-gram keys, numerators, interpolation."""

    def __init__(self, ctx_keys, gram_keys, counts, numerators, lambdas):
        self.ctx_keys, self.gram_keys, self.counts = ctx_keys, gram_keys, counts
        self.numerators, self.lambdas = numerators, lambdas


def unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows sorted lexicographically, and how often each occurs."""
    rows = rows[np.lexsort(rows.T[::-1])]
    new = np.ones(len(rows), bool)
    new[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    starts = np.flatnonzero(new)
    return np.ascontiguousarray(rows[starts]), np.diff(np.append(starts, len(rows)))


def build_levels(ngrams: np.ndarray, counts: np.ndarray, v: int, d: float) -> list[Level]:
    """Per order k = 1..N: context keys, n-gram keys, (a - D) / T and D * types / T."""
    n = ngrams.shape[1]
    levels: list[Level] = []
    ctx_ids = np.zeros(len(ngrams), np.int64)
    gram_ids, ctx_of = [], []
    ctx_keys_by_k = [np.zeros(1, np.int64)]
    for k in range(1, n + 1):
        if k > 1:
            keys, ctx_ids = np.unique(ctx_ids * v + ngrams[:, n - k], return_inverse=True)
            ctx_keys_by_k.append(keys)
        gkeys, ginv = np.unique(ctx_ids * v + ngrams[:, -1], return_inverse=True)
        gram_ids.append((gkeys, ginv.ravel()))
        ctx_of.append(gkeys // v)
    for k in range(1, n + 1):
        gkeys, ginv = gram_ids[k - 1]
        raw = np.bincount(ginv, weights=counts, minlength=len(gkeys))
        if k < n:  # continuation counts: distinct (k+1)-grams ending in this k-gram
            upper_inv = gram_ids[k][1]
            first = np.unique(upper_inv, return_index=True)[1]
            cont = np.bincount(ginv[first], minlength=len(gkeys)).astype(np.float64)
            starts_bos = np.zeros(len(gkeys), bool)
            starts_bos[ginv] = ngrams[:, n - k] == 0
            raw = np.where(starts_bos, raw, cont)
        n_ctx = len(ctx_keys_by_k[k - 1])
        totals = np.bincount(ctx_of[k - 1], weights=raw, minlength=n_ctx)
        types = np.bincount(ctx_of[k - 1], minlength=n_ctx)
        levels.append(Level(ctx_keys_by_k[k - 1], gkeys, raw,
                             (raw - d) / totals[ctx_of[k - 1]], d * types / totals))
    return levels


def checksum(header: dict, ngrams: np.ndarray, counts: np.ndarray) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(header, sort_keys=True, ensure_ascii=False,
                             separators=(",", ":")).encode("utf-8"))
    digest.update(b"\0" + str(ngrams.shape).encode())
    digest.update(np.ascontiguousarray(ngrams, "<i8").tobytes())
    digest.update(np.ascontiguousarray(counts, "<i8").tobytes())
    return digest.hexdigest()
