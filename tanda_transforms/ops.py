"""The built-in op table: every op a TF can name, registered with its kind.

Geometric ops are warp builders (``op(shape, **args) -> warp``), photometric ops map an image
to an image; both are thin wrappers of :mod:`tanda_transforms.functional`. The few ops whose
TF has a random part (where a cutout lands, the offsets of pad-and-crop, the noise of elastic
deformation and Gaussian noise) draw it from the ``rng`` the caller passes.

Sizes that depend on resolution are fractions, so one TF means the same on a 28x28 digit and
a 1024x1024 mammogram: ``translate(dx=0.1)`` moves by a tenth of the width, ``cutout(size=0.25)``
blanks a square a quarter of the smaller side, ``pad_and_crop(padding=0.125)`` pads by an eighth,
``swirl(radius=3.5)`` has a radius of 3.5 times the smaller side.

Bounds. Every argument is bounded (``register_op(..., bounds=...)``), so that a TF built in
code or read from a policy file is meaningful and costs a bounded time on any image; outside
its bounds ``TF(...)`` and loading raise ``ValueError`` / ``PolicyFileError``. Each range
covers the built-in packs, the paper's values and the usual augmentation libraries with room
to spare, and stops where more would change nothing or only cost:

- ``rotate(degrees)`` in [-360, 360]: one full turn either way covers every angle (huge
  values overflowed, ``10**400`` raised ``OverflowError``).
- ``zoom(factor)`` in [0.1, 10]: a tenth of the size or ten times it; beyond, the image is a
  dot or one blown-up pixel.
- ``shear(factor)`` in [-5, 5] (about 79 degrees), ``axis`` ``"x"`` or ``"y"``: the warp's
  cost grows with the factor (1000 took 1 s on 1024 px, 1e300 hung).
- ``translate(dx, dy)`` in [-1, 1]: a whole width or height moves the image out of view; the
  cost grows linearly with the shift (``dx=1e7`` took 32 s on 12 x 12 px).
- ``swirl(strength)`` in [-10, 10] radians (more is noise), ``radius`` in [0.01, 100] times
  the smaller side (the default 3.5 matches scikit-image on 28 px digits).
- ``elastic(alpha)`` in [0, 10000] pixels and ``sigma`` in [0, 32] pixels: the paper uses
  alpha 1-1.5 with sigma 1, the mammography pack 200 with sigma 8; the smoothing kernel is
  8 sigma wide, so its cost is linear in sigma (``sigma=1e6`` hung, ``alpha=1e30`` too).
- ``gaussian_blur(sigma)`` in [0, 32] pixels: the same kernel; 32 blurs a 256 px image to
  a few blobs (0.05 s on 1024 px).
- ``erosion`` / ``dilation(size)`` in [1, 63] pixels (odd): ``10**9 + 1`` raised
  ``MemoryError`` building the kernel.
- ``pad_and_crop(padding)`` in [0, 0.5] of the smaller side, ``cutout(size)`` in [0.01, 1]
  and ``fill`` in [0, 1]: fractions, beyond which the crop or the patch is the image.
- ``brightness`` / ``contrast`` / ``saturation`` / ``sharpen(factor)`` in [0, 10] (1 is the
  identity; ten times saturates anything), ``gamma`` in [0.1, 10], ``hue_shift(shift)`` in
  [-0.5, 0.5] of the hue circle, ``posterize(bits)`` in [1, 16], ``solarize(threshold)`` in
  [0, 1], ``gaussian_noise(std)`` in [0, 1] of the value range.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms.registry import get_op
>>> img = np.arange(16, dtype=np.uint8).reshape(4, 4)
>>> get_op("hflip").fn(img.shape).apply(img)[0].tolist()
[3, 2, 1, 0]
>>> get_op("invert").fn(img)[0].tolist()
[255, 254, 253, 252]
>>> bool((get_op("identity").fn(img) == img).all())
True
"""

from __future__ import annotations

import numpy as np

from tanda_transforms import functional as F
from tanda_transforms.registry import register_op

Warp = F.AffineWarp | F.DenseWarp


def _shape(img: np.ndarray) -> tuple[int, int]:
    F.check_image(img)
    return img.shape[0], img.shape[1]


# --- geometric: warp builders (see tanda_transforms.registry) --------------------------------


@register_op("rotate", kind="geometric", bounds={"degrees": (-360, 360)})
def rotate(shape: tuple[int, int], degrees: float) -> Warp:
    """Rotate counter-clockwise by ``degrees`` about the centre."""
    return F.rotate_warp(shape, degrees)


@register_op("zoom", kind="geometric", bounds={"factor": (0.1, 10)})
def zoom(shape: tuple[int, int], factor: float) -> Warp:
    """Scale about the centre; ``factor > 1`` magnifies."""
    return F.zoom_warp(shape, factor)


@register_op("shear", kind="geometric", bounds={"factor": (-5, 5), "axis": ("x", "y")})
def shear(shape: tuple[int, int], factor: float, axis: str = "x") -> Warp:
    """Shear along ``axis`` by ``factor``."""
    return F.shear_warp(shape, factor, axis=axis)


