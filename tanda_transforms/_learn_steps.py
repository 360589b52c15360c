"""Small pieces of a learning step: tensors from images, history entries, checks.

Split from :mod:`tanda_transforms.learn` (which keeps the learner and its loop) to keep that
module short.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from tanda_transforms._learn_states import state_at, to_unit_range

__all__ = [
    "Clock", "Walk", "append_entry", "check_finite", "discounted_cost_to_go", "eval_mode",
    "spare_like", "standardise", "standardised_distance", "standardised_distances",
    "to_unit_tensor", "to_zero_one_tensor",
]


def to_unit_tensor(images: list[np.ndarray] | np.ndarray, scale: float) -> torch.Tensor:
    """N images (H x W or H x W x C, one dtype) -> float N x C x H x W in [-1, 1]."""
    return to_unit_range(_channels_first(images).to(torch.float32, copy=True), scale)


def to_zero_one_tensor(images: np.ndarray, scale: float) -> torch.Tensor:
    """N images (H x W or H x W x C) -> float N x C x H x W in [0, 1] (``/ scale``: each
    integer level exactly ``k / scale``, as the batched renderer rounds to)."""
    return _channels_first(images).float() / scale


def _channels_first(images: list[np.ndarray] | np.ndarray) -> torch.Tensor:
    batch = np.stack(images) if isinstance(images, list) else images
    if batch.ndim == 3:
        batch = batch[..., None]
    return torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2)


def standardise(x: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
    """Each item of ``x`` (over every axis but the first) to mean 0 and sample std 1, in
    ``out`` when given (a tensor of ``x``'s shape and memory layout; else new memory).

    Any memory layout (channels-last included) is kept, not copied to flatten it; the std is
    taken in two passes (``torch.std_mean``'s one-pass kernel was 20x slower than a mean on
    CPUs).

    Examples
    --------
    >>> standardise(torch.tensor([[0.0, 1.0, 2.0]])).round(decimals=4).tolist()
    [[-1.0, 0.0, 1.0]]
    """
    centred, std = _centred_and_std(x, out)
    return centred.div_(std)


def _centred_and_std(x: torch.Tensor, out: torch.Tensor | None) -> tuple[torch.Tensor,
                                                                          torch.Tensor]:
    """``x`` less each item's mean (in ``out``), and each item's std plus 1e-6."""
    dims = tuple(range(1, x.dim()))
    centred = torch.sub(x, x.mean(dims, keepdim=True), out=out)
    count = centred[0].numel() if len(x) else 1
    std = torch.linalg.vector_norm(centred, dim=dims, keepdim=True) / math.sqrt(count - 1)
    return centred, std + 1e-6


def standardised_distance(first: torch.Tensor, x_t: torch.Tensor,
                          scratch: torch.Tensor | None = None) -> torch.Tensor:
    """``d(x_0, x_t)`` of each item: the mean squared difference of the standardised ``x_t``
    and ``first``, the standardised ``x_0`` (:func:`standardise`; ``scratch``: memory for
    the standardised ``x_t``, as :func:`standardise`'s ``out``).

    ``first - centred / std`` in one pass, squared: the same numbers as
    ``(standardise(x_t) - first) ** 2`` (a negation is exact), in two passes fewer.
    """
    dims = tuple(range(1, first.dim()))
    centred, std = _centred_and_std(x_t, scratch)
    return torch.addcdiv(first, centred, std, value=-1.0, out=centred).square_().mean(dims)


def standardised_distances(states: Any, space: Callable[[torch.Tensor], torch.Tensor] | None
                           = None) -> torch.Tensor:
    """``d(x_0, x_t)`` for t >= 1 (:func:`standardised_distance`): states ``[L + 1, M, ...]``
    (a tensor, or any states of :mod:`tanda_transforms._learn_states`) -> ``[L, M]``,
    measured in ``space(x_t)`` when given (e.g. D's features), else in ``x_t`` itself.

    One ``t`` at a time: a standardised copy of all ``L + 1`` states at once, as large as the
    roll-out (1 GB for 160 sequences of 224 x 224 RGB images at L = 10), cost more than D.

    Examples
    --------
    >>> x0 = torch.tensor([[0.0, 1.0, 2.0]])
    >>> (3 * standardised_distances(torch.stack([x0, 2 * x0 + 1, -x0]))).round().tolist()
    [[0.0], [8.0]]
    """
    space = space or (lambda x: x)
    first = standardise(space(state_at(states, 0)))
    x_t, scratch, out = None, None, []
    for t in range(1, len(states)):
        x_t = state_at(states, t, reuse=x_t)
        point = space(x_t)
        scratch = torch.empty_like(point) if scratch is None else scratch
        out.append(standardised_distance(first, point, scratch))
    return torch.stack(out) if out else first.new_zeros(0, len(first))


class Walk:
    """What one pass over a step's states gives (the learner's ``_walk``): ``x_0``, ``x_L``,
    D's logits of ``x_1 .. x_(L-1)`` ``[L - 1, M]``, the distances ``[L, M]`` (None: not
    measured in the pass)."""

    def __init__(self, first: torch.Tensor, steps: int, distances: bool) -> None:
        self.first, self.last = first, first
        self.middle = first.new_empty(max(steps - 2, 0), len(first), dtype=torch.float32)
        self.distances = (first.new_empty(steps - 1, len(first), dtype=torch.float32)
                          if distances else None)


def spare_like(spare: dict[str, torch.Tensor], name: str, like: torch.Tensor) -> torch.Tensor:
    """``spare[name]`` when it has ``like``'s shape, dtype, device and strides, else new
    memory kept there: float buffers of the walk over a step's states, reused step after step
    (fresh pages for ~100 MB of a 224 px step's ``x_t`` cost more than filling them)."""
    kept = spare.get(name)
    if (kept is None or kept.shape != like.shape or kept.dtype != like.dtype
            or kept.device != like.device or kept.stride() != like.stride()):
        kept = spare[name] = torch.empty_like(like)
    return kept


class Clock:
    """``with clock(part):`` adds the seconds of the block to ``timing[part]``."""

    def __init__(self, timing: dict[str, float]) -> None:
        self.timing = timing

    @contextlib.contextmanager
    def __call__(self, part: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timing[part] += time.perf_counter() - started


@contextlib.contextmanager
def eval_mode(module: nn.Module) -> Iterator[None]:
    """Eval mode for a probe (batch norm keeps its statistics), then each submodule's own."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training


def append_entry(history: dict[str, list], step: int, window: list[dict[str, Any]]) -> None:
    """Append the means of a window of steps' numbers to ``history`` as the entry of ``step``
    (every key of ``history`` but ``step`` and ``tf_freq`` is a number of each step)."""
    history["step"].append(step)
    for key in [k for k in history if k not in ("step", "tf_freq")]:
        history[key].append(float(np.mean([p[key] for p in window])))
    freq = np.mean([p["tf_freq"] for p in window], axis=0)
    history["tf_freq"].append([round(float(f), 5) for f in freq])


def check_finite(what: str, value: torch.Tensor, step: int) -> None:
    if not torch.isfinite(value):
        raise FloatingPointError(
            f"{what} became {float(value.detach())} at step {step}: the run is stopped before "
            "saving garbage. Lower the learning rates (d_lr, g_lr) or check the data for NaN."
        )


def discounted_cost_to_go(step_costs: torch.Tensor, gamma: float) -> torch.Tensor:
    """``R_t = sum_(k >= t) gamma^(k-t) r_k`` along the last axis.

    Examples
    --------
    >>> discounted_cost_to_go(torch.tensor([[1.0, 1.0, 1.0]]), 0.5).tolist()
    [[1.75, 1.5, 1.0]]
    """
    out = torch.empty_like(step_costs)
    running = torch.zeros_like(step_costs[..., 0])
    for t in range(step_costs.shape[-1] - 1, -1, -1):
        running = step_costs[..., t] + gamma * running
        out[..., t] = running
    return out
