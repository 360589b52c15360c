"""Transformation functions (TFs) and libraries of them.

A :class:`TF` is an op name plus bound arguments, ``rotate(degrees=5)``: deterministic apart from
an explicit ``rng`` for the few ops with a random part, printable, comparable, hashable and plain
data (``to_dict`` / ``from_dict`` give JSON). A :class:`TFLibrary` is an ordered tuple of TFs: the
action space of a generator. Its spec is a list of such dicts, so a policy file names its TFs
and reloads without the code that trained it.

The built-in packs live here too (:data:`PACKS`, :func:`TFLibrary.pack`): the paper's lists for
MNIST and CIFAR-10, and generic grayscale TFs for mammograms, each a function returning a fresh
list of TFs. Domain-specific mammography TFs (lesion transplant) need a pool of donor images
and are added by :mod:`tanda_transforms.domains`.

Examples
--------
>>> from tanda_transforms.tfs import TF, TFLibrary
>>> TF("rotate", degrees=5)
rotate(degrees=5)
>>> lib = TFLibrary.pack("mnist")
>>> len(lib), lib[0]
(25, rotate(degrees=-10.0))
>>> TFLibrary.from_spec(lib.to_spec()) == lib
True
>>> [len(PACKS[name]()) for name in ("mnist", "cifar10", "wide", "randaugment")]
[25, 33, 69, 62]
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from tanda_transforms._validate import check_int
from tanda_transforms.functional import AffineWarp, DenseWarp, check_image
from tanda_transforms.registry import OpSpec, check_arg_type, get_op

Warp = AffineWarp | DenseWarp

__all__ = [
    "TF", "TFLibrary", "TFOutputError", "PACKS", "available_packs", "misspecified_tfs",
    "op_balanced_logits",
]

_SCALARS = (bool, int, float, str, type(None))


def _check_arg(op: str, name: str, value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, _SCALARS):
        raise TypeError(
            f"TF {op}: argument {name!r} must be a JSON scalar (bool, int, float, str or None), "
            f"got {type(value).__name__}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"TF {op}: argument {name!r} must be finite, got {value!r}")
    return value


class TFOutputError(ValueError):
    """An op returned something other than an image of its input's shape, dtype and range."""


def _check_output(tf: TF, img: Any, out: Any) -> np.ndarray:
    """Return ``out`` if it is an image like ``img``; raise TFOutputError naming ``tf``."""
    if not isinstance(img, np.ndarray):
        return out  # the op has already checked (or refused) its input
    if not isinstance(out, np.ndarray):
        raise TFOutputError(f"TF {tf!r} returned {type(out).__name__}, expected a numpy array")
    if out.shape != img.shape or out.dtype != img.dtype:
        raise TFOutputError(
            f"TF {tf!r} returned {out.dtype} {out.shape} for a {img.dtype} {img.shape} image; "
            "an op must keep its input's shape and dtype"
        )
    if out.dtype.kind == "f" and out.size:
        low, high = out.min(), out.max()
        if not 0 <= low <= high <= 1:  # also False for NaN
            raise TFOutputError(
                f"TF {tf!r} returned float values in [{low}, {high}]; float images stay "
                "finite and in [0, 1]"
            )
    return out


def _check_same_type(tf: TF, item: Any, out: Any) -> Any:
    """Return ``out`` if it has ``item``'s type (a text op returns Tokens for Tokens)."""
    if type(out) is not type(item):
        raise TFOutputError(f"TF {tf!r} returned {type(out).__name__} for a "
                            f"{type(item).__name__}; an op returns what it was given")
    return out