@register_op("translate", kind="geometric", bounds={"dx": (-1, 1), "dy": (-1, 1)})
def translate(shape: tuple[int, int], dx: float = 0.0, dy: float = 0.0) -> Warp:
    """Shift by fractions of the width (``dx``) and height (``dy``)."""
    return F.translate_warp(shape, dx, dy)


@register_op("hflip", kind="geometric")
def hflip(shape: tuple[int, int]) -> Warp:
    """Mirror left-right."""
    return F.hflip_warp(shape)


@register_op("vflip", kind="geometric")
def vflip(shape: tuple[int, int]) -> Warp:
    """Mirror top-bottom."""
    return F.vflip_warp(shape)


@register_op("swirl", kind="geometric", bounds={"strength": (-10, 10), "radius": (0.01, 100)})
def swirl(shape: tuple[int, int], strength: float, radius: float = 3.5) -> Warp:
    """Swirl about the centre (scikit-image semantics), ``strength`` radians at the centre.

    ``radius`` is a fraction of the smaller side. The default 3.5 matches scikit-image's own
    default (100 px) on the 28-32 px images the paper swirled, so ``swirl(strength=0.1)``
    means on a 1024 px mammogram what it meant on a digit.
    """
    if not radius > 0:
        raise ValueError(f"radius must be a positive fraction of the smaller side, got {radius!r}")
    return F.swirl_warp(shape, strength, radius * min(shape[:2]))


@register_op(
    "elastic", kind="geometric", random=True, bounds={"alpha": (0, 10_000), "sigma": (0, 32)}
)
def elastic(shape: tuple[int, int], alpha: float, sigma: float, *, rng) -> Warp:
    """Elastic deformation with RMS displacement ``alpha`` pixels, smoothness ``sigma``."""
    return F.elastic_warp(shape, alpha, sigma, seed=rng)


@register_op("pad_and_crop", kind="geometric", random=True, bounds={"padding": (0, 0.5)})
def pad_and_crop(shape: tuple[int, int], padding: float = 0.125, *, rng) -> Warp:
    """Pad by ``padding`` (a fraction of the smaller side), crop back at a random offset."""
    if not 0 <= padding < 1:
        raise ValueError(f"padding must be a fraction in [0, 1), got {padding!r}")
    pad = int(round(padding * min(shape[:2])))
    top, left = (int(v) for v in rng.integers(0, 2 * pad + 1, size=2))
    return F.pad_and_crop_warp(shape, pad, top, left)


# --- morphology -----------------------------------------------------------------------------


@register_op("erosion", kind="photometric", bounds={"size": (1, 63)})
def erosion(img: np.ndarray, size: int = 3):
    """Grey erosion with a square ``size`` x ``size`` kernel."""
    return F.erosion(img, size)


@register_op("dilation", kind="photometric", bounds={"size": (1, 63)})
def dilation(img: np.ndarray, size: int = 3):
    """Grey dilation with a square ``size`` x ``size`` kernel."""
    return F.dilation(img, size)


# --- photometric ----------------------------------------------------------------------------


def _identity_kernel(x, args, draws, dtype):
    """Batched identity: a new tensor equal to ``x`` (the kernel contract forbids aliasing)."""
    return x.clone()


@register_op("identity", kind="photometric", batched=_identity_kernel)
def identity(img: np.ndarray) -> np.ndarray:
    """Return a copy of the image (TrivialAugment's and RandAugment's no-op, as a TF)."""
    F.check_image(img)
    return img.copy()



def _register_plain(name: str, fn, bounds: dict[str, tuple]) -> None:
    """Register a functional op whose arguments map one to one."""
    register_op(name, kind="photometric", bounds=bounds)(fn)


for _name, _bounds in {
    "brightness": {"factor": (0, 10)},
    "contrast": {"factor": (0, 10)},
    "saturation": {"factor": (0, 10)},
    "hue_shift": {"shift": (-0.5, 0.5)},
    "gamma": {"gamma": (0.1, 10)},
    "gaussian_blur": {"sigma": (0, 32)},
    "sharpen": {"factor": (0, 10)},
    "equalize": {},
    "autocontrast": {},
    "posterize": {"bits": (1, 16)},
    "solarize": {"threshold": (0, 1)},
    "invert": {},
}.items():
    _register_plain(_name, getattr(F, _name), _bounds)


@register_op("gaussian_noise", kind="photometric", random=True, bounds={"std": (0, 1)})
def gaussian_noise(img: np.ndarray, std: float, *, rng):
    """Add Gaussian noise of ``std`` (a fraction of the value range)."""
    return F.gaussian_noise(img, std, seed=rng)


@register_op("cutout", kind="photometric", random=True, bounds={"size": (0.01, 1), "fill": (0, 1)})
def cutout(img: np.ndarray, size: float = 0.25, fill: float = 0.0, *, rng):
    """Blank a square of side ``size`` (fraction of the smaller side) centred at random."""
    h, w = _shape(img)
    if not 0 < size <= 1:
        raise ValueError(f"size must be a fraction in (0, 1], got {size!r}")
    side = max(1, int(round(size * min(h, w))))
    cy, cx = int(rng.integers(0, h)), int(rng.integers(0, w))
    return F.cutout(img, cy - side // 2, cx - side // 2, side, side, fill=fill)
