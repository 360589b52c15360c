"""The op registry: one table from op name to the function that applies it.

A registered op is a function ``op(img, **args) -> img`` on a numpy image (see
:mod:`tanda_transforms.functional`). Ops that need randomness (elastic deformation, noise,
a cutout at a random place) also take a keyword ``rng: numpy.random.Generator``; the policy
passes one seeded from its own generator, so nothing reads a global random state.

Each op has a kind:

- ``"geometric"``: moves pixels. The registered function is a *warp builder*
  ``op(shape, **args) -> warp``: given the image's ``(H, W)`` it returns the
  :class:`~tanda_transforms.functional.AffineWarp` or
  :class:`~tanda_transforms.functional.DenseWarp` that moves the pixels. A policy composes
  consecutive warps into one and resamples once (see :mod:`tanda_transforms.sequence`), and
  masks, boxes and keypoints follow the same warps.
- ``"photometric"``: ``op(img, **args) -> img`` changes values only; targets stay as they are.
- ``"text"``: ``op(tokens, **args) -> tokens`` edits a sentence, a
  :class:`~tanda_transforms.text.Tokens` (words, the spaces after them, protected spans); an
  op that cannot act returns its input unchanged (see :mod:`tanda_transforms.text`).

Each argument may declare its bounds (``register_op(..., bounds={"degrees": (-360, 360)})``):
a closed range ``(low, high)`` for numbers, or a tuple of allowed strings. A :class:`TF` built
in code or read from a policy file with an argument outside them is refused with a
``ValueError`` naming the TF, the argument and the range. Bounds are how an op promises that
every TF it accepts is meaningful and costs a bounded time and memory on any image: a policy
file is data from elsewhere, and ``shear(factor=1e300)`` must not hang a training job.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms.registry import register_op, get_op
>>> @register_op("halve", kind="photometric")
... def halve(img):
...     return (img // 2).astype(img.dtype)
>>> get_op("halve").fn(np.full((2, 2), 8, np.uint8)).tolist()
[[4, 4], [4, 4]]
"""

from __future__ import annotations

import functools
import inspect
import math
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ArgBound",
    "OpSpec",
    "register_op",
    "get_op",
    "available_ops",
    "UnknownOpError",
]

_KINDS = ("geometric", "photometric", "text")


