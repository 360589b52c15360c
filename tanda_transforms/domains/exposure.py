"""``mammo_exposure``: a change of exposure and detector response, bounded to what a
mammography unit with automatic exposure control produces (registered as a photometric op).
"""

from __future__ import annotations

import math

import numpy as np

from tanda_transforms.functional import check_image, check_real, value_max
from tanda_transforms.registry import register_op

__all__ = ["BRIGHTNESS_BOUNDS", "CONTRAST_BOUNDS", "mammo_exposure"]

#: Allowed ``contrast`` of :func:`mammo_exposure` (inclusive): slope change at mid-grey.
CONTRAST_BOUNDS: tuple[float, float] = (0.8, 1.25)
#: Allowed ``brightness`` of :func:`mammo_exposure` (inclusive): mid-grey shift, fraction of range.
BRIGHTNESS_BOUNDS: tuple[float, float] = (-0.1, 0.1)

_FLOAT_CHUNK = 1 << 20  # float32 images are processed this many values at a time


def mammo_exposure(img: np.ndarray, contrast: float = 1.0, brightness: float = 0.0) -> np.ndarray:
    """Change exposure and detector response within what a mammography unit produces.

    Model: a film's (or a processed digital image's) grey level is a sigmoid of log exposure
    (the Hurter-Driffield characteristic curve: toe, straight part, shoulder). A different
    tube load (mAs) shifts log exposure; a different beam quality (kVp) or film gradient /
    detector processing scales the straight part's slope. So the grey value ``x`` in [0, 1]
    maps to ``sigmoid(contrast * logit(x) + logit(0.5 + brightness))``: ``contrast`` is the
    slope at mid-grey, ``brightness`` the shift of mid-grey (as a fraction of the range),
    while black stays black and white stays white (saturated background and markers are not
    turned grey). ``contrast=1, brightness=0`` is the identity.

    Bounds (:data:`CONTRAST_BOUNDS`, :data:`BRIGHTNESS_BOUNDS`; outside them ValueError):

    * ``contrast`` in [0.8, 1.25], symmetric in log. Across the clinical range of tube
      voltage (about 25 to 32 kVp) soft-tissue subject contrast changes by roughly a fifth,
      and film gradient / detector look-up tables differ by about 10 % between units and
      processors; a larger change gives an image a reader would call washed out or harsh.
    * ``brightness`` in [-0.1, 0.1]. Automatic exposure control aims every exposure at one
      target density and quality control keeps it within the order of +-0.15 optical
      density (about 5 % of the useful density range), with operator density steps of a
      similar size on top; a tenth of the range covers both. Larger errors are repeat
      exposures, not data.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 (in [0, 1]) image, ``H x W`` or ``H x W x C``.
    contrast : float
        Slope at mid-grey, in [0.8, 1.25].
    brightness : float
        Mid-grey shift, in [-0.1, 0.1]; > 0 is brighter (less exposure on film).

    Returns
    -------
    np.ndarray
        A new array, same shape and dtype. Integer images go through a look-up table (no
        float copy of the image); float32 images are processed in chunks of 1M values.

    Examples
    --------
    >>> img = np.array([[0, 64, 128, 192, 255]], np.uint8)
    >>> mammo_exposure(img, contrast=1.25).tolist()
    [[0, 52, 128, 204, 255]]
    >>> mammo_exposure(img, brightness=0.1).tolist()
    [[0, 85, 153, 209, 255]]
    >>> mammo_exposure(img, contrast=2.0)
    Traceback (most recent call last):
    ...
    ValueError: mammo_exposure: contrast must be in [0.8, 1.25] (what kVp and film/detector \
response produce), got 2.0
    """
    check_image(img)
    contrast = _bounded(
        "contrast", contrast, CONTRAST_BOUNDS, "what kVp and film/detector response produce"
    )
    brightness = _bounded(
        "brightness", brightness, BRIGHTNESS_BOUNDS, "what exposure control lets through"
    )
    if contrast == 1.0 and brightness == 0.0:
        return img.copy()
    shift = math.log((0.5 + brightness) / (0.5 - brightness))
    if img.dtype != np.float32:
        vmax = value_max(img.dtype)
        levels = np.arange(int(vmax) + 1, dtype=np.float64) / vmax
        curve = _exposure_curve(levels, contrast, shift)
        lut = np.clip(np.rint(curve * vmax), 0, vmax).astype(img.dtype)
        return lut[img]  # fancy indexing: no index-array copy, unlike np.take
    out = np.empty(img.shape, np.float32)  # C order, so that reshape(-1) is a view
    flat_in, flat_out = img.reshape(-1), out.reshape(-1)
    for start in range(0, flat_in.size, _FLOAT_CHUNK):
        chunk = flat_in[start : start + _FLOAT_CHUNK]
        flat_out[start : start + _FLOAT_CHUNK] = _exposure_curve(chunk, contrast, shift)
    np.clip(out, 0.0, 1.0, out=out)
    return out


def _bounded(name: str, value: float, bounds: tuple[float, float], why: str) -> float:
    value = check_real(value, name)
    low, high = bounds
    if not low <= value <= high:
        raise ValueError(f"mammo_exposure: {name} must be in [{low}, {high}] ({why}), got {value}")
    return value


def _exposure_curve(x: np.ndarray, contrast: float, shift: float) -> np.ndarray:
    """``sigmoid(contrast * logit(x) + shift)`` in ``x``'s float dtype; 0 -> 0 and 1 -> 1."""
    dtype = x.dtype.type
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        u = np.log(x)
        u -= np.log1p(-x)  # logit; -inf at 0 and +inf at 1
        u *= dtype(contrast)
        u += dtype(shift)
        np.negative(u, out=u)
        np.exp(u, out=u)
        u += dtype(1)
        np.reciprocal(u, out=u)
    return u


register_op(
    "mammo_exposure",
    kind="photometric",
    bounds={"contrast": CONTRAST_BOUNDS, "brightness": BRIGHTNESS_BOUNDS},
)(mammo_exposure)
