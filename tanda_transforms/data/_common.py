"""Helpers shared by the dataset readers of :mod:`tanda_transforms.data`."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
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


def _opencv_log_level() -> tuple[Callable[[], int], Callable[[int], object]] | None:
    """OpenCV's get and set of its log level: ``cv2.utils.logging`` (5.x and some 4.x
    builds) or ``cv2.getLogLevel``/``setLogLevel`` (other 4.x builds); ``None`` if neither."""
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is not None:
        return logging.getLogLevel, logging.setLogLevel
    if hasattr(cv2, "getLogLevel") and hasattr(cv2, "setLogLevel"):
        return cv2.getLogLevel, cv2.setLogLevel
    return None


@contextlib.contextmanager
def _opencv_quiet() -> Iterator[None]:
    """OpenCV's own log lines silenced (a corrupt file is reported by the caller, once)."""
    api = _opencv_log_level()
    if api is None:
        yield
        return
    get, set_ = api
    level = get()
    set_(0)  # LOG_LEVEL_SILENT
    try:
        yield
    finally:
        set_(level)


@contextlib.contextmanager
def _stderr_held() -> Iterator[Callable[[], None]]:
    """File descriptor 2 held in a temporary file; what was written there is passed on at the
    end unless the yielded function was called (libpng, libjpeg and libtiff write their own
    error lines straight to it, whatever OpenCV's log level)."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to hold
        yield lambda: None
        return
    keep = [True]
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield lambda: keep.clear()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read()
            if keep and text:
                os.write(2, text)


def _read_image(path: Path, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    """Read an image file with OpenCV (via ``imdecode``, so non-ASCII paths work).

    Colour images come back in RGB(A) order; depth (8/16 bit, float) is kept. A file OpenCV
    cannot decode raises ``ValueError`` naming it, without OpenCV's or the codec library's
    own error lines.
    """
    with _opencv_quiet(), _stderr_held() as drop_messages:
        image = cv2.imdecode(np.fromfile(path, dtype=np.uint8), flags)
        if image is None:  # reported below in one line; the decoder's own lines are dropped
            drop_messages()
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
