"""Geometric ops: rotate, zoom, shear, translate, flips, swirl, elastic, pad_and_crop.

Each op is a warp builder ``op(shape, **args) -> warp`` over
:mod:`tanda_transforms.functional`'s warps, registered here with its bounds. Batches need no
kernel for the ops without a random part: their warps are built once per image size by the
builder itself (:mod:`tanda_transforms.batched.geometric`). The two random ops register a
:class:`~tanda_transforms.ops.kernel.WarpKernel`, their draw and the warps built from it:

- ``pad_and_crop``: one draw, :func:`draw_pad_and_crop`, which the per-image builder calls
  with the policy's numpy generator (``n = 1``) and the batched path with its torch one;
- ``elastic``: :func:`draw_elastic`'s U(-1, 1) noise fields, x then y, the same draws the
  per-image :func:`~tanda_transforms.functional.elastic_warp` makes (it streams them in row
  strips, so a 4096 px mammogram never holds a second full-size field), smoothed on the
  device by :func:`~tanda_transforms.batched.geometric.elastic_steps`.

Examples
--------
>>> import numpy as np, torch
>>> from tanda_transforms.registry import get_op
>>> get_op("pad_and_crop").batched.draw is draw_pad_and_crop
True
>>> offsets = draw_pad_and_crop(4, (32, 32), {"padding": 0.125}, torch.Generator())
>>> int(offsets["top"].max()) <= 8
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tanda_transforms import functional as F
from tanda_transforms.ops import draw
from tanda_transforms.ops.kernel import WarpKernel
from tanda_transforms.registry import register_op

if TYPE_CHECKING:
    from tanda_transforms.batched.geometric import AffineSteps, DenseSteps

__all__ = [
    "Warp", "draw_elastic", "draw_pad_and_crop", "elastic", "hflip", "pad_and_crop", "rotate",
    "shear", "swirl", "translate", "vflip", "zoom",
]

Warp = F.AffineWarp | F.DenseWarp
Shape = tuple[int, int]


@register_op("rotate", kind="geometric", bounds={"degrees": (-360, 360)})
def rotate(shape: Shape, degrees: float) -> Warp:
    """Rotate counter-clockwise by ``degrees`` about the centre."""
    return F.rotate_warp(shape, degrees)


@register_op("zoom", kind="geometric", bounds={"factor": (0.1, 10)})
def zoom(shape: Shape, factor: float) -> Warp:
    """Scale about the centre; ``factor > 1`` magnifies."""
    return F.zoom_warp(shape, factor)


@register_op("shear", kind="geometric", bounds={"factor": (-5, 5), "axis": ("x", "y")})
def shear(shape: Shape, factor: float, axis: str = "x") -> Warp:
    """Shear along ``axis`` by ``factor``."""
    return F.shear_warp(shape, factor, axis=axis)


@register_op("translate", kind="geometric", bounds={"dx": (-1, 1), "dy": (-1, 1)})
def translate(shape: Shape, dx: float = 0.0, dy: float = 0.0) -> Warp:
    """Shift by fractions of the width (``dx``) and height (``dy``)."""
    return F.translate_warp(shape, dx, dy)


@register_op("hflip", kind="geometric")
def hflip(shape: Shape) -> Warp:
    """Mirror left-right."""
    return F.hflip_warp(shape)


@register_op("vflip", kind="geometric")
def vflip(shape: Shape) -> Warp:
    """Mirror top-bottom."""
    return F.vflip_warp(shape)


@register_op("swirl", kind="geometric", bounds={"strength": (-10, 10), "radius": (0.01, 100)})
def swirl(shape: Shape, strength: float, radius: float = 3.5) -> Warp:
    """Swirl about the centre (scikit-image semantics), ``strength`` radians at the centre.

    ``radius`` is a fraction of the smaller side. The default 3.5 matches scikit-image's own
    default (100 px) on the 28-32 px images the paper swirled, so ``swirl(strength=0.1)``
    means on a 1024 px mammogram what it meant on a digit.
    """
    if not radius > 0:
        raise ValueError(f"radius must be a positive fraction of the smaller side, got {radius!r}")
    return F.swirl_warp(shape, strength, radius * min(shape[:2]))


# --- elastic ----------------------------------------------------------------------------------


def draw_elastic(n: int, shape: Shape, args: dict[str, Any], generator: draw.Generator
                 ) -> dict[str, Any]:
    """U(-1, 1) float32 noise ``[n, 2, H, W]`` (the x field, then the y field).

    Examples
    --------
    >>> import torch
    >>> draw_elastic(3, (4, 5), {}, torch.Generator())["noise"].shape
    torch.Size([3, 2, 4, 5])
    """
    h, w = shape
    return {"noise": draw.uniform(generator, (n, 2, h, w), -1.0, 1.0)}


def _elastic_warps(draws: dict[str, Any], shape: Shape, args: dict[str, Any]) -> DenseSteps:
    # imported when a batch first needs it: tanda_transforms.batched loads the batched
    # policy module and torchvision, which a per-image TF never needs
    from tanda_transforms.batched.geometric import elastic_steps

    return elastic_steps(draws["noise"], args["alpha"], args["sigma"])


@register_op(
    "elastic", kind="geometric", random=True, bounds={"alpha": (0, 10_000), "sigma": (0, 32)},
    batched=WarpKernel(draw_elastic, _elastic_warps),
)
def elastic(shape: Shape, alpha: float, sigma: float, *, rng) -> Warp:
    """Elastic deformation with RMS displacement ``alpha`` pixels, smoothness ``sigma``."""
    return F.elastic_warp(shape, alpha, sigma, seed=rng)


# --- pad and crop -----------------------------------------------------------------------------


def _padding_pixels(shape: Shape, padding: float) -> int:
    if not 0 <= padding < 1:
        raise ValueError(f"padding must be a fraction in [0, 1), got {padding!r}")
    return int(round(padding * min(shape[:2])))


def draw_pad_and_crop(n: int, shape: Shape, args: dict[str, Any], generator: draw.Generator
                      ) -> dict[str, Any]:
    """Crop offsets of ``n`` samples into the image padded by ``args["padding"]`` of its
    smaller side: ``top`` and ``left``, int64 ``[n]``, uniform in ``[0, 2 pad]``.

    Examples
    --------
    >>> import numpy as np
    >>> offsets = draw_pad_and_crop(1, (16, 16), {"padding": 0.25}, np.random.default_rng(0))
    >>> sorted(offsets), offsets["top"].shape
    (['left', 'top'], (1,))
    """
    pad = _padding_pixels(shape, args["padding"])
    offsets = draw.integers(generator, 0, 2 * pad + 1, (n, 2))
    return {"top": offsets[:, 0], "left": offsets[:, 1]}


def _pad_and_crop_warps(draws: dict[str, Any], shape: Shape, args: dict[str, Any]
                        ) -> AffineSteps:
    from tanda_transforms.batched.geometric import translations  # as in _elastic_warps

    pad = _padding_pixels(shape, args["padding"])
    return translations(pad - draws["left"], pad - draws["top"])


@register_op(
    "pad_and_crop", kind="geometric", random=True, bounds={"padding": (0, 0.5)},
    batched=WarpKernel(draw_pad_and_crop, _pad_and_crop_warps),
)
def pad_and_crop(shape: Shape, padding: float = 0.125, *, rng) -> Warp:
    """Pad by ``padding`` (a fraction of the smaller side), crop back at a random offset."""
    offsets = draw_pad_and_crop(1, shape, {"padding": padding}, rng)
    top, left = int(offsets["top"][0]), int(offsets["left"][0])
    return F.pad_and_crop_warp(shape, _padding_pixels(shape, padding), top, left)