class TF:
    """One transformation function: a registered op with its arguments bound.

    Parameters
    ----------
    op
        A registered op name (see :func:`tanda_transforms.registry.available_ops`).
    **args
        The op's arguments; missing ones take the op's defaults.

    Examples
    --------
    >>> import numpy as np
    >>> tf = TF("zoom", factor=1.0)
    >>> tf(np.eye(3, dtype=np.uint8)).tolist()
    [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    """

    __slots__ = ("op", "args", "_spec")

    def __init__(self, op: str, **args: Any) -> None:
        spec = get_op(op)
        params = spec.parameters
        unknown = sorted(set(args) - set(params))
        if unknown:
            raise TypeError(f"TF {op}: unknown argument(s) {unknown}; it takes {list(params)}")
        missing = [n for n, p in params.items() if p.default is p.empty and n not in args]
        if missing:
            raise TypeError(f"TF {op}: missing required argument(s) {missing}")
        bound = {n: _check_arg(op, n, args[n]) for n in params if n in args}
        for name, value in bound.items():
            check_arg_type(op, params[name], value)
        spec.check_bounds(bound)
        object.__setattr__(self, "op", op)
        object.__setattr__(self, "args", tuple(bound.items()))
        object.__setattr__(self, "_spec", spec)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("TF is immutable")

    def __reduce__(self):
        # pickle / deepcopy (DataLoader workers under spawn) rebuild from plain data
        return (TF.from_dict, (self.to_dict(),))

    @property
    def spec(self) -> OpSpec:
        """The registered op this TF applies: its function, kind, bounds, batched kernel."""
        return self._spec

    @property
    def arguments(self) -> dict[str, Any]:
        """Every argument the op receives: the TF's own, the op's defaults for the rest.

        Examples
        --------
        >>> TF("cutout", size=0.5).arguments
        {'size': 0.5, 'fill': 0.0}
        """
        return self._spec.with_defaults(dict(self.args))

    @property
    def kind(self) -> str:
        """``"geometric"`` (moves pixels; targets follow), ``"photometric"`` or ``"text"``."""
        return self._spec.kind

    @property
    def random(self) -> bool:
        """Whether applying this TF draws from an ``rng``."""
        return self._spec.random

    def __call__(self, img: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """Apply to a numpy image; ``rng`` is required for TFs with a random part.

        A geometric TF builds its warp for the image's shape and applies it (the warp keeps
        shape, dtype and range); a photometric TF's output is checked.

        Raises
        ------
        TFOutputError
            If the op returns anything but an image of the input's shape and dtype (float
            images: finite, in [0, 1]), so that a faulty user op is named where it fails,
            not three steps later in a stack or a loss.
        """
        if self.kind == "geometric":
            check_image(img)
            return self.warp(img.shape, rng).apply(img)
        out = self._spec.fn(img, **dict(self.args), **self._rng_kwargs(rng))
        if self.kind == "text":
            return _check_same_type(self, img, out)
        return _check_output(self, img, out)

    def warp(self, shape: tuple[int, ...], rng: np.random.Generator | None = None) -> Warp:
        """The warp a geometric TF applies to images of ``shape`` (H, W (, C)).

        Examples
        --------
        >>> TF("hflip").warp((2, 4)).matrix.tolist()
        [[-1.0, 0.0, 3.0], [0.0, 1.0, 0.0]]
        """
        if self.kind != "geometric":
            raise TypeError(f"{self!r} is photometric: it has no warp")
        if not isinstance(shape, tuple | list) or len(shape) < 2:
            raise TypeError(f"shape must be a tuple (H, W) or (H, W, C), got {shape!r:.80}")
        warp = self._spec.fn(tuple(shape[:2]), **dict(self.args), **self._rng_kwargs(rng))
        if not isinstance(warp, AffineWarp | DenseWarp):
            raise TypeError(
                f"geometric op {self.op!r} must return an AffineWarp or DenseWarp, "
                f"got {type(warp).__name__}"
            )
        return warp

    def _rng_kwargs(self, rng: np.random.Generator | None) -> dict:
        if not self.random:
            return {}
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"{self!r} has a random part: pass rng=numpy.random.Generator")
        return {"rng": rng}

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``{"op": name, "args": {...}}``."""
        return {"op": self.op, "args": dict(self.args)}

    @classmethod
    def from_dict(cls, spec: Any) -> TF:
        """Build from :meth:`to_dict` output; anything else raises a clear error."""
        if not isinstance(spec, dict) or set(spec) - {"op", "args"} or "op" not in spec:
            raise ValueError(f"a TF spec is a dict {{'op': str, 'args': dict}}, got {spec!r:.200}")
        args = spec.get("args", {})
        if not isinstance(spec["op"], str) or not isinstance(args, dict):
            raise ValueError(f"a TF spec is a dict {{'op': str, 'args': dict}}, got {spec!r:.200}")
        return cls(spec["op"], **args)

    def __repr__(self) -> str:
        return f"{self.op}({', '.join(f'{k}={v!r}' for k, v in self.args)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TF) and (self.op, self.args) == (other.op, other.args)

    def __hash__(self) -> int:
        return hash((self.op, self.args))


class TFLibrary(Sequence[TF]):
    """An ordered, immutable list of TFs: the action space a generator samples from.

    Parameters
    ----------
    tfs
        TFs, or specs (dicts) that :meth:`TF.from_dict` accepts.

    Examples
    --------
    >>> lib = TFLibrary([TF("hflip"), TF("rotate", degrees=5)])
    >>> lib.names
    ['hflip()', 'rotate(degrees=5)']
    >>> (lib + [TF("invert")]).names[-1]
    'invert()'
    """

    def __init__(self, tfs: Iterable[TF | dict]) -> None:
        items = tuple(tf if isinstance(tf, TF) else TF.from_dict(tf) for tf in tfs)
        if not items:
            raise ValueError("a TFLibrary needs at least one TF")
        dupes = _repeated(items)
        if dupes:
            raise ValueError(f"a TFLibrary lists each TF once; repeated: {dupes}")
        kinds = {tf.kind == "text" for tf in items}
        if len(kinds) > 1:
            text = [repr(tf) for tf in items if tf.kind == "text"][:3]
            raise ValueError(f"a TFLibrary holds image TFs or text TFs, not both; text TFs "
                             f"here: {text}{' ...' if len(text) == 3 else ''}")
        self._tfs = items
        self._modality = "text" if kinds == {True} else "image"

    @classmethod
    def pack(cls, name: str) -> TFLibrary:
        """A built-in pack: ``"mnist"``, ``"cifar10"``, ``"mammography"``, ``"wide"`` or
        ``"randaugment"``."""
        if name not in PACKS:
            raise KeyError(f"unknown TF pack {name!r}; available packs: {sorted(PACKS)}")
        return cls(PACKS[name]())

    @classmethod
    def coerce(cls, tfs: str | TFLibrary | Iterable[TF | dict]) -> TFLibrary:
        """A library from a pack name, a library, or a list of TFs or specs."""
        if isinstance(tfs, TFLibrary):
            return tfs
        if isinstance(tfs, str):
            return cls.pack(tfs)
        return cls(tfs)

    def to_spec(self) -> list[dict[str, Any]]:
        """Plain data: a list of :meth:`TF.to_dict` dicts."""
        return [tf.to_dict() for tf in self._tfs]

    @classmethod
    def from_spec(cls, spec: Any) -> TFLibrary:
        """Rebuild from :meth:`to_spec` output."""
        if not isinstance(spec, list):
            raise ValueError(f"a TFLibrary spec is a list of TF specs, got {type(spec).__name__}")
        return cls(spec)

    @property
    def modality(self) -> str:
        """``"text"`` when its TFs edit sentences (kind ``"text"``), else ``"image"``.

        Examples
        --------
        >>> TFLibrary.pack("mnist").modality
        'image'
        """
        return self._modality

    @property
    def names(self) -> list[str]:
        """Readable names, one per TF, in order."""
        return [repr(tf) for tf in self._tfs]

    def __len__(self) -> int:
        return len(self._tfs)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return TFLibrary(self._tfs[index])
        return self._tfs[index]

    def __iter__(self) -> Iterator[TF]:
        return iter(self._tfs)

    def __add__(self, other: Iterable[TF | dict]) -> TFLibrary:
        return TFLibrary((*self._tfs, *TFLibrary.coerce(other)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TFLibrary) and self._tfs == other._tfs

    def __hash__(self) -> int:
        return hash(self._tfs)

    def __repr__(self) -> str:
        return f"TFLibrary([{', '.join(self.names)}])"


def _repeated(items: Sequence[TF]) -> list[str]:
    """Names of the TFs listed more than once, sorted; one pass (a set), not O(n^2)."""
    seen: set[TF] = set()
    repeated: set[str] = set()
    for tf in items:
        if tf in seen:
            repeated.add(repr(tf))
        seen.add(tf)
    return sorted(repeated)


def available_packs() -> list[str]:
    """Names of the built-in TF packs."""
    return sorted(PACKS)


# --- built-in packs -------------------------------------------------------------------------


def _signed_values(magnitudes: tuple[float, ...]) -> list[float]:
    return sorted({s * m for m in magnitudes for s in (-1.0, 1.0)})


def _signed(op: str, arg: str, magnitudes: tuple[float, ...]) -> list[TF]:
    return [TF(op, **{arg: v}) for v in _signed_values(magnitudes)]


def _each(op: str, arg: str, values: tuple[float, ...], **fixed) -> list[TF]:
    return [TF(op, **{arg: v}, **fixed) for v in values]


def mnist_pack() -> list[TF]:
    """The paper's 25 MNIST TFs (rotate, zoom, shear, swirl, elastic, erosion, dilation)."""
    return [
        *_signed("rotate", "degrees", (2.5, 5.0, 10.0)),
        *_each("zoom", "factor", (0.9, 1.1)),
        *_signed("shear", "factor", (0.1, 0.2, 0.4)),
        *_signed("swirl", "strength", (0.1, 0.2, 0.4)),
        *_each("elastic", "alpha", (1.0, 1.25, 1.5), sigma=1.0),
        TF("erosion", size=3),
        TF("dilation", size=3),
    ]


