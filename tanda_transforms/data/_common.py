"""Helpers shared by the dataset readers of :mod:`tanda_transforms.data`."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

PathLike = str | os.PathLike[str]

_SPLITS = ("train", "test")


def _find_first(candidates: list[Path], what: str) -> Path:
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    listing = "\n  ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"{what} not found; looked for:\n  {listing}")


def _check_split(split: str) -> str:
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}, got {split!r}")
    return split


@contextlib.contextmanager
def _opencv_quiet() -> Iterator[None]:
    """OpenCV's own log lines silenced (a corrupt file is reported by the caller, once)."""
    logging = cv2.utils.logging
    level = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        logging.setLogLevel(level)


def _read_image(path: Path, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    """Read an image file with OpenCV (via ``imdecode``, so non-ASCII paths work).

    Colour images come back in RGB(A) order; depth (8/16 bit, float) is kept. A file OpenCV
    cannot decode raises ``ValueError`` naming it, without OpenCV's own warning lines.
    """
    with _opencv_quiet():
        image = cv2.imdecode(np.fromfile(path, dtype=np.uint8), flags)
    if image is None:
        raise ValueError(f"{path}: cannot decode image (not a readable image file?)")
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    return image


def _to_grayscale(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 1:
        return image[:, :, 0]
    code = cv2.COLOR_RGBA2GRAY if image.shape[2] == 4 else cv2.COLOR_RGB2GRAY
    return cv2.cvtColor(image, code)
