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
  clipped to the image;
- rotated boxes (torchvision's ``XYWHR``, ``CXCYWHR``, ``XYXYXYXY``) move by their outline
  too: the result is the rectangle along the moved first edge that covers the moved outline
  (exact under rotations, flips, zooms and shifts; under shears and dense warps the smallest
  such cover), then clamped as torchvision clamps (the boxes' ``clamping_mode``);
- masks of any real dtype are moved exactly: uint8, uint16, float32 and bool directly, other
  dtypes (float64, int64 labels, ...) by gathering their values through a warped index.

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

__all__ = ["warp_mask", "warp_points", "warp_boxes", "warp_quads", "warp_bounding_boxes",
           "warp_keypoints", "transform_target"]

_EDGE_SAMPLES = 16
_MASK_DTYPES = (np.uint8, np.uint16, np.float32)
_ROTATED = ("XYWHR", "CXCYWHR", "XYXYXYXY")
_MAX_INDEX = np.iinfo(np.uint16).max


def warp_mask(mask: np.ndarray, warps: Sequence) -> np.ndarray:
    """Warp an H x W (x C) mask: nearest-neighbour, dtype kept (bool, int and float labels).

    Examples
    --------
    >>> from tanda_transforms import TF
    >>> warp_mask(np.array([[0.5, 2.0]]), [TF("hflip").warp((1, 2))])
    array([[2. , 0.5]])
    """
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"mask must be a numpy array, got {type(mask).__name__}")
    if mask.dtype == np.bool_ or mask.dtype in _MASK_DTYPES:
        work = mask.view(np.uint8) if mask.dtype == np.bool_ else mask
        for warp in warps:
            work = warp.apply(work, interpolation="nearest")
        return work.view(np.bool_) if mask.dtype == np.bool_ else work
    if mask.dtype.kind not in "iuf":
        raise TypeError(f"mask dtype must be bool, an integer or a float type, got {mask.dtype}")
    return _gather_warped(mask, warps)


def _gather_warped(mask: np.ndarray, warps: Sequence) -> np.ndarray:
    """Nearest-neighbour warp of any dtype, exactly: warp each pixel's (row, col), gather."""
    h, w = mask.shape[:2]
    if max(h, w) > _MAX_INDEX + 1:
        raise ValueError(f"masks of dtype {mask.dtype} are moved through a uint16 index: at "
                         f"most {_MAX_INDEX + 1} pixels a side, got {h} x {w}; use uint8, "
                         "uint16 or float32 labels")
    index = np.stack(np.indices((h, w), dtype=np.uint16), -1)
    for warp in warps:
        index = warp.apply(index, interpolation="nearest")
    return mask[index[..., 0], index[..., 1]]


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


def warp_quads(quads: np.ndarray, warps: Sequence) -> np.ndarray:
    """Move ``N x 8`` rotated boxes given by their corners (torchvision's ``XYXYXYXY``).

    Each result is the rectangle along the moved first edge (corner 1 to corner 2) that
    covers the moved outline, its corners in torchvision's order; not clamped.

    Examples
    --------
    >>> from tanda_transforms import TF
    >>> warp_quads(np.array([[1.0, 0, 3, 0, 3, 1, 1, 1]]), [TF("hflip").warp((4, 8))])
    array([[7., 1., 5., 1., 5., 0., 7., 0.]])
    """
    quads = np.asarray(quads, dtype=np.float64).reshape(-1, 8)
    if not warps or not len(quads):
        return quads.copy()
    moved = _moved_outline(quads, warps)
    first, second = moved[:, 0], moved[:, _EDGE_SAMPLES]
    along = second - first
    length = np.linalg.norm(along, axis=1, keepdims=True)
    along = np.where(length > 1e-12, along / np.maximum(length, 1e-12), [1.0, 0.0])
    across = np.stack([-along[:, 1], along[:, 0]], 1)  # torchvision's corner order
    rel = moved - first[:, None]
    a, b = np.einsum("nkd,nd->nk", rel, along), np.einsum("nkd,nd->nk", rel, across)
    lo_a, hi_a, lo_b, hi_b = a.min(1), a.max(1), b.min(1), b.max(1)
    corners = [(lo_a, lo_b), (hi_a, lo_b), (hi_a, hi_b), (lo_a, hi_b)]
    out = [first + s[:, None] * along + t[:, None] * across for s, t in corners]
    return np.concatenate(out, 1)


def _moved_outline(corners: np.ndarray, warps: Sequence) -> np.ndarray:
    """``N x 8`` corners -> ``N x (4 * samples) x 2``: points along each edge, moved.

    Point ``k * samples`` is corner ``k`` moved."""
    quads = corners.reshape(-1, 4, 1, 2)
    t = np.linspace(0.0, 1.0, _EDGE_SAMPLES, endpoint=False)[None, None, :, None]
    outline = quads + (np.roll(quads, -1, axis=1) - quads) * t
    # edges -> pixel-centre coordinates, through the warps, and back
    moved = warp_points(outline.reshape(-1, 2) - 0.5, warps) + 0.5
    return moved.reshape(len(quads), -1, 2)


def transform_target(target: Any, compiled: Callable[[tuple[int, int]], Any]) -> Any:
    """Move a torchvision ``Mask``, ``BoundingBoxes`` or ``KeyPoints`` as the image moved.

    ``compiled(shape)`` gives the :class:`~tanda_transforms.sequence.CompiledSequence` of the
    call for that (H, W).
    """
    if isinstance(target, tv_tensors.Mask):
        return _tv_mask(target, compiled(target.shape[-2:]))
    if isinstance(target, tv_tensors.BoundingBoxes):
        return warp_bounding_boxes(target, compiled(target.canvas_size).warps)
    keypoints = getattr(tv_tensors, "KeyPoints", None)
    if keypoints is not None and isinstance(target, keypoints):
        return warp_keypoints(target, compiled(target.canvas_size).warps)
    raise TypeError(
        f"TANDAPolicy transforms images, Mask, BoundingBoxes and KeyPoints; got {type(target)}"
    )


def warp_keypoints(points: torch.Tensor, warps: Sequence) -> torch.Tensor:
    """Move a tensor of ``(x, y)`` pixel positions ``[..., 2]`` (torchvision ``KeyPoints``
    or plain) through ``warps``, in order: a new tensor of the same type, shape, dtype and
    device (positions are not clipped: a point may leave the image).

    Examples
    --------
    >>> from tanda_transforms import TF
    >>> warp_keypoints(torch.tensor([[0.0, 1.0]]), [TF("hflip").warp((4, 8))]).tolist()
    [[7.0, 1.0]]
    """
    moved = warp_points(points.detach().cpu().numpy(), warps)
    out = torch.from_numpy(moved).to(points.dtype).reshape(points.shape).to(points.device)
    return tv_tensors.wrap(out, like=points) if isinstance(points, tv_tensors.TVTensor) else out


def _tv_mask(mask: tv_tensors.Mask, compiled: Any):
    h, w = mask.shape[-2:]
    flat = mask.detach().cpu().reshape(-1, h, w).numpy()
    out = np.stack([compiled.warp_mask(m) for m in flat]) if len(flat) else flat.copy()
    return tv_tensors.wrap(torch.from_numpy(out).reshape(mask.shape).to(mask.device), like=mask)


def warp_bounding_boxes(boxes: tv_tensors.BoundingBoxes, warps: Sequence) -> Any:
    """Move torchvision ``BoundingBoxes`` (any supported format, rotated ones too) through
    ``warps``, in order, as :func:`transform_target` moves them: a new ``BoundingBoxes`` of
    the same format, dtype, device and canvas (integer boxes rounded).

    Examples
    --------
    >>> from tanda_transforms import TF
    >>> boxes = tv_tensors.BoundingBoxes([[0, 0, 2, 1]], format="XYWH", canvas_size=(4, 8))
    >>> warp_bounding_boxes(boxes, [TF("hflip").warp((4, 8))]).tolist()
    [[6, 0, 2, 1]]
    """
    fmt = boxes.format
    rotated = fmt.name in _ROTATED
    work = tv_tensors.BoundingBoxFormat.XYXYXYXY if rotated else tv_tensors.BoundingBoxFormat.XYXY
    if fmt.name not in ("XYXY", "XYWH", "CXCYWH", *_ROTATED):
        raise TypeError(f"box format {fmt.name} is not supported; use XYXY, XYWH, CXCYWH, "
                        f"{', '.join(_ROTATED)}")
    as_float = boxes.to(torch.float64)  # conversions exact for integer boxes
    corners = TVF.convert_bounding_box_format(as_float, new_format=work)
    array = corners.detach().cpu().numpy()
    if rotated:
        moved = warp_quads(array, warps)
    else:
        moved = warp_boxes(array, warps, tuple(boxes.canvas_size))
    out = tv_tensors.wrap(torch.from_numpy(moved).reshape(corners.shape), like=corners)
    if rotated and warps:
        out = TVF.clamp_bounding_boxes(out)
    out = TVF.convert_bounding_box_format(out, new_format=fmt)
    if not boxes.is_floating_point():
        out = out.round()
    return tv_tensors.wrap(out.to(dtype=boxes.dtype, device=boxes.device), like=boxes)
