"""The contracts of an op's batched torch kernel, which ``register_op(..., batched=...)`` takes.

A batched policy groups, at each step of the sampled sequences, the samples that drew the
same op (photometric) or the same TF (random geometric), and calls that op's kernel once for
the group. Built-in ops and user ops register their kernels alike (see
:mod:`tanda_transforms.ops`); :mod:`tanda_transforms.batched` re-exports both contracts.

**Photometric ops**: a :class:`PhotometricKernel`.

``kernel.apply(x, args, draws, dtype) -> Tensor``
    ``x`` is ``[n, C, H, W]`` float32 in [0, 1] on the batch's device (for integer input
    batches, multiples of ``1 / value_max(dtype)``: the renderer rounds to the input's levels
    after every stage, as the per-image path does); ``args`` maps each of the op's arguments
    to a float64 tensor ``[n]`` on that device, the value each sample's TF holds (the samples
    of a group may have drawn TFs with different arguments, e.g. ``brightness(0.5)`` and
    ``brightness(1.5)``; cast with ``.to(x.dtype)`` where float32 is enough); ``draws`` is what
    ``kernel.draw`` returned (``{}`` for ops without a random part); ``dtype`` is the input
    batch's dtype (``torch.uint8``, ``torch.uint16`` or ``torch.float32``), for ops whose
    meaning depends on it (posterize's bits). Returns a new ``[n, C, H, W]`` float32 tensor in
    [0, 1], the per-image op's result for each sample, as float (checked: anything else
    raises ``TypeError`` naming the op); it must not modify ``x``.

``kernel.draw(n, shape, args, generator) -> dict[str, Tensor]``
    Only for ops with a random part (``None`` otherwise): the random values the op needs for
    ``n`` samples of ``shape`` ``(C, H, W)``, drawn with ``generator`` (a ``torch.Generator``
    on the batch's device), as tensors on the generator's device. Kept apart from ``apply``
    so that tests can pass the draws the per-image path made from a numpy generator and
    compare the two paths exactly.

:meth:`PhotometricKernel.of` wraps a plain torch function ``fn(x, **args, **draws)`` in
this contract.

**Random geometric ops**: a :class:`WarpKernel`, parameters then transform (as kornia's
``forward_parameters`` / ``apply_transform``).

``kernel.draw(n, shape, args, generator) -> dict``
    The random values of ``n`` samples of images ``shape`` ``(H, W)``; ``args`` are the TF's
    arguments as Python values (:attr:`TF.arguments <tanda_transforms.TF.arguments>`: one TF
    per call). Written with :mod:`tanda_transforms.ops.draw`, the same function accepts a
    ``numpy.random.Generator`` and serves the per-image warp builder too.
``kernel.warps(draws, shape, args) -> AffineSteps | DenseSteps``
    The ``n`` warps on the draws' device: inverse matrices ``[n, 3, 3]`` (output pixel ->
    source pixel, :class:`~tanda_transforms.batched.geometric.AffineSteps`) or displacement
    fields ``[n, 2, H, W]`` (source = pixel + displacement,
    :class:`~tanda_transforms.batched.geometric.DenseSteps`).

Examples
--------
>>> import torch
>>> kernel = PhotometricKernel.of(lambda x, factor: (x * factor[:, None, None, None]).float())
>>> kernel.apply(torch.ones(2, 1, 1, 1), {"factor": torch.tensor([0.5, 1.0])}, {},
...              torch.float32).flatten().tolist()
[0.5, 1.0]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import torch

from tanda_transforms.ops._torch_common import check_batch, value_max

__all__ = ["PhotometricKernel", "WarpKernel", "check_batch", "value_max"]

Tensor = torch.Tensor
ApplyFn = Callable[[Tensor, dict[str, Tensor], dict[str, Tensor], torch.dtype], Tensor]
DrawFn = Callable[
    [int, tuple[int, int, int], dict[str, Tensor], torch.Generator], dict[str, Tensor]
]
WarpDrawFn = Callable[[int, tuple[int, int], dict[str, Any], Any], dict[str, Any]]
# returns AffineSteps | DenseSteps of tanda_transforms.batched.geometric (not imported here:
# batched imports this module)
WarpsFn = Callable[[dict[str, Any], tuple[int, int], dict[str, Any]], Any]


@dataclasses.dataclass(frozen=True)
class PhotometricKernel:
    """A photometric op's batched torch kernel: ``apply`` and, for random ops, ``draw``."""

    apply: ApplyFn
    draw: DrawFn | None = None
    returns_input: bool = False
    """The op leaves every image as it is (``identity``): a batched policy skips its
    samples (their pending warps still resampled first, as before any photometric op)
    instead of copying them through ``apply``."""

    @classmethod
    def of(cls, fn: Callable[..., Tensor], draw: DrawFn | None = None, *,
           takes_dtype: bool = False, returns_input: bool = False) -> PhotometricKernel:
        """The kernel that calls ``fn(x, **args, **draws)`` (``dtype=`` too with
        ``takes_dtype``), after checking ``x`` and ``dtype``; ``returns_input``: see the
        attribute.

        Examples
        --------
        >>> kernel = PhotometricKernel.of(lambda x: 1.0 - x)
        >>> kernel.apply(torch.zeros(1, 1, 1, 1), {}, {}, torch.uint8).item()
        1.0
        """

        def apply(x: Tensor, args: dict[str, Tensor], draws: dict[str, Tensor], dtype) -> Tensor:
            check_batch(x)
            value_max(dtype)
            extra = {"dtype": dtype} if takes_dtype else {}
            return fn(x, **args, **draws, **extra)

        name = getattr(fn, "__name__", "kernel")
        apply.__name__ = apply.__qualname__ = f"apply_{name}"
        apply.__doc__ = f"Batched ``{name}`` in the kernel contract."
        apply.fn = fn  # the torch function it calls
        return cls(apply, draw, returns_input)

    @classmethod
    def coerce(cls, kernel: Any) -> PhotometricKernel:
        """A kernel from what ``register_op(..., batched=...)`` took: a kernel, an object
        with ``apply`` (and ``draw``, ``returns_input``), or an ``apply`` function alone."""
        if isinstance(kernel, cls):
            return kernel
        return cls(getattr(kernel, "apply", kernel), getattr(kernel, "draw", None),
                   getattr(kernel, "returns_input", False) is True)


