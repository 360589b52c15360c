"""The built-in ops: every op a TF can name, one module per family, each op in one place.

An op family's module holds, for each of its ops, the per-image numpy kernel, the batched
torch kernel (``<op>_batch``), the argument bounds and, for an op with a random part, its one
draw function (:mod:`.draw` writes a draw once for a numpy and a torch generator), and
registers the op with :func:`~tanda_transforms.registry.register_op` (``batched=...``), the
route a user's op takes too. No other table lists the ops or their kernels: the batched
renderer reads them from the registry, :mod:`tanda_transforms.functional` and
:mod:`tanda_transforms.batched.photometric` gather the kernels under their old names.

- :mod:`.photometric.enhance`: brightness, contrast, gamma;
- :mod:`.photometric.colour`: saturation, hue_shift;
- :mod:`.photometric.filters`: gaussian_blur, sharpen, gaussian_noise, cutout;
- :mod:`.photometric.levels`: equalize, autocontrast, posterize, solarize, invert, identity;
- :mod:`.morphology`: erosion, dilation;
- :mod:`.geometric`: rotate, zoom, shear, translate, hflip, vflip, swirl, elastic,
  pad_and_crop: warp builders ``op(shape, **args) -> warp`` over the warps of
  :mod:`tanda_transforms.functional` (which imports the photometric families, so this
  package imports :mod:`.geometric` only when the registry loads the built-ins).

:mod:`.kernel` holds the contracts of a batched kernel (``PhotometricKernel``,
``WarpKernel``); ``_numpy_common`` and ``_torch_common`` the helpers the families' kernels
share. A new photometric op with both kernels is one module: its family's, or a new one
imported below (see ``tests/test_op_home.py`` for a user's op, written the same way).

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

from tanda_transforms.ops import morphology  # noqa: F401  (registers its ops)
from tanda_transforms.ops.morphology import dilation, erosion
from tanda_transforms.ops.photometric import colour, enhance, filters, levels  # noqa: F401
from tanda_transforms.ops.photometric.filters import cutout_op as cutout
from tanda_transforms.ops.photometric.filters import gaussian_noise_op as gaussian_noise
from tanda_transforms.ops.photometric.levels import identity

__all__ = ["cutout", "dilation", "erosion", "gaussian_noise", "identity"]