def cifar10_pack() -> list[TF]:
    """The paper's 33 CIFAR-10 TFs (geometric, hue, contrast, brightness, colour, flip)."""
    enhance = (0.5, 0.75, 1.25, 1.5)
    return [
        *_signed("rotate", "degrees", (2.5, 5.0)),
        *_each("zoom", "factor", (0.75, 0.9, 1.1, 1.25)),
        *_signed("shear", "factor", (0.1, 0.25)),
        *_signed("swirl", "strength", (0.1, 0.25)),
        *_signed("hue_shift", "shift", (0.1, 0.25)),
        *_each("contrast", "factor", enhance),
        *_each("brightness", "factor", enhance),
        *_each("saturation", "factor", enhance),
        TF("hflip"),
    ]


def mammography_pack() -> list[TF]:
    """Generic TFs that keep a grayscale mammogram plausible (no colour ops).

    Small rotations and shears (breast positioning varies by a few degrees), mild zoom
    (compression and magnification), left-right flips (left and right breasts are mirror
    images; up-down is not, so no vflip), mild elastic deformation (tissue compression),
    and mild contrast, brightness and gamma changes, blur and sharpening (exposure and
    processing differ between machines), plus faint noise (quantum noise).
    """
    return [
        *_signed("rotate", "degrees", (2.5, 5.0, 10.0)),
        *_each("zoom", "factor", (0.9, 1.1)),
        *_signed("shear", "factor", (0.1, 0.2)),
        TF("hflip"),
        *_each("elastic", "alpha", (100.0, 200.0), sigma=8.0),  # ~2 and ~4 px RMS, smooth
        *_each("contrast", "factor", (0.8, 1.2)),
        *_each("brightness", "factor", (0.9, 1.1)),
        *_each("gamma", "gamma", (0.8, 1.25)),
        TF("gaussian_blur", sigma=1.0),
        TF("sharpen", factor=1.5),
        TF("gaussian_noise", std=0.01),
    ]


