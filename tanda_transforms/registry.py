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

Examples
--------
>>> import numpy as np
>>> from tanda_transforms.registry import register_op, get_op
>>> @register_op("halve", kind="photometric")
... def halve(img):
...     return (img // 2).astype(img.dtype)
>>> get_op("halve").fn(np.full((2, 2), 8, np.uint8))[0, 0]
np.uint8(4)
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["OpSpec", "register_op", "get_op", "available_ops", "UnknownOpError"]

_KINDS = ("geometric", "photometric")


class UnknownOpError(KeyError):
    """Raised when a TF names an op that is not registered."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0])


@dataclass(frozen=True)
class OpSpec:
    """A registered op: its name, function, kind and whether it takes ``rng``.

    For a geometric op ``fn`` builds a warp from a shape; for a photometric op it maps an
    image to an image.
    """

    name: str
    fn: Callable
    kind: str
    random: bool

    @property
    def parameters(self) -> dict[str, inspect.Parameter]:
        """The op's arguments after the image or shape (and without ``rng``)."""
        params = list(_signature(self.fn).parameters.values())[1:]
        return {p.name: p for p in params if p.name != "rng"}


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
    name: str, *, kind: str, random: bool = False, replace: bool = False
) -> Callable[[Callable], Callable]:
    """Register ``fn`` under ``name`` so TFs and policy files can name it.

    Parameters
    ----------
    name
        The op name used in TF specs (``"rotate"``).
    kind
        ``"geometric"`` (``fn(shape, **args)`` returns a warp) or ``"photometric"``
        (``fn(img, **args)`` returns an image).
    random
        Whether the op takes a keyword ``rng`` (a ``numpy.random.Generator``).
    replace
        Allow replacing an op already registered under ``name``.
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
        _REGISTRY[name] = OpSpec(name=name, fn=fn, kind=kind, random=random)
        return fn

    return decorator


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


def _ensure_builtins() -> None:
    # The built-in and domain tables register themselves on import; importing here (not at
    # module level) avoids a cycle, and lets a policy file name a domain TF without the user
    # importing tanda_transforms.domains first.
    from tanda_transforms import domains, ops  # noqa: F401
