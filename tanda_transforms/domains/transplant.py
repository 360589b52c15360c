"""``lesion_transplant``: a lesion from a pool, rotated, scaled and mirrored, stitched into the
breast by Poisson blending at a place chosen on tissue (registered as a photometric op).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from tanda_transforms.domains.lesion_pool import (
    coarse_view,
    get_lesion_pool,
    registered_pools_only,
    white_level,
)
from tanda_transforms.domains.poisson import poisson_blend
from tanda_transforms.functional import check_image, check_real, to_float32, value_max
from tanda_transforms.registry import register_op

__all__ = ["lesion_transplant"]

_TISSUE_FRACTION = 0.1  # tissue: above this fraction of the image's white level
_CEILING_OVER_WHITE = 1.1  # transplanted detail stays below 1.1 x the white level
_MAX_LESION_FRACTION = 0.5  # a lesion's blend region spans at most this much of the image
_BLENDS = ("poisson", "superpose")


@register_op(
    "lesion_transplant",
    kind="photometric",
    random=True,
    bounds={"max_degrees": (0, 180), "scale_range": (0, 0.9), "blend": _BLENDS},
    file_check=registered_pools_only,
)
def lesion_transplant(
    img: np.ndarray,
    pool: str,
    max_degrees: float = 180.0,
    scale_range: float = 0.2,
    blend: str = "poisson",
    *,
    rng: np.random.Generator,
) -> np.ndarray:
    """Stitch a lesion from a pool into the breast with Poisson blending.

    One lesion is drawn from the pool, rotated by an angle uniform in
    ``[-max_degrees, max_degrees]``, scaled by a factor uniform in
    ``[1 - scale_range, 1 + scale_range]`` and mirrored with probability 1/2 (bilinear
    resampling of the float32 patch).

    The blend region is the lesion mask grown by a fifth of the lesion's radius (at least 2
    pixels), so the lesion's margin blends into the new surroundings, less any donor pixel
    darker than a tenth of the donor film's white level (background beyond the donor's skin
    line); those pixels are first inpainted from nearby tissue so that the skin-line edge
    does not come along as a gradient either.

    The region is placed uniformly at random where it lies entirely on breast tissue (the
    largest connected area above a tenth of the image's white level, its 99.5th percentile,
    so film labels do not count) and inside the image; the search runs on a view of at most
    256 pixels a side. If there is no such place the lesion's centre goes on tissue (and
    anywhere on an image without tissue). A lesion larger than half the image's smaller side
    is shrunk to fit.

    The lesion's gradients are scaled by the ratio of the image's white level to its donor
    film's, and bright detail is compressed smoothly below 1.1 times the white level rather
    than clipped (``ceiling`` of :func:`~tanda_transforms.domains.poisson.poisson_blend`): a
    mass moved from fatty into dense tissue gets the low contrast dense tissue gives it on
    film, not a saturated blob.

    The op is registered as photometric (no pixel moves): masks, boxes and keypoints are
    not changed, and a lesion mask does **not** gain the transplanted lesion.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 (in [0, 1]) one-channel image, ``H x W`` or ``H x W x 1``.
    pool : str
        A name given to :func:`register_lesion_pool` or a path to a pool ``.npz``.
    max_degrees : float
        Largest rotation, in [0, 180] (lesions have no preferred orientation: 180).
    scale_range : float
        Largest relative size change, in [0, 0.9].
    blend : str
        ``"poisson"``: classic Poisson blending, the lesion's gradients replace the image's
        in the blend region. ``"superpose"``: the lesion's detail is added to the image's
        own (guidance = sum of both gradients), so structures under the lesion (strands,
        the pectoral edge) stay visible, as overlapping tissue does in a projection.
    rng : numpy.random.Generator
        Source of every random choice; the same state gives the same output.

    Returns
    -------
    np.ndarray
        A new array, same shape and dtype; only pixels of the blend region differ.

    Raises
    ------
    LesionPoolNotFoundError
        If ``pool`` names no registered pool and no ``.npz`` file.

    Examples
    --------
    >>> from tanda_transforms.domains import LesionPool, register_lesion_pool
    >>> yy, xx = np.mgrid[-10:11, -10:11]
    >>> lesion = (0.3 + 0.4 * np.exp(-(yy**2 + xx**2) / 30.0)).astype(np.float32)
    >>> register_lesion_pool("doc", LesionPool([lesion], [yy**2 + xx**2 <= 25]), replace=True)
    >>> img = np.full((64, 64), 20000, np.uint16)
    >>> out = lesion_transplant(img, "doc", rng=np.random.default_rng(1))
    >>> out.dtype, int(out.max()) > 20000, int((out != img).sum()) < 21 * 21
    (dtype('uint16'), True, True)
    """
    check_image(img)
    plane = _one_channel(img)
    max_degrees = check_real(max_degrees, "max_degrees", low=0.0, high=180.0)
    scale_range = check_real(scale_range, "scale_range", low=0.0, high=0.9)
    if blend not in _BLENDS:
        raise ValueError(f"blend must be one of {_BLENDS}, got {blend!r}")
    lesions = get_lesion_pool(pool)
    index = int(rng.integers(len(lesions)))
    angle = float(rng.uniform(-max_degrees, max_degrees))
    scale = float(rng.uniform(1.0 - scale_range, 1.0 + scale_range))
    mirror = bool(rng.random() < 0.5)
    patch, mask = lesions[index]
    limit = max(3, int(_MAX_LESION_FRACTION * min(plane.shape)))
    donor_tissue = _TISSUE_FRACTION * lesions.white_levels[index]
    source, region = _transform_lesion(patch, mask, angle, scale, mirror, donor_tissue)
    extent = max(region.shape)
    if extent > limit:
        shrink = scale * limit / extent
        source, region = _transform_lesion(patch, mask, angle, shrink, mirror, donor_tissue)
    stride, white, tissue = _tissue_map(plane)
    top, left = _place(region, plane.shape, stride, tissue, rng)
    gain = float(np.clip(white / lesions.white_levels[index], 1 / 256, 256))
    ceiling = min(1.0, _CEILING_OVER_WHITE * white)
    superpose = blend == "superpose"
    return poisson_blend(
        img, source, region, top, left, gain=gain, ceiling=ceiling, superpose=superpose
    )


def _one_channel(img: np.ndarray) -> np.ndarray:
    if img.ndim == 3:
        if img.shape[2] != 1:
            raise ValueError(
                f"lesion_transplant works on one-channel mammograms (H x W or H x W x 1), "
                f"got shape {img.shape}"
            )
        return img[:, :, 0]
    return img


def _transform_lesion(
    patch: np.ndarray,
    mask: np.ndarray,
    angle: float,
    scale: float,
    mirror: bool,
    tissue_level: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Rotated / scaled / mirrored float32 patch and its blend region, cropped to the region
    plus a one-pixel ring. The region leaves out donor pixels below ``tissue_level`` (the
    background beyond the donor's skin line), which are inpainted from nearby tissue."""
    source = to_float32(patch)
    lesion = mask.astype(np.float32)
    if mirror:
        source, lesion = source[:, ::-1].copy(), lesion[:, ::-1].copy()
    background = cv2.dilate(
        (source <= tissue_level).astype(np.uint8), np.ones((3, 3), np.uint8), iterations=2
    )
    if background.any() and not background.all():
        # Paint the donor's background over with nearby tissue (before resampling, which
        # would blend the two), so its skin-line edge does not come along as a gradient.
        source = cv2.inpaint(source, background, 3, cv2.INPAINT_TELEA)
    h, w = patch.shape
    side = int(math.ceil(math.hypot(h, w) * scale)) + 4
    matrix = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, scale)
    matrix[:, 2] += (side - 1) / 2 - np.array([(w - 1) / 2, (h - 1) / 2])
    size = (side, side)
    warped = cv2.warpAffine(
        source, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
    )
    np.clip(warped, 0.0, 1.0, out=warped)
    valid = (1 - background).astype(np.uint8)
    inside = cv2.warpAffine(valid, matrix, size, flags=cv2.INTER_NEAREST, borderValue=0)
    inside = cv2.erode(inside, np.ones((3, 3), np.uint8), borderValue=0).astype(bool)
    core = cv2.warpAffine(lesion, matrix, size, flags=cv2.INTER_LINEAR, borderValue=0) > 0.5
    if not core.any():  # a lesion of a pixel or two, shrunk: keep its centre
        core[side // 2, side // 2] = True
    radius = math.sqrt(core.sum() / math.pi)
    grow = max(2, int(round(0.2 * radius)))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    grown = cv2.dilate(core.astype(np.uint8), disc).astype(bool)
    region = grown & inside
    if not region.any():  # a lesion on the donor's background only: take it as it is
        region = grown & cv2.erode(
            cv2.warpAffine(np.ones((h, w), np.uint8), matrix, size, borderValue=0),
            np.ones((3, 3), np.uint8),
            borderValue=0,
        ).astype(bool)
    if not region.any():
        region[side // 2, side // 2] = True
    rows, cols = np.nonzero(region)
    r0, r1 = max(int(rows.min()) - 1, 0), min(int(rows.max()) + 2, side)
    c0, c1 = max(int(cols.min()) - 1, 0), min(int(cols.max()) + 2, side)
    return warped[r0:r1, c0:c1], region[r0:r1, c0:c1]


def _tissue_map(plane: np.ndarray) -> tuple[int, float, np.ndarray]:
    """``(stride, white level, tissue)``: the largest 4-connected region of the strided view
    above a tenth of the white level (the breast), as a bool map."""
    stride, view = coarse_view(plane)
    white = white_level(plane)
    tissue = (view > _TISSUE_FRACTION * white * value_max(plane.dtype)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(tissue, connectivity=4)
    if count > 2:  # keep the breast, drop film labels and markers
        largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        return stride, white, labels == largest
    return stride, white, tissue.astype(bool)


def _place(
    region: np.ndarray,
    shape: tuple[int, int],
    stride: int,
    tissue: np.ndarray,
    rng: np.random.Generator,
) -> tuple[int, int]:
    """Top-left corner for ``region`` in an image of ``shape``: on tissue, inside the image."""
    height, width = shape
    rh, rw = region.shape
    th, tw = tissue.shape
    # Footprint of the region on the strided grid, one cell larger for the jitter inside a cell.
    fh, fw = -(-rh // stride) + 1, -(-rw // stride) + 1
    footprint = np.zeros((fh, fw), np.uint8)
    rows, cols = np.nonzero(region)
    for dy in (0, 1):
        for dx in (0, 1):
            footprint[rows // stride + dy, cols // stride + dx] = 1
    # Anchors (top-left cells) from which the whole image still holds the region.
    fits = np.zeros((th, tw), bool)
    fits[: max(0, (height - rh) // stride + 1), : max(0, (width - rw) // stride + 1)] = True
    on_tissue = cv2.erode(
        tissue.astype(np.uint8),
        footprint,
        anchor=(0, 0),
        borderType=cv2.BORDER_CONSTANT,
        borderValue=0,
    ).astype(bool)
    candidates = np.flatnonzero(on_tissue & fits)
    if not len(candidates):  # the breast is too small for the region: put its centre on tissue
        centre = np.zeros_like(fits)
        cy, cx = rh // 2 // stride, rw // 2 // stride
        centre[: th - cy, : tw - cx] = tissue[cy:, cx:]
        candidates = np.flatnonzero(centre & fits)
    if not len(candidates):  # no tissue at all
        candidates = np.flatnonzero(fits)
    cell = int(candidates[rng.integers(len(candidates))])
    jitter = rng.integers(0, stride, size=2)
    top = min((cell // tw) * stride + int(jitter[0]), height - rh)
    left = min((cell % tw) * stride + int(jitter[1]), width - rw)
    return max(top, 0), max(left, 0)