@dataclasses.dataclass(frozen=True)
class WarpKernel:
    """A random geometric op's batched kernel: ``draw`` its random values, then build the
    ``warps`` (see the module docstring).

    Examples
    --------
    A whole-pixel jitter, its one draw used by the per-image warp builder and the batch:

    >>> import numpy as np
    >>> from tanda_transforms import TF, register_op
    >>> from tanda_transforms.batched.geometric import random_warps, translations
    >>> from tanda_transforms.functional import AffineWarp
    >>> from tanda_transforms.ops import draw
    >>> def draw_jitter(n, shape, args, generator):
    ...     return {"shift": draw.integers(generator, -args["pixels"], args["pixels"] + 1, (n, 2))}
    >>> def jitter_warps(draws, shape, args):
    ...     return translations(draws["shift"][:, 0], draws["shift"][:, 1])
    >>> @register_op("doc_jitter", kind="geometric", random=True, bounds={"pixels": (0, 8)},
    ...              batched=WarpKernel(draw_jitter, jitter_warps))
    ... def jitter(shape, pixels: int = 1, *, rng):
    ...     dx, dy = draw_jitter(1, shape, {"pixels": pixels}, rng)["shift"][0].tolist()
    ...     return AffineWarp(np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]]), shape)
    >>> steps = random_warps(TF("doc_jitter", pixels=2), 64, (8, 8), torch.Generator(), "cpu")
    >>> steps.inverse.shape, bool(steps.inverse[:, :2, 2].abs().max() <= 2)
    (torch.Size([64, 3, 3]), True)
    >>> TF("doc_jitter").warp((8, 8), np.random.default_rng(0)).matrix.shape
    (2, 3)
    >>> from tanda_transforms.registry import _REGISTRY
    >>> _ = _REGISTRY.pop("doc_jitter")
    """

    draw: WarpDrawFn
    warps: WarpsFn