def misspecified_tfs() -> list[TF]:
    """TFs that plainly destroy realism, for the paper's misspecification experiment."""
    return [
        TF("invert"),
        TF("brightness", factor=0.25),
        TF("gaussian_noise", std=0.5),
        TF("zoom", factor=3.0),
        TF("rotate", degrees=180.0),
    ]


# TrivialAugment-Wide and RandAugment (torchvision.transforms.v2._auto_augment) in bins. Their
# enhance ops blend with factor 1 + m (PIL ImageEnhance: brightness, colour = saturation,
# contrast, sharpness = sharpen); shear and rotate take their magnitudes as they are; translate
# is a fraction of the size here (TA-Wide's 32 px read on the 32 px images it was tuned on).


def _bin_centres(maximum: float, n: int = 3) -> tuple[float, ...]:
    """Centres of ``n`` equal bins of ``[0, maximum]``: uniform over them has TA's mean."""
    return tuple(round(maximum * (2 * k + 1) / (2 * n), 4) for k in range(n))


def _auto_augment_ops(shear, translate, rotate, enhance, bits, thresholds) -> list[TF]:
    """The ops TA-Wide and RandAugment share, at the given magnitudes (before signs)."""
    return [
        TF("identity"),
        *[TF("shear", factor=v, axis=axis) for axis in "xy" for v in _signed_values(shear)],
        *[TF("translate", **{arg: v}) for arg in ("dx", "dy") for v in _signed_values(translate)],
        *_signed("rotate", "degrees", rotate),
        *[TF(op, factor=round(1 + v, 4))
          for op in ("brightness", "saturation", "contrast", "sharpen")
          for v in _signed_values(enhance)],
        *_each("posterize", "bits", bits),
        *_each("solarize", "threshold", thresholds),
        TF("autocontrast"),
        TF("equalize"),
    ]


