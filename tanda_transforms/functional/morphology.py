"""Grey-level morphology with a flat square structuring element.

With a flat kernel the border handling does not matter: pixels outside the image are
ignored, which equals any mirroring or edge-repeating border for min/max filters.
"""

from __future__ import annotations

import cv2
import numpy as np

from ._validate import apply_cv2, check_image, check_int

__all__ = ["erosion", "dilation"]


def _kernel(size: object) -> np.ndarray | None:
    size = check_int(size, "size", low=1)
    if size % 2 == 0:
        raise ValueError(f"size must be odd, got {size}")
    if size == 1:
        return None
    return np.ones((size, size), np.uint8)


def _morphology(img: np.ndarray, size: int, cv2_op) -> np.ndarray:
    check_image(img)
    kernel = _kernel(size)
    if kernel is None:
        return img.copy()
    return apply_cv2(lambda chunk: cv2_op(chunk, kernel), img)


def erosion(img: np.ndarray, size: int = 3) -> np.ndarray:
    """Grey erosion: minimum over a ``size x size`` square around each pixel.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C (channels independent).
    size : int
        Odd side length >= 1; 1 is the identity.

    Examples
    --------
    >>> erosion(np.array([[5, 1, 5, 5]], np.uint8)).tolist()
    [[1, 1, 1, 5]]
    """
    return _morphology(img, size, cv2.erode)


def dilation(img: np.ndarray, size: int = 3) -> np.ndarray:
    """Grey dilation: maximum over a ``size x size`` square around each pixel.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C (channels independent).
    size : int
        Odd side length >= 1; 1 is the identity.

    Examples
    --------
    >>> dilation(np.array([[0, 9, 0, 0]], np.uint8)).tolist()
    [[9, 9, 9, 0]]
    """
    return _morphology(img, size, cv2.dilate)
