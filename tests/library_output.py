"""How tests compare output that comes from OpenCV or torch kernels.

A test may be exact only about what the package itself guarantees (index operations such as
flips and whole-pixel shifts, look-up tables, the same call twice with the same seed). Two
*different* calls into a library (an RGB image against its channels one by one, a padded
against an unpadded warp, image strips against the whole image) may round differently: which
SIMD path OpenCV or torch dispatches to depends on the CPU (AVX-512, AVX2, SSE, NEON), on the
buffer's size and alignment and on the library's version. Such comparisons allow the stated
tolerance below, which holds on any x86_64/arm64 CPU and across the admitted versions:

* integer images: :data:`LEVELS` grey level;
* float32 images (values in [0, 1]): :data:`FLOAT32_ULPS` ulps of 1.0 (``2 ** -23`` each).

CI runs the library-facing tests a second time with OpenCV's and torch's SIMD dispatch
limited (``OPENCV_CPU_DISABLE``, ``ATEN_CPU_CAPABILITY=default``; see ``.ci/run``), so a
comparison that is exact on one CPU only fails there rather than on a user's machine.
"""

from __future__ import annotations

import cv2
import numpy as np

#: OpenCV 4.x warps and remaps images at sample positions rounded to 1/32 pixel (its
#: ``INTER_TAB_SIZE`` table), float32 images included; 5.x samples float32 images at the
#: exact positions, as torch's ``grid_sample`` does. Tests that compare the per-image path
#: (OpenCV) with the batched one (torch) state a wider tolerance for 4.x: a position off by
#: at most 1/64 pixel on each axis moves a value by at most ``(|d/dx| + |d/dy|) / 64``.
OPENCV_ROUNDS_POSITIONS = int(cv2.__version__.split(".")[0]) < 5

LEVELS = 1
FLOAT32_ULPS = 1
FLOAT32_ULP_OF_ONE = float(np.finfo(np.float32).eps)


def library_tolerance(dtype: np.dtype) -> float:
    """The largest difference allowed between two library computations of one image."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        return float(LEVELS)
    if dtype == np.float32:
        return FLOAT32_ULPS * FLOAT32_ULP_OF_ONE
    raise TypeError(f"no stated tolerance for {dtype}; expected an integer dtype or float32")


def assert_library_close(actual, expected, err_msg: str = "") -> None:
    """Assert same shape and dtype, and values within :func:`library_tolerance`."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape} {err_msg}"
    assert actual.dtype == expected.dtype, f"dtype {actual.dtype} != {expected.dtype} {err_msg}"
    tolerance = library_tolerance(actual.dtype)
    np.testing.assert_allclose(
        actual.astype(np.float64), expected.astype(np.float64), rtol=0, atol=tolerance,
        err_msg=err_msg,
    )


def opencv_position_slack(images: np.ndarray) -> tuple[float, float]:
    """How much OpenCV 4's rounding of sample positions (to 1/32 pixel, so by at most 1/64
    on each axis) can move a bilinear sample of ``images`` (a stack ``[n, H, W]`` or
    ``[n, H, W, C]`` of values in [0, 1]): ``(|d/dx| + |d/dy|) / 64`` with the derivatives
    bounded by the differences between neighbouring pixels, as ``(largest, mean)`` over
    the images (the mean for tests that bound a mean difference). ``(0.0, 0.0)`` for
    OpenCV 5, which samples at the exact positions."""
    if not OPENCV_ROUNDS_POSITIONS:
        return 0.0, 0.0
    values = np.asarray(images, np.float64)
    dx, dy = np.abs(np.diff(values, axis=2)), np.abs(np.diff(values, axis=1))
    largest = (dx.max(initial=0.0) + dy.max(initial=0.0)) / 64
    return float(largest), float((dx.mean() + dy.mean()) / 64)
