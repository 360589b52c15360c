"""Targets that follow the image: masks, bounding boxes and keypoints.

Geometric TFs move targets through the very warps that moved the image (the call's
:class:`~tanda_transforms.sequence.CompiledSequence`, built once, so a random elastic field
is the same field); photometric TFs leave them alone.

Conventions:
- masks are warped with nearest-neighbour sampling and the image's border mode, so values
  (class ids) are never blended;
- keypoints are ``(x, y)`` pixel positions, ``(col, row)`` of the pixel centre;
- boxes are ``(x_min, y_min, x_max, y_max)`` in continuous coordinates, where pixel
  ``(col, row)`` spans ``[col, col + 1) x [row, row + 1)``. Under non-affine warps (swirl,
  elastic) a box becomes the bounding box of its warped outline (sampled points on its edges),
  clipped to the image.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms import TF
>>> warp_boxes(np.array([[0.0, 0.0, 2.0, 1.0]]), [TF("hflip").warp((4, 8))], (4, 8))
array([[6., 0., 8., 1.]])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torchvision import tv_tensors
from torchvision.transforms.v2 import functional as TVF

__all__ = ["warp_mask", "warp_points", "warp_boxes", "transform_target"]

_EDGE_SAMPLES = 16
_MASK_DTYPES = (np.uint8, np.uint16, np.float32)


def warp_mask(mask: np.ndarray, warps: Sequence) -> np.ndarray:
    """Warp an H x W (x C) mask: nearest-neighbour, dtype kept (bool and int labels too)."""
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"mask must be a numpy array, got {type(mask).__name__}")
    work, restore = _as_mask_work_array(mask)
    for warp in warps:
        work = warp.apply(work, interpolation="nearest")
    return restore(work)


def _as_mask_work_array(mask: np.ndarray):
    if mask.dtype in _MASK_DTYPES:
        return mask, lambda out: out
    if mask.dtype == np.bool_:
        return mask.view(np.uint8), lambda out: out.astype(bool)
    if np.issubdtype(mask.dtype, np.integer):
        if mask.size and (mask.min() < 0 or mask.max() > np.iinfo(np.uint16).max):
            raise ValueError(
                f"integer masks must hold labels in [0, 65535], got [{mask.min()}, {mask.max()}]"
            )
        return mask.astype(np.uint16), lambda out: out.astype(mask.dtype)
    raise TypeError(f"mask dtype must be bool, an integer type or float32, got {mask.dtype}")


def warp_points(points: np.ndarray, warps: Sequence) -> np.ndarray:
    """Move ``N x 2`` pixel positions ``(x, y)`` through the warps, in order."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    for warp in warps:
        points = warp.map_points(points)
    return points


def warp_boxes(boxes: np.ndarray, warps: Sequence, shape: tuple[int, int]) -> np.ndarray:
    """Move ``N x 4`` boxes ``(x_min, y_min, x_max, y_max)`` and clip them to ``shape``."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if not warps or not len(boxes):
        return boxes.copy()
    t = np.linspace(0.0, 1.0, _EDGE_SAMPLES)
    x0, y0, x1, y1 = (boxes[:, i : i + 1] for i in range(4))
    xs = np.concatenate([x0 + (x1 - x0) * t, x0 + (x1 - x0) * t, x0 + 0 * t, x1 + 0 * t], 1)
    ys = np.concatenate([y0 + 0 * t, y1 + 0 * t, y0 + (y1 - y0) * t, y0 + (y1 - y0) * t], 1)
    outline = np.stack([xs, ys], -1).reshape(-1, 2) - 0.5  # edges -> pixel-centre coordinates
    moved = (warp_points(outline, warps) + 0.5).reshape(len(boxes), -1, 2)
    h, w = shape
    out = np.concatenate([moved.min(1), moved.max(1)], 1)
    out[:, 0::2] = out[:, 0::2].clip(0, w)
    out[:, 1::2] = out[:, 1::2].clip(0, h)
    return out


def transform_target(target: Any, compiled: Callable[[tuple[int, int]], Any]) -> Any:
    """Move a torchvision ``Mask``, ``BoundingBoxes`` or ``KeyPoints`` as the image moved.

    ``compiled(shape)`` gives the :class:`~tanda_transforms.sequence.CompiledSequence` of the
    call for that (H, W).
    """
    if isinstance(target, tv_tensors.Mask):
        return _tv_mask(target, compiled(target.shape[-2:]))
    if isinstance(target, tv_tensors.BoundingBoxes):
        return _tv_boxes(target, compiled(target.canvas_size))
    keypoints = getattr(tv_tensors, "KeyPoints", None)
    if keypoints is not None and isinstance(target, keypoints):
        moved = compiled(target.canvas_size).map_points(target.detach().cpu().numpy())
        out = torch.from_numpy(moved).to(target.dtype).reshape(target.shape)
        return tv_tensors.wrap(out.to(target.device), like=target)
    raise TypeError(
        f"TANDAPolicy transforms images, Mask, BoundingBoxes and KeyPoints; got {type(target)}"
    )


def _tv_mask(mask: tv_tensors.Mask, compiled: Any):
    h, w = mask.shape[-2:]
    flat = mask.detach().cpu().reshape(-1, h, w).numpy()
    out = np.stack([compiled.warp_mask(m) for m in flat]) if len(flat) else flat.copy()
    return tv_tensors.wrap(torch.from_numpy(out).reshape(mask.shape).to(mask.device), like=mask)


def _tv_boxes(boxes: tv_tensors.BoundingBoxes, compiled: Any):
    fmt = boxes.format
    if fmt.name not in ("XYXY", "XYWH", "CXCYWH"):
        raise TypeError(f"box format {fmt.name} is not supported; use XYXY, XYWH or CXCYWH")
    xyxy = TVF.convert_bounding_box_format(boxes, new_format=tv_tensors.BoundingBoxFormat.XYXY)
    moved = compiled.warp_boxes(xyxy.detach().cpu().numpy())
    out = tv_tensors.wrap(torch.from_numpy(moved).to(boxes.dtype).to(boxes.device), like=xyxy)
    return TVF.convert_bounding_box_format(out, new_format=fmt)