class UnknownOpError(KeyError):
    """Raised when a TF names an op that is not registered."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0])


@dataclass(frozen=True)
class ArgBound:
    """The values one op argument accepts: a closed range of numbers or a set of strings.

    Parameters
    ----------
    low, high
        Inclusive range for a numeric argument (``None`` for a string argument).
    choices
        Allowed strings for a string argument (``None`` for a numeric one).

    Examples
    --------
    >>> ArgBound.coerce((-1, 1)).describe(), ArgBound.coerce(("x", "y")).describe()
    ('in [-1, 1]', "one of ('x', 'y')")
    """

    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None

    @classmethod
    def coerce(cls, bound: Any) -> ArgBound:
        """An ``ArgBound`` from ``(low, high)`` numbers or a tuple of strings."""
        if isinstance(bound, ArgBound):
            return bound
        if isinstance(bound, tuple) and bound and all(isinstance(v, str) for v in bound):
            return cls(choices=bound)
        if isinstance(bound, tuple) and len(bound) == 2 and all(_is_real(v) for v in bound):
            low, high = bound
            if math.isfinite(low) and math.isfinite(high) and low <= high:
                return cls(low=low, high=high)
        raise TypeError(
            f"a bound is (low, high) with finite low <= high or a tuple of strings, got {bound!r}"
        )

    def contains(self, value: Any) -> bool:
        """Whether ``value`` lies within the bound."""
        if self.choices is not None:
            return value in self.choices
        return _is_real(value) and self.low <= value <= self.high

    def describe(self) -> str:
        """The bound as the error messages print it."""
        if self.choices is not None:
            return f"one of {self.choices}"
        return f"in [{self.low}, {self.high}]"


Bounds = Mapping[str, tuple | ArgBound]


def _is_real(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class OpSpec:
    """A registered op: its name, function, kind, whether it takes ``rng``, its bounds.

    For a geometric op ``fn`` builds a warp from a shape; for a photometric op it maps an
    image to an image.
    """

    name: str
    fn: Callable
    kind: str
    random: bool
    bounds: Mapping[str, ArgBound] = field(default_factory=dict)
    file_check: Callable[[Mapping[str, Any]], None] | None = None
    #: optional batched torch kernel: a photometric op's ``PhotometricKernel`` or a random
    #: geometric op's ``WarpKernel`` (see ``register_op``)
    batched: Any = None

    def check_from_file(self, args: Mapping[str, Any]) -> None:
        """Raise ValueError if a TF read from a file may not hold ``args`` (see register_op)."""
        if self.file_check is not None:
            self.file_check(args)

    def check_bounds(self, args: Mapping[str, Any]) -> None:
        """Raise ValueError, naming the TF, argument and range, if an argument is outside."""
        for name, value in args.items():
            bound = self.bounds.get(name)
            if bound is None or value is None or bound.contains(value):
                continue
            shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:37]}..."
            raise ValueError(
                f"TF {self.name}: argument {name!r} must be {bound.describe()}, got {shown}"
            )

    @property
    def parameters(self) -> dict[str, inspect.Parameter]:
        """The op's arguments after the image or shape (and without ``rng``)."""
        return _op_parameters(self.fn)

    def with_defaults(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """Every argument the op receives for ``args``: the op's defaults, then ``args``.

        What a batched kernel is given (its ``args``), as the per-image function would see
        them.

        Examples
        --------
        >>> get_op("cutout").with_defaults({"size": 0.5})
        {'size': 0.5, 'fill': 0.0}
        """
        defaults = {k: p.default for k, p in self.parameters.items() if p.default is not p.empty}
        return {**defaults, **args}


_REGISTRY: dict[str, OpSpec] = {}


@functools.cache
def _signature(fn: Callable) -> inspect.Signature:
    try:  # resolve string annotations (our modules use postponed evaluation)
        return inspect.signature(fn, eval_str=True)
    except (NameError, TypeError):
        return inspect.signature(fn)


def check_arg_type(op: str, param: inspect.Parameter, value: Any) -> None:
    """Raise TypeError when ``value`` does not fit the op's annotation for ``param``.

    Only plain annotations are checked (float, int, str, bool, unions with None); an op
    without annotations accepts any JSON scalar.
    """
    allowed = _allowed_types(param.annotation)
    if allowed is None or (value is None and param.default is None):
        return
    if isinstance(value, bool) and bool not in allowed:
        ok = False
    else:
        ok = isinstance(value, allowed)
    if not ok:
        names = "/".join(t.__name__ for t in allowed)
        raise TypeError(f"TF {op}: argument {param.name!r} must be {names}, got {value!r}")


def _allowed_types(annotation: Any) -> tuple[type, ...] | None:
    if annotation is inspect.Parameter.empty:
        return None
    args = typing.get_args(annotation) or (annotation,)
    simple = {
        float: (int, float),
        int: (int,),
        str: (str,),
        bool: (bool,),
        type(None): (type(None),),
    }
    if not all(a in simple for a in args):
        return None
    return tuple(t for a in args for t in simple[a])


def register_op(
    name: str,
    *,
    kind: str,
    random: bool = False,
    replace: bool = False,
    bounds: Bounds | None = None,
    file_check: Callable[[Mapping[str, Any]], None] | None = None,
    batched: Any = None,
) -> Callable[[Callable], Callable]:
    """Register ``fn`` under ``name`` so TFs and policy files can name it.

    Parameters
    ----------
    name
        The op name used in TF specs (``"rotate"``).
    kind
        ``"geometric"`` (``fn(shape, **args)`` returns a warp), ``"photometric"``
        (``fn(img, **args)`` returns an image) or ``"text"`` (``fn(tokens, **args)`` returns
        tokens).
    random
        Whether the op takes a keyword ``rng`` (a ``numpy.random.Generator``).
    replace
        Allow replacing an op already registered under ``name``.
    bounds
        For some or all arguments, the values a TF may give them: ``(low, high)``
        (inclusive) for numbers, a tuple of strings for a choice. Arguments without a bound
        accept any value of their annotated type; declare one for every argument whose
        meaning or cost grows without limit (a size, a displacement, a filter width).
    file_check
        Called with the arguments of every TF of this op read from a policy file or a
        serialised pipeline (not with TFs built in code); raises ``ValueError`` for values
        only the program itself may give, such as a path on this machine (a lesion pool
        file: a policy file may only name registered pools).
    batched
        Optional torch kernel that :meth:`TANDAPolicy.batched
        <tanda_transforms.TANDAPolicy.batched>` calls on whole groups of samples:

        - photometric ops: a :class:`~tanda_transforms.ops.kernel.PhotometricKernel`
          (or its ``apply`` function alone, for ops without a random part); without one,
          ``batched()`` applies the op per sample with numpy (with a warning);
        - random geometric ops: a :class:`~tanda_transforms.ops.kernel.WarpKernel`,
          ``draw`` then ``warps`` for all samples at once; without one, ``batched()``
          builds the op's numpy warp per sample. Geometric ops without a random part need
          none: their warps are built once per image size from ``fn``.

        A random op whose ``draw`` also accepts a ``numpy.random.Generator`` (with the
        helpers of :mod:`tanda_transforms.ops.draw`) can call it from ``fn`` too, so the
        per-image and the batched path draw with one function (see
        :mod:`tanda_transforms.ops.geometric`'s ``pad_and_crop``).

    Raises
    ------
    TypeError
        If a bound names no argument of the op, is malformed, or excludes the default.

    Examples
    --------
    >>> @register_op("doc_darken", kind="photometric", bounds={"amount": (0.0, 1.0)})
    ... def doc_darken(img, amount: float = 0.5):
    ...     return (img * (1 - amount)).astype(img.dtype)
    >>> get_op("doc_darken").check_bounds({"amount": 2.0})
    Traceback (most recent call last):
    ...
    ValueError: TF doc_darken: argument 'amount' must be in [0.0, 1.0], got 2.0
    >>> _ = _REGISTRY.pop("doc_darken")
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"op name must be a Python identifier, got {name!r}")

    def decorator(fn: Callable) -> Callable:
        if name in _REGISTRY and not replace:
            raise ValueError(f"op {name!r} is already registered; pass replace=True")
        params = inspect.signature(fn).parameters
        if random and "rng" not in params:
            raise TypeError(f"random op {name!r} must take a keyword argument 'rng'")
        if kind == "geometric" and next(iter(params), None) != "shape":
            raise TypeError(
                f"geometric op {name!r} must be a warp builder whose first argument is "
                "'shape' (H, W) and which returns an AffineWarp or DenseWarp"
            )
        checked = _checked_bounds(name, _op_parameters(fn), bounds)
        _REGISTRY[name] = OpSpec(
            name=name, fn=fn, kind=kind, random=random, bounds=checked, file_check=file_check,
            batched=_checked_kernel(name, kind, random, batched),
        )
        return fn

    return decorator


def _checked_kernel(name: str, kind: str, random: bool, batched: Any) -> Any:
    """Check a batched kernel: an object with ``apply`` (and ``draw`` for random ops), or a
    function, for photometric ops; an object with ``draw`` and ``warps`` for random
    geometric ops."""
    if batched is None:
        return None
    if kind == "geometric" and random:
        if not all(callable(getattr(batched, part, None)) for part in ("draw", "warps")):
            raise TypeError(f"op {name!r}: the batched kernel of a random geometric op is a "
                            f"WarpKernel (draw and warps), got {type(batched).__name__}")
        return batched
    if kind != "photometric":
        raise TypeError(f"op {name!r}: only photometric ops and random geometric ops take a "
                        "batched kernel (other geometric ops are batched through their warps)")
    apply = getattr(batched, "apply", batched)
    if not callable(apply):
        raise TypeError(f"op {name!r}: batched must be a PhotometricKernel or a function, "
                        f"got {type(batched).__name__}")
    if random and getattr(batched, "draw", None) is None:
        raise TypeError(f"op {name!r} has a random part: its batched kernel needs a draw")
    return batched


def _op_parameters(fn: Callable) -> dict[str, inspect.Parameter]:
    params = list(_signature(fn).parameters.values())[1:]
    return {p.name: p for p in params if p.name != "rng"}


def _checked_bounds(
    op: str, params: Mapping[str, inspect.Parameter], bounds: Bounds | None
) -> dict[str, ArgBound]:
    """Validated bounds: each names an argument of the op and contains its default."""
    checked = {}
    for arg, bound in (bounds or {}).items():
        if arg not in params:
            raise TypeError(f"op {op!r}: bound for unknown argument {arg!r}")
        checked[arg] = ArgBound.coerce(bound)
        default = params[arg].default
        if default not in (inspect.Parameter.empty, None) and not checked[arg].contains(default):
            raise TypeError(
                f"op {op!r}: default {arg}={default!r} is outside its bound "
                f"{checked[arg].describe()}"
            )
    return checked


def get_op(name: str) -> OpSpec:
    """The registered op called ``name``; an unknown name lists the known ones."""
    _ensure_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownOpError(f"unknown op {name!r}; known ops: {known}") from None


def available_ops() -> list[str]:
    """Names of every registered op, sorted."""
    _ensure_builtins()
    return sorted(_REGISTRY)


#: Imports the modules whose ops register themselves on import (the built-in table and the
#: domains). ``tanda_transforms/__init__`` installs it, so this module imports none of the
#: modules that import it; it runs once, on the first lookup, so a policy file may name a
#: domain TF without the user importing ``tanda_transforms.domains`` first.
_builtin_loader: Callable[[], None] | None = None
_builtins_loaded = False


def set_builtin_loader(loader: Callable[[], None]) -> None:
    """Install the function that imports the self-registering op modules (run on first use)."""
    global _builtin_loader, _builtins_loaded
    _builtin_loader, _builtins_loaded = loader, False


def _ensure_builtins() -> None:
    global _builtins_loaded
    if not _builtins_loaded and _builtin_loader is not None:
        _builtin_loader()
        _builtins_loaded = True
