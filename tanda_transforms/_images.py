"""Turn the many forms image data comes in into one numpy array N x H x W (x C).

Used by :func:`~tanda_transforms.learn_policy` and the ``tanda`` command. Dtypes are kept
(uint8, uint16, float32 in [0, 1]); anything else raises instead of being cast.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import PIL.Image
import torch

from tanda_transforms._convert import check_float_range

__all__ = ["as_image_array"]

_DTYPES = (np.uint8, np.uint16, np.float32)


def _one_image(item: Any, index: int) -> np.ndarray:
    if isinstance(item, tuple | list):  # (image, label, ...) items: drop the label
        if not item:
            raise ValueError(f"image {index}: an empty {type(item).__name__}, expected an image "
                             "or an (image, label) item")
        item = item[0]
    if isinstance(item, PIL.Image.Image):
        return np.asarray(item)
    if isinstance(item, torch.Tensor):
        if item.ndim != 3:
            raise ValueError(f"image {index}: tensor images are C x H x W, got {tuple(item.shape)}")
        return item.detach().cpu().permute(1, 2, 0).numpy()
    if isinstance(item, np.ndarray):
        return item
    raise TypeError(
        f"image {index}: expected a PIL image, tensor or numpy array, got {type(item).__name__}"
    )


def as_image_array(data: Any) -> np.ndarray:
    """Stack images into N x H x W (x C), keeping their dtype.

    Examples
    --------
    >>> as_image_array([np.zeros((4, 4), np.uint8)] * 3).shape
    (3, 4, 4)
    """
    if isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, Iterable) or hasattr(data, "__getitem__"):
        items = [_one_image(x, i) for i, x in enumerate(_iterate(data))]
        if not items:
            raise ValueError("no images given")
        shapes = {x.shape for x in items}
        if len(shapes) > 1:
            raise ValueError(f"all images must share one shape; got {sorted(shapes)[:5]} (set "
                             "LearnConfig.size to learn from images of mixed sizes)")
        array = np.stack(items)
    else:
        raise TypeError(
            f"expected an array, a Dataset or an iterable of images, got {type(data).__name__}"
        )
    if array.dtype not in _DTYPES:
        raise TypeError(f"images must be uint8, uint16 or float32 in [0, 1], got {array.dtype}")
    _check_shape(array.shape)
    check_float_range(array, "learn_policy data")
    return np.ascontiguousarray(array)


def _check_shape(shape: tuple[int, ...]) -> None:
    """N x H x W (x C) with N >= 1 and no empty image axis (a raw stack error later otherwise)."""
    if len(shape) not in (3, 4):
        raise ValueError(f"expected N x H x W or N x H x W x C images, got shape {shape}")
    if shape[0] == 0:
        raise ValueError(f"no images given (an array of shape {shape})")
    if 0 in shape[1:]:
        layout = "H x W" if len(shape) == 3 else "H x W x C"
        raise ValueError(
            f"images must have at least 1 x 1 pixels and 1 channel, got {layout} = "
            f"{' x '.join(map(str, shape[1:]))}"
        )


def _iterate(data: Any):
    if isinstance(data, torch.utils.data.Dataset) and hasattr(data, "__len__"):
        return (data[i] for i in range(len(data)))
    return iter(data)
