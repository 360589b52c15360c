"""Filter and noise ops: gaussian_blur, sharpen, gaussian_noise, cutout.

Each is registered here with its bounds, its per-image numpy kernel
(:mod:`tanda_transforms.functional.photometric.filters`), its batched torch kernel
(:mod:`tanda_transforms.batched.photometric.filters`) and, for the two random ops, its draw,
through ``register_op(..., batched=...)`` as a user's op:

- ``cutout``: one draw, :func:`draw_cutout` (the square's centre row, then column), which the
  per-image op calls with the policy's numpy generator (``n = 1``) and the batched path with
  its torch one;
- ``gaussian_noise``: :func:`draw_gaussian_noise`'s standard normals for the batched path;
  the per-image :func:`~tanda_transforms.functional.gaussian_noise` draws the same
  distribution in its own layout (H x W x C, streamed in row strips of large images).

Examples
--------
>>> import numpy as np
>>> out = cutout(np.full((4, 4), 9, np.uint8), size=0.5, rng=np.random.default_rng(0))
>>> int((out == 0).sum())
4
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tanda_transforms import functional as F
from tanda_transforms.batched import photometric as T
from tanda_transforms.batched.kernel import PhotometricKernel
from tanda_transforms.ops import draw
from tanda_transforms.registry import register_op

__all__ = ["cutout", "draw_cutout", "draw_gaussian_noise", "gaussian_noise"]

register_op("gaussian_blur", kind="photometric", bounds={"sigma": (0, 32)},
            batched=PhotometricKernel.of(T.gaussian_blur))(F.gaussian_blur)
register_op("sharpen", kind="photometric", bounds={"factor": (0, 10)},
            batched=PhotometricKernel.of(T.sharpen))(F.sharpen)


# --- gaussian noise ---------------------------------------------------------------------------


def draw_gaussian_noise(n: int, shape: tuple[int, int, int], args: dict[str, Any],
                        generator: draw.Generator) -> dict[str, Any]:
    """Standard normal noise ``[n, C', H, W]`` float32 (C' = 3 for RGBA, else C).

    Examples
    --------
    >>> import torch
    >>> draw_gaussian_noise(2, (4, 5, 6), {}, torch.Generator())["noise"].shape
    torch.Size([2, 3, 5, 6])
    """
    channels, height, width = shape
    colour = 3 if channels == 4 else channels  # the alpha channel gets no noise
    return {"noise": draw.normal(generator, (n, colour, height, width))}


@register_op("gaussian_noise", kind="photometric", random=True, bounds={"std": (0, 1)},
             batched=PhotometricKernel.of(T.gaussian_noise, draw_gaussian_noise))
def gaussian_noise(img: np.ndarray, std: float, *, rng) -> np.ndarray:
    """Add Gaussian noise of ``std`` (a fraction of the value range)."""
    return F.gaussian_noise(img, std, seed=rng)


# --- cutout -----------------------------------------------------------------------------------


def draw_cutout(n: int, shape: tuple[int, int, int], args: dict[str, Any],
                generator: draw.Generator) -> dict[str, Any]:
    """Cutout centres, int64 ``[n]``: ``center_y`` uniform in [0, H), then ``center_x`` in
    [0, W).

    Examples
    --------
    >>> import torch
    >>> sorted(draw_cutout(3, (1, 8, 8), {}, torch.Generator()))
    ['center_x', 'center_y']
    """
    _, height, width = shape
    center_y = draw.integers(generator, 0, height, (n,))
    center_x = draw.integers(generator, 0, width, (n,))
    return {"center_y": center_y, "center_x": center_x}


@register_op("cutout", kind="photometric", random=True, bounds={"size": (0.01, 1), "fill": (0, 1)},
             batched=PhotometricKernel.of(T.cutout, draw_cutout, takes_dtype=True))
def cutout(img: np.ndarray, size: float = 0.25, fill: float = 0.0, *, rng) -> np.ndarray:
    """Blank a square of side ``size`` (fraction of the smaller side) centred at random."""
    F.check_image(img)
    h, w = img.shape[:2]
    if not 0 < size <= 1:
        raise ValueError(f"size must be a fraction in (0, 1], got {size!r}")
    side = max(1, int(round(size * min(h, w))))
    centre = draw_cutout(1, (1, h, w), {}, rng)
    cy, cx = int(centre["center_y"][0]), int(centre["center_x"][0])
    return F.cutout(img, cy - side // 2, cx - side // 2, side, side, fill=fill)