def wide_pack() -> list[TF]:
    """TrivialAugment-Wide's 14 operations in magnitude bins: 69 TFs, any grey or colour image.

    Every op with a magnitude has 6 TFs: the centres of 3 equal bins of TA-Wide's range, both
    signs (shear 0.99, translate 1.0 of the size, rotate 135 degrees, enhance factors
    1 +- 0.99), posterize 2-7 bits and solarize at the centres of 6 bins of [0, 1]; identity,
    autocontrast and equalize are one TF each. Uniform over ops (see
    :func:`op_balanced_logits`) with L = 1 is TrivialAugment-Wide with 3 bins instead of 31.
    Colour (saturation) leaves grey images unchanged, as torchvision does.
    """
    return _auto_augment_ops(
        shear=_bin_centres(0.99), translate=_bin_centres(1.0), rotate=_bin_centres(135.0),
        enhance=_bin_centres(0.99), bits=(2, 3, 4, 5, 6, 7), thresholds=_bin_centres(1.0, 6),
    )


def randaugment_pack(magnitudes: Sequence[int] = (5, 9, 15)) -> list[TF]:
    """RandAugment's 14 operations at torchvision's magnitudes M (of 30; by default 5, 9 and
    15: 62 TFs).

    Shear 0.3 M / 30, translate 150/331 M / 30 of the size, rotate M degrees, enhance factors
    1 +- 0.9 M / 30, both signs; posterize 8 - round(M / 7.5) bits, solarize at 1 - M / 30;
    identity, autocontrast and equalize. ``magnitudes`` picks the levels, e.g. the M that
    RandAugment's own tuning chose on your data, so that learning filters the operations at it.

    Examples
    --------
    >>> len(randaugment_pack()), len(randaugment_pack(magnitudes=(5,)))
    (62, 23)
    >>> randaugment_pack(magnitudes=(31,))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: randaugment_pack: magnitudes must be distinct integers in 1..30 ... got (31,)
    """
    levels = _checked_magnitudes(magnitudes)
    return _auto_augment_ops(
        shear=tuple(round(0.3 * m / 30, 4) for m in levels),
        translate=tuple(round(150 / 331 * m / 30, 4) for m in levels),
        rotate=tuple(float(m) for m in levels),
        enhance=tuple(round(0.9 * m / 30, 4) for m in levels),
        bits=tuple(sorted({8 - round(m / 7.5) for m in levels})),
        thresholds=tuple(round(1 - m / 30, 4) for m in levels),
    )


def _checked_magnitudes(magnitudes: Sequence[int]) -> tuple[int, ...]:
    levels = tuple(magnitudes)
    try:
        checked = tuple(check_int(m, "magnitude", low=1, high=30) for m in levels)
    except (TypeError, ValueError):
        checked = ()
    if not checked or len(set(checked)) != len(checked):
        raise ValueError("randaugment_pack: magnitudes must be distinct integers in 1..30 "
                         f"(torchvision's M of 31 bins, 0 being the identity), got {levels!r}")
    return checked


def op_balanced_logits(library: Iterable[TF]) -> list[float]:
    """Mean-field logits that draw every op family equally, then its TFs equally.

    A family is an op with the names of its arguments and its string arguments
    (``shear(axis="x")``, ``translate(dx=...)``), so ``MeanFieldSampler(K, logits=...)``
    over :func:`wide_pack` is TrivialAugment-Wide in magnitude bins: each of its 14 ops
    with probability 1/14.

    Examples
    --------
    >>> import math
    >>> logits = op_balanced_logits(wide_pack())
    >>> weights = [math.exp(v) for v in logits]
    >>> round(weights[0] / sum(weights), 4), round(1 / 14, 4)  # identity
    (0.0714, 0.0714)
    """
    keys = [_family(tf) for tf in library]
    counts = Counter(keys)
    return [-math.log(counts[key]) for key in keys]


def _family(tf: TF) -> tuple:
    return tf.op, tuple(name for name, _ in tf.args), tuple(
        value for _, value in tf.args if isinstance(value, str))


PACKS: dict[str, Callable[[], list[TF]]] = {
    "mnist": mnist_pack,
    "cifar10": cifar10_pack,
    "mammography": mammography_pack,
    "wide": wide_pack,
    "randaugment": randaugment_pack,
}
