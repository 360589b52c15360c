"""The contract of a photometric op's batched torch kernel (see :mod:`tanda_transforms.batched`).

A batched policy groups, at each step of the sampled sequences, the samples that drew the
same op, and calls that op's kernel once for the group:

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
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch

Tensor = torch.Tensor
ApplyFn = Callable[[Tensor, dict[str, Tensor], dict[str, Tensor], torch.dtype], Tensor]
DrawFn = Callable[
    [int, tuple[int, int, int], dict[str, Tensor], torch.Generator], dict[str, Tensor]
]


@dataclasses.dataclass(frozen=True)
class PhotometricKernel:
    """A photometric op's batched torch kernel: ``apply`` and, for random ops, ``draw``."""

    apply: ApplyFn
    draw: DrawFn | None = None
