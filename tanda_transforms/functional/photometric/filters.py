"""Neighbourhood and local ops: gaussian_blur, sharpen (``PIL.ImageEnhance.Sharpness``),
gaussian_noise and cutout.
"""

from __future__ import annotations

import cv2
import numpy as np

from .._strips import row_strips
from .._validate import (
    apply_cv2,
    check_image,
    check_int,
    check_real,
    float32_into,
    make_rng,
    to_float32,
    value_max,
)
from ._common import _carry_alpha, _check_factor

__all__ = ["gaussian_blur", "sharpen", "gaussian_noise", "cutout"]

# PIL's ImageFilter.SMOOTH kernel, used as the degenerate image of sharpen().
_SMOOTH_KERNEL = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float32) / np.float32(13)


@_carry_alpha
def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur with standard deviation ``sigma`` pixels.

    The kernel is truncated at ``4 * sigma`` (as ``scipy.ndimage.gaussian_filter``)
    and the border is mirrored without repeating the edge pixel (scipy "mirror",
    ``cv2.BORDER_REFLECT_101``).  The filtering runs in float32.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C.
    sigma : float
        >= 0; 0 is the identity.

    Examples
    --------
    >>> gaussian_blur(np.full((5, 5), 7, np.uint8), 1.0)[2].tolist()
    [7, 7, 7, 7, 7]
    """
    check_image(img)
    sigma = check_real(sigma, "sigma", low=0.0)
    if sigma == 0:
        return img.copy()
    radius = max(1, int(4.0 * sigma + 0.5))
    ksize = (2 * radius + 1, 2 * radius + 1)

    def blur(chunk: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(
            chunk, ksize, sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT_101
        )

    # cv2's 8-bit Gaussian uses low-precision fixed-point weights (errors above one
    # level), so integer images are blurred in float32 and rounded once.  Large images go
    # in row strips with a halo of the kernel radius (see _strips): the same values.
    h, w = img.shape[:2]
    out = np.empty(img.shape, img.dtype)
    for lo, start, stop, hi in row_strips(h, w, radius):
        blurred = apply_cv2(blur, to_float32(img[lo:hi]))
        float32_into(blurred[start - lo : stop - lo], out[start:stop])
    return out


@_carry_alpha
def sharpen(img: np.ndarray, factor: float) -> np.ndarray:
    """Blend between a smoothed image and the original (PIL ``ImageEnhance.Sharpness``).

    The degenerate image is PIL's ``ImageFilter.SMOOTH`` (3 x 3 kernel
    ``[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13``) with the one-pixel border left
    unfiltered, as PIL does; so border pixels never change.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C.
    factor : float
        >= 0; 1 is the identity, 0 gives the smoothed image, > 1 sharpens.

    Examples
    --------
    >>> sharpen(np.zeros((3, 3), np.uint8), 2.0).shape
    (3, 3)
    """
    check_image(img)
    factor = _check_factor(factor)
    h, w = img.shape[:2]
    if factor == 1 or h < 3 or w < 3:
        return img.copy()

    def smooth(chunk: np.ndarray) -> np.ndarray:
        return cv2.filter2D(chunk, -1, _SMOOTH_KERNEL, borderType=cv2.BORDER_REFLECT_101)

    out = np.empty(img.shape, img.dtype)
    # Large images go in row strips with a one-row halo (see _strips): the same values.
    for lo, start, stop, hi in row_strips(h, w, 1):
        x = to_float32(img[lo:hi])
        degenerate = apply_cv2(smooth, x)
        # out = degenerate + factor * (x - degenerate), in place in x and only where the
        # filter applies: not on the image's first and last rows and columns.  Whole rows
        # are blended (contiguous, faster) and their first and last values put back.
        top, bottom = max(start, 1) - lo, min(stop, h - 1) - lo
        if top < bottom:
            rows, smoothed = x[top:bottom], degenerate[top:bottom]
            first, last = rows[:, 0].copy(), rows[:, -1].copy()
            rows -= smoothed
            rows *= np.float32(factor)
            rows += smoothed
            rows[:, 0], rows[:, -1] = first, last
        del degenerate
        float32_into(x[start - lo : stop - lo], out[start:stop])
    return out


@_carry_alpha
def gaussian_noise(img: np.ndarray, std: float, *, seed: int | np.random.Generator) -> np.ndarray:
    """Add zero-mean Gaussian noise, then clip to the range.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C.
    std : float
        >= 0, standard deviation as a fraction of the dtype range.
    seed : int or numpy.random.Generator
        Source of the noise (float32 standard normals of ``img.shape``).

    Examples
    --------
    >>> a = gaussian_noise(np.zeros((4, 4), np.float32), 0.1, seed=0)
    >>> bool((a == gaussian_noise(np.zeros((4, 4), np.float32), 0.1, seed=0)).all())
    True
    """
    check_image(img)
    std = check_real(std, "std", low=0.0)
    rng = make_rng(seed)
    out = np.empty(img.shape, img.dtype)
    # Large images go in row strips; the noise is drawn strip after strip, which gives the
    # same numbers as one draw of img.shape (the generator's stream is sequential).
    for _, start, stop, _ in row_strips(img.shape[0], img.shape[1], 0):
        x = to_float32(img[start:stop])
        noise = rng.standard_normal(x.shape, dtype=np.float32)
        noise *= np.float32(std)
        x += noise
        del noise
        float32_into(x, out[start:stop])
    return out


@_carry_alpha
def cutout(
    img: np.ndarray, top: int, left: int, height: int, width: int, *, fill: float = 0.0
) -> np.ndarray:
    """Fill a rectangle with a constant; the part outside the image is ignored.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C.
    top, left : int
        Row and column of the rectangle's top-left corner (may be negative).
    height, width : int
        >= 0, size of the rectangle in pixels.
    fill : float
        Value in [0, 1] as a fraction of the dtype range (rounded for integers).

    Examples
    --------
    >>> cutout(np.ones((3, 3), np.uint8), -1, 1, 2, 5).tolist()
    [[1, 0, 0], [1, 1, 1], [1, 1, 1]]
    """
    check_image(img)
    top = check_int(top, "top")
    left = check_int(left, "left")
    height = check_int(height, "height", low=0)
    width = check_int(width, "width", low=0)
    fill = check_real(fill, "fill", low=0.0, high=1.0)
    out = img.copy()
    h, w = img.shape[:2]
    r0, r1 = max(top, 0), min(top + height, h)
    c0, c1 = max(left, 0), min(left + width, w)
    if r1 > r0 and c1 > c0:
        vmax = value_max(img.dtype)
        out[r0:r1, c0:c1] = fill if vmax == 1.0 else np.rint(fill * vmax)
    return out
