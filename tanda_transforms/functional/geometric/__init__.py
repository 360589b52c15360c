"""Geometric image operations built on two small warp objects.

Every geometric op is "build a warp, then apply it", so that targets (masks, boxes,
keypoints) can later follow the image exactly:

* :class:`AffineWarp` holds a forward 2 x 3 matrix mapping source ``(x, y)`` to
  destination ``(x, y)`` and is applied with ``cv2.warpAffine``.
* :class:`DenseWarp` holds inverse maps (for every destination pixel, its source
  coordinates) and is applied with ``cv2.remap``.

Coordinates: pixel ``(col, row)`` has its centre at ``(x, y) = (col, row)``; ``x`` grows
to the right and ``y`` downwards.  Rotation, zoom, shear and swirl act about the image
centre ``((W - 1) / 2, (H - 1) / 2)``.

Border modes: ``"reflect"`` mirrors without repeating the edge pixel (``numpy.pad`` /
``torch`` "reflect", ``cv2.BORDER_REFLECT_101``), ``"edge"`` repeats the edge pixel and
``"constant"`` fills with ``fill``, a fraction of the dtype range in [0, 1].

Builders of deterministic warps (rotate, zoom, shear, swirl, ...) cache what they compute
per (shape, arguments), so warps built alike share arrays; shared arrays are read-only
(``AffineWarp.matrix``, swirl ``map_x`` / ``map_y``).

The code is split by family, as Albumentations splits its geometric transforms:
:mod:`.affine` (:class:`AffineWarp`, its builders, the exact flips), :mod:`.dense`
(:class:`DenseWarp`, swirl, elastic), :mod:`.composition` (composing warps into one) and
``_common`` (argument checks, grids, caching).
A new geometric op is a warp builder registered with
:func:`tanda_transforms.registry.register_op` (``kind="geometric"``), in one file: see the
README's ``stretch_x`` example.
"""

from . import affine, dense
from .affine import *  # noqa: F403
from .dense import *  # noqa: F403

__all__ = [*affine.__all__, *dense.__all__]
