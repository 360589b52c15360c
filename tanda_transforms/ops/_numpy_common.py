"""Helpers shared by the per-image (numpy) photometric kernels of the op families: look-up
tables, per-channel application, the RGBA alpha carry, luma and argument checks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from tanda_transforms._validate import apply_lut, check_image, check_real, from_float32, value_max

_LUMA = (0.299, 0.587, 0.114)


@functools.lru_cache(maxsize=2)
def _levels(dtype: np.dtype) -> np.ndarray:
    """Read-only float32 values of every level of an integer dtype on the [0, 1] scale."""
    vmax = value_max(dtype)
    levels = np.arange(int(vmax) + 1, dtype=np.float32)
    levels /= np.float32(vmax)
    levels.flags.writeable = False
    return levels


def _lut(dtype: np.dtype, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The look-up table of ``fn`` (float32 [0, 1] -> float32, in place) for a dtype."""
    return from_float32(fn(_levels(dtype).copy()), dtype)


def _pointwise(img: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply ``fn`` (float32 [0, 1] -> float32) to every value.

    Integer images go through a look-up table built from every level; float32 images
    are transformed directly and clipped to [0, 1].
    """
    if img.dtype == np.float32:
        out = fn(img.copy())
        return np.clip(out, 0.0, 1.0, out=out)
    return apply_lut(img, _lut(img.dtype, fn))


def _channels(img: np.ndarray) -> int:
    return 1 if img.ndim == 2 else img.shape[2]


def _per_channel(img: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply ``fn`` (2-D channel -> new 2-D channel) to each channel separately."""
    if img.ndim == 2:
        return fn(img)
    out = np.empty_like(img)
    for c in range(img.shape[2]):
        out[:, :, c] = fn(img[:, :, c])
    return out


def _require_rgb(img: np.ndarray, op: str) -> None:
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(
            f"{op} is a colour op and needs a grey (H x W or H x W x 1), RGB (H x W x 3) or "
            f"RGBA (H x W x 4) image, got shape {img.shape}"
        )


def _is_grey(img: np.ndarray) -> bool:
    return img.ndim == 2 or img.shape[2] == 1


def _carry_alpha(op: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Wrap ``op(img, ...)`` so that on RGBA input it sees RGB and the alpha is kept.

    The wrapped op gets a contiguous H x W x 3 copy of the colour channels; its result is
    stacked with the untouched alpha channel.  Other layouts go to ``op`` unchanged.
    """

    @functools.wraps(op)
    def wrapper(img: np.ndarray, *args, **kwargs) -> np.ndarray:
        if not (isinstance(img, np.ndarray) and img.ndim == 3 and img.shape[2] == 4):
            return op(img, *args, **kwargs)
        check_image(img)
        colour = op(np.ascontiguousarray(img[:, :, :3]), *args, **kwargs)
        out = np.empty(img.shape, img.dtype)
        out[:, :, :3] = colour
        out[:, :, 3] = img[:, :, 3]
        return out

    return wrapper


def _grey(x: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma of a float32 H x W x 3 array (float32 H x W)."""
    grey = x[:, :, 0] * np.float32(_LUMA[0])
    grey += x[:, :, 1] * np.float32(_LUMA[1])
    grey += x[:, :, 2] * np.float32(_LUMA[2])
    return grey


def _check_factor(factor: float) -> float:
    return check_real(factor, "factor", low=0.0)

