"""A learning step's roll-out, held in the data's dtype and turned into D's input one ``x_t`` at
a time.

A roll-out holds every intermediate ``x_0 .. x_L`` of every sequence of a step. As float
tensors all at once it is ``L + 1`` float copies of the step's images (1 GB for 160 sequences
of 224 x 224 RGB images at L = 10, twice that while stacking them); the learner needs only a
few at a time (``x_0``, ``x_L`` and the current ``x_t``). So the per-image renderer writes the
states into one array in the data's own dtype (uint8 images: a quarter of float32), and
:class:`ImageStates` converts one ``x_t`` at a time when asked.

What :class:`~tanda_transforms.learn.Learner` reads from a roll-out ("states") is what a plain
tensor ``[L + 1, M, ...]`` also gives, so the batched renderer's float states and the text
path's token ids need no wrapper:

- ``len(states)``: ``L + 1``; ``states.shape``: ``(L + 1, M, ...)`` as D takes the items;
- ``states[t]``: ``x_t`` of all ``M`` sequences, ``states[t, rows]``: of some of them (a tensor
  of row indices), as D takes them (new memory);
- :func:`state_at` ``(states, t, reuse)``: ``states[t]``, converted into the memory of an
  ``x_t`` it returned before where it can (a loop over ``t`` then allocates once).

Examples
--------
>>> import numpy as np, torch
>>> raw = np.zeros((3, 2, 4, 4), np.uint8)   # L + 1 = 3 states of 2 grayscale 4 x 4 images
>>> raw[2] = 255
>>> states = ImageStates(raw, scale=255.0, device=torch.device("cpu"))
>>> len(states), tuple(states.shape), states[2].unique().tolist()
(3, (3, 2, 1, 4, 4), [1.0])
>>> x = state_at(states, 1)
>>> state_at(states, 0, reuse=x) is x, x.unique().tolist()
(True, [-1.0])
"""

from __future__ import annotations

import functools
from typing import Any

import cv2
import numpy as np
import torch

__all__ = ["ImageStates", "state_at", "to_unit_range"]


def state_at(states: Any, t: int, reuse: torch.Tensor | None = None) -> torch.Tensor:
    """``states[t]``; an :class:`ImageStates` converts it into ``reuse`` (a tensor that it
    returned for another ``t``, which is overwritten) instead of new memory."""
    into = getattr(states, "convert", None)
    return states[t] if into is None else into(t, reuse)


class ImageStates:
    """A roll-out of images in their own dtype: ``raw`` is ``[L + 1, M, H, W (, C)]``.

    ``states[t]`` is ``x_t`` as D takes it: float32 ``M x C x H x W`` in [-1, 1] on
    ``device``, channels-last in memory (a permuted view of the H x W x C pixels, so the
    conversion is one pass), exactly what
    :func:`~tanda_transforms._learn_steps.to_unit_tensor` makes of the same images.

    Parameters
    ----------
    raw
        The states, ``x_0`` first, of an integer dtype (uint8, uint16) or float32 in [0, 1].
    scale
        The dtype's largest value (255, 65535, 1.0).
    device
        Where the float states go (uint8 states travel there before they are converted).
    """

    def __init__(self, raw: np.ndarray, scale: float, device: torch.device) -> None:
        if raw.ndim not in (4, 5):
            raise ValueError(f"a roll-out of images is [L + 1, M, H, W (, C)], got shape "
                             f"{raw.shape}")
        if device.type == "cuda" and device.index is None:  # as tensors name it
            device = torch.device("cuda", torch.cuda.current_device())
        self.raw, self.scale, self.device = raw, scale, device

    def __len__(self) -> int:
        return len(self.raw)

    @property
    def shape(self) -> torch.Size:
        """``(L + 1, M, C, H, W)``: the shape of the states as D takes them."""
        steps, m, h, w = self.raw.shape[:4]
        channels = self.raw.shape[4] if self.raw.ndim == 5 else 1
        return torch.Size((steps, m, channels, h, w))

    def __getitem__(self, key: int | tuple[int, Any]) -> torch.Tensor:
        """``states[t]`` (every sequence) or ``states[t, rows]`` (the sequences ``rows``)."""
        if isinstance(key, tuple):
            t, rows = key
            if isinstance(rows, torch.Tensor):
                rows = rows.cpu().numpy()
            return self._convert(self.raw[t][rows], None)
        return self._convert(self.raw[key], None)

    def convert(self, t: int, reuse: torch.Tensor | None = None) -> torch.Tensor:
        """``states[t]``, written into ``reuse`` when it can take it (a float32 tensor of the
        same shape on the device, channels-last: one this object returned before, which is
        overwritten), else into new memory."""
        return self._convert(self.raw[t], reuse)

    def _convert(self, frames: np.ndarray, out: torch.Tensor | None) -> torch.Tensor:
        pixels = torch.from_numpy(frames)
        if pixels.ndim == 3:
            pixels = pixels[..., None]
        shape = (pixels.shape[0], pixels.shape[3], *pixels.shape[1:3])  # M x C x H x W
        if not _takes(out, shape, self.device):
            out = torch.empty(shape, device=self.device, memory_format=torch.channels_last)
        if self.device.type == "cpu" and frames.dtype == np.uint8:
            _look_up(frames, unit_levels(self.scale), out.permute(0, 2, 3, 1).numpy())
            return out
        pixels = pixels.to(self.device).permute(0, 3, 1, 2)  # a view: channels-last strides
        return to_unit_range(out.copy_(pixels), self.scale)


def _look_up(frames: np.ndarray, table: np.ndarray, out: np.ndarray) -> None:
    """``out[...] = table[frames]`` for uint8 ``frames`` M x H x W (x C): one pass through
    OpenCV's table look-up, a few items at a time (it takes under 2**31 values)."""
    rows = frames.shape[1]
    chunk = max(1, 2**30 // max(frames[0].size, 1))
    for start in range(0, len(frames), chunk):
        part = frames[start : start + chunk]
        target = out[start : start + chunk].reshape(len(part) * rows, -1)
        if not np.may_share_memory(target, out):  # reshape copied: LUT would write elsewhere
            raise ValueError("_look_up needs an out whose items reshape to rows in place")
        cv2.LUT(part.reshape(len(part) * rows, -1), table, dst=target)


def _takes(out: torch.Tensor | None, shape: tuple[int, ...], device: torch.device) -> bool:
    """Whether ``out`` can hold float states of ``shape`` on ``device`` (channels-last)."""
    return (out is not None and tuple(out.shape) == shape and out.dtype == torch.float32
            and out.device == device and out.permute(0, 2, 3, 1).is_contiguous())


def to_unit_range(x: torch.Tensor, scale: float) -> torch.Tensor:
    """Float values ``0 .. scale`` to [-1, 1], in place: ``x * (2 / scale) - 1``."""
    return x.mul_(2.0 / scale).sub_(1.0)


@functools.cache
def unit_levels(scale: float) -> np.ndarray:
    """The 256 levels of uint8 pixels as :func:`to_unit_range` maps them (float32)."""
    return to_unit_range(torch.arange(256, dtype=torch.float32), scale).numpy()
