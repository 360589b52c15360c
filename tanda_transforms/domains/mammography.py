"""Domain-specific transformation functions for mammograms.

The paper's strongest result (Ratner et al. 2017, DDSM mammograms) came from adding
domain-specific TFs to generic ones. Two are registered here, as ops TFs can name:

``lesion_transplant(pool, max_degrees=180.0, scale_range=0.2)``
    Takes a lesion from a :class:`LesionPool`, rotates, scales and (with probability 1/2)
    mirrors it, and stitches it into the image at a random place inside the breast with
    Poisson blending (:func:`~tanda_transforms.domains.poisson.poisson_blend`). Registered as
    *photometric*: no pixel moves, so masks, boxes and keypoints are left as they are; in
    particular a lesion mask is **not** updated with the transplanted lesion.

``mammo_exposure(contrast=1.0, brightness=0.0)``
    A change of exposure and detector (or film) response, with both arguments bounded to what
    an imaging chain with automatic exposure control produces (see :func:`mammo_exposure`).

Pools: a TF stores only a string naming its pool, so policy files stay plain data and
loading a policy never loads a pool. The string is either a name registered in this process
with :func:`register_lesion_pool`, or the path of a ``.npz`` file written by
:meth:`LesionPool.save` (read with ``allow_pickle=False``, validated, cached by path).
A policy file (or a serialised Albumentations pipeline) may only name registered pools: a
``.npz`` path in it is refused when it loads unless a pool is registered under that very
string, since a file from elsewhere must not make this process read ``../`` or absolute paths
of its choosing. To use such a policy, register the pool file you trust under the path the
policy names (``register_lesion_pool(path, LesionPool.load(path))``, or ``--lesion-pool
PATH`` on the command line); to share one, build its TFs with a plain pool name.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms import TFLibrary
>>> from tanda_transforms.domains import LesionPool, register_lesion_pool
>>> from tanda_transforms.domains import domain_mammography_tfs
>>> yy, xx = np.mgrid[-12:13, -12:13]
>>> blob = (80 + 120 * np.exp(-(yy**2 + xx**2) / 40.0)).astype(np.uint8)
>>> register_lesion_pool("doc-pool", LesionPool([blob], [yy**2 + xx**2 <= 36]), replace=True)
>>> lib = TFLibrary.pack("mammography") + domain_mammography_tfs("doc-pool")
>>> len(lib), lib[-7]
(31, lesion_transplant(pool='doc-pool'))
>>> breast = np.full((128, 96), 90, np.uint8)
>>> out = lib[-7](breast, np.random.default_rng(0))
>>> out.dtype, bool((out != breast).any())
(dtype('uint8'), True)
"""

from __future__ import annotations

import io
import math
import os
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from tanda_transforms.domains.poisson import poisson_blend
from tanda_transforms.functional import (
    SUPPORTED_DTYPES,
    check_image,
    check_real,
    to_float32,
    value_max,
)
from tanda_transforms.policy_file import write_atomic
from tanda_transforms.registry import register_op
from tanda_transforms.tfs import TF

__all__ = [
    "BRIGHTNESS_BOUNDS",
    "CONTRAST_BOUNDS",
    "LesionPool",
    "LesionPoolError",
    "LesionPoolNotFoundError",
    "clear_lesion_pool_cache",
    "domain_mammography_tfs",
    "get_lesion_pool",
    "lesion_transplant",
    "mammo_exposure",
    "register_lesion_pool",
    "registered_lesion_pools",
    "unregister_lesion_pool",
]

#: Allowed ``contrast`` of :func:`mammo_exposure` (inclusive): slope change at mid-grey.
CONTRAST_BOUNDS: tuple[float, float] = (0.8, 1.25)
#: Allowed ``brightness`` of :func:`mammo_exposure` (inclusive): mid-grey shift, fraction of range.
BRIGHTNESS_BOUNDS: tuple[float, float] = (-0.1, 0.1)

_POOL_FORMAT = "tanda-lesion-pool-1"
_MAX_LESIONS = 100_000
_MAX_SIDE = 8192
_MAX_TOTAL_PIXELS = 2**28
_CACHE_SIZE = 4
_COARSE_SIDE = 256  # tissue maps and white levels are read from a view this size
_TISSUE_FRACTION = 0.1  # tissue: above this fraction of the image's white level
_WHITE_PERCENTILE = 99.5
_CEILING_OVER_WHITE = 1.1  # transplanted detail stays below 1.1 x the white level
_MAX_LESION_FRACTION = 0.5  # a lesion's blend region spans at most this much of the image
_FLOAT_CHUNK = 1 << 20
_BLENDS = ("poisson", "superpose")  # float32 images are processed this many values at a time


# --------------------------------------------------------------------------- exposure


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


# --------------------------------------------------------------------------- pools


class LesionPoolError(ValueError):
    """A lesion pool (arrays or ``.npz`` file) is malformed."""


class LesionPoolNotFoundError(LookupError):
    """A TF names a lesion pool that is neither registered nor an existing ``.npz`` file."""


class LesionPool:
    """Lesion patches and their masks: the donors of ``lesion_transplant``.

    Parameters
    ----------
    patches : sequence of np.ndarray
        2-D patches (``h x w``, each side 3..8192) of dtype uint8, uint16 or float32 (in
        [0, 1]); dtypes may be mixed. Values are read on the [0, 1] scale of their dtype.
    masks : sequence of np.ndarray
        bool arrays, one per patch and of its shape, true on the lesion (not all false).
    refs : sequence of str, optional
        Where each lesion comes from (e.g. ``"mdb001 CIRC B"``); default ``"lesion <i>"``.
    white_levels : sequence of float, optional
        For each patch, the white level (99.5th percentile, on the [0, 1] scale) of the image
        it was cut from, in (0, 1]; default 1. A transplanted lesion's gradients are scaled by
        the target's white level over this one, so lesion contrast follows the target's range
        (e.g. 12-bit data stored in uint16).

    Arrays are copied and made read-only. Save with :meth:`save`, read with :meth:`load`;
    :meth:`from_mias` cuts a pool from the mini-MIAS database.

    Examples
    --------
    >>> patch = np.zeros((9, 9), np.uint8)
    >>> mask = np.zeros((9, 9), bool)
    >>> mask[3:6, 3:6] = True
    >>> pool = LesionPool([patch], [mask])
    >>> len(pool), pool[0][1].sum(), pool.refs
    (1, np.int64(9), ('lesion 0',))
    """

    def __init__(
        self,
        patches: Sequence[np.ndarray],
        masks: Sequence[np.ndarray],
        *,
        refs: Sequence[str] | None = None,
        white_levels: Sequence[float] | None = None,
    ) -> None:
        patches, masks = list(patches), list(masks)
        if not 1 <= len(patches) <= _MAX_LESIONS:
            raise LesionPoolError(
                f"a lesion pool holds 1..{_MAX_LESIONS} lesions, got {len(patches)}"
            )
        if len(masks) != len(patches):
            raise LesionPoolError(f"{len(patches)} patches but {len(masks)} masks")
        refs = [f"lesion {i}" for i in range(len(patches))] if refs is None else list(refs)
        if len(refs) != len(patches) or not all(isinstance(r, str) for r in refs):
            raise LesionPoolError(f"refs must be {len(patches)} strings, got {refs!r:.200}")
        if white_levels is None:
            white_levels = [1.0] * len(patches)
        levels = np.asarray(white_levels, dtype=np.float64)
        if levels.shape != (len(patches),) or not np.all((levels > 0) & (levels <= 1)):
            raise LesionPoolError(
                f"white_levels must be {len(patches)} numbers in (0, 1], got {white_levels!r:.200}"
            )
        total = 0
        checked_patches, checked_masks = [], []
        for i, (patch, mask) in enumerate(zip(patches, masks, strict=True)):
            patch, mask = _check_lesion(patch, mask, f"lesion {i}")
            total += patch.size
            if total > _MAX_TOTAL_PIXELS:
                raise LesionPoolError(f"a lesion pool holds at most {_MAX_TOTAL_PIXELS} pixels")
            checked_patches.append(patch)
            checked_masks.append(mask)
        self.patches: tuple[np.ndarray, ...] = tuple(checked_patches)
        self.masks: tuple[np.ndarray, ...] = tuple(checked_masks)
        self.refs: tuple[str, ...] = tuple(refs)
        self.white_levels: tuple[float, ...] = tuple(float(v) for v in levels)

    def __len__(self) -> int:
        return len(self.patches)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """``(patch, mask)`` of lesion ``index``."""
        return self.patches[index], self.masks[index]

    def __repr__(self) -> str:
        dtypes = sorted({str(p.dtype) for p in self.patches})
        return f"LesionPool({len(self)} lesions, dtypes {dtypes})"

    # --- files --------------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write the pool to a ``.npz`` file (compressed, no pickles), atomically.

        Layout: ``patch_<i>`` and ``mask_<i>`` for ``i = 0..n-1``, ``refs`` (unicode, n),
        ``white_levels`` (float32, n) and ``format`` (the string ``"tanda-lesion-pool-1"``).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "pool.npz"
        >>> pool = LesionPool([np.zeros((5, 5), np.uint16)], [np.eye(5, dtype=bool)])
        >>> pool.save(path)
        >>> LesionPool.load(path)[0][0].dtype
        dtype('uint16')
        """
        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"a lesion pool file must end in .npz, got {str(path)!r}")
        arrays: dict[str, np.ndarray] = {
            "format": np.array(_POOL_FORMAT),
            "refs": np.array(self.refs, dtype=str),
            "white_levels": np.array(self.white_levels, dtype=np.float32),
        }
        for i, (patch, mask) in enumerate(zip(self.patches, self.masks, strict=True)):
            arrays[f"patch_{i}"] = patch
            arrays[f"mask_{i}"] = mask
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        write_atomic(path, buffer.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike) -> LesionPool:
        """Read a pool written by :meth:`save` (or by hand with the same keys).

        The file is read with ``allow_pickle=False``; every array's header (dtype, shape) is
        checked before its data is read, so a bad or huge file fails fast with a clear
        :class:`LesionPoolError`. ``refs``, ``white_levels`` and ``format`` are optional.
        """
        return _load_pool(Path(path))

    # --- mini-MIAS ----------------------------------------------------------------------

    @classmethod
    def from_mias(
        cls,
        dataset_or_root,
        *,
        margin: float = 0.5,
        size: int | None = None,
        kinds: Iterable[str] | None = None,
    ) -> LesionPool:
        """Cut a patch around every located abnormality of the mini-MIAS films.

        Parameters
        ----------
        dataset_or_root : MiasDataset or path
            A :class:`~tanda_transforms.data.MiasDataset` or the folder
            :func:`~tanda_transforms.data.load_mias` reads.
        margin : float
            >= 0.25; the patch is the square of half-side ``radius * (1 + margin) + 2``
            around the abnormality's centre (clipped to the film), so blending has room
            around the lesion.
        size : int, optional
            Passed to :func:`~tanda_transforms.data.load_mias` when a folder is given
            (films resized to ``size x size``; patches then come at that scale).
        kinds : iterable of str, optional
            Abnormality classes to keep (default all: CALC, CIRC, SPIC, MISC, ARCH, ASYM).

        Returns
        -------
        LesionPool
            uint8 patches (as stored) with the abnormality's disc as mask; refs like
            ``"mdb001 CIRC B"``; white levels from each film.

        Raises
        ------
        ValueError
            If no located abnormality of the requested kinds exists.

        Examples
        --------
        >>> pool = LesionPool.from_mias("/work/shared/data/mini-mias")  # doctest: +SKIP
        >>> len(pool), pool.refs[0]  # doctest: +SKIP
        (119, 'mdb001 CIRC B')
        """
        from tanda_transforms.data import MIAS_KINDS, MiasDataset, lesion_mask, load_mias

        margin = check_real(margin, "margin", low=0.25)
        if isinstance(dataset_or_root, MiasDataset):
            if size is not None:
                raise ValueError("size applies to a folder; this MiasDataset has its own size")
            dataset = dataset_or_root
        else:
            dataset = load_mias(dataset_or_root, size=size)
        wanted = set(MIAS_KINDS[:-1] if kinds is None else kinds)
        unknown = wanted - set(MIAS_KINDS[:-1])
        if unknown:
            raise ValueError(f"unknown abnormality kinds {sorted(unknown)}; use {MIAS_KINDS[:-1]}")
        patches, masks, refs, levels = [], [], [], []
        for index, record in enumerate(dataset.records):
            if not any(a.located and a.kind in wanted for a in record.abnormalities):
                continue
            item = dataset[index]
            film = item["image"]
            white = _white_level(film)
            height, width = film.shape[:2]
            for a in item["record"].abnormalities:
                if not (a.located and a.kind in wanted):
                    continue
                row, col = a.center(height)
                half = int(math.ceil(a.radius * (1 + margin))) + 2
                r0, r1 = max(row - half, 0), min(row + half + 1, height)
                c0, c1 = max(col - half, 0), min(col + half + 1, width)
                if r1 - r0 < 3 or c1 - c0 < 3:
                    continue
                mask = lesion_mask(film.shape, [a])[r0:r1, c0:c1]
                if not mask.any():
                    continue
                patches.append(film[r0:r1, c0:c1])
                masks.append(mask)
                refs.append(" ".join(v for v in (record.ref, a.kind, a.severity) if v))
                levels.append(white)
        if not patches:
            raise ValueError(f"no located abnormality of kinds {sorted(wanted)} in {dataset!r}")
        return cls(patches, masks, refs=refs, white_levels=levels)


def _check_lesion(patch: object, mask: object, where: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(patch, np.ndarray) or patch.dtype not in SUPPORTED_DTYPES:
        got = patch.dtype if isinstance(patch, np.ndarray) else type(patch).__name__
        raise LesionPoolError(f"{where}: patch must be a uint8, uint16 or float32 array, got {got}")
    if patch.ndim != 2 or not all(3 <= s <= _MAX_SIDE for s in patch.shape):
        raise LesionPoolError(
            f"{where}: patch must be 2-D with sides in [3, {_MAX_SIDE}], got shape {patch.shape}"
        )
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
        got = mask.dtype if isinstance(mask, np.ndarray) else type(mask).__name__
        raise LesionPoolError(f"{where}: mask must be a bool array, got {got}")
    if mask.shape != patch.shape:
        raise LesionPoolError(
            f"{where}: mask has shape {mask.shape} but its patch has shape {patch.shape}"
        )
    if not mask.any():
        raise LesionPoolError(f"{where}: mask is empty (no lesion pixel)")
    if patch.dtype == np.float32 and not (
        np.isfinite(patch).all() and patch.min() >= 0 and patch.max() <= 1
    ):
        raise LesionPoolError(f"{where}: float32 patch values must be finite and in [0, 1]")
    patch, mask = np.array(patch, order="C"), np.array(mask, order="C")  # own C-order copies
    patch.flags.writeable = False
    mask.flags.writeable = False
    return patch, mask


_KEY = re.compile(r"^(patch|mask)_(0|[1-9][0-9]*)$")
_META_KEYS = ("format", "refs", "white_levels")


def _load_pool(path: Path) -> LesionPool:
    if path.suffix != ".npz":
        raise LesionPoolNotFoundError(_not_found_message(str(path)))
    if not path.is_file():
        raise LesionPoolNotFoundError(
            f"lesion pool file {str(path)!r} does not exist. "
            + _HOW_TO_BUILD.format(name="NAME")
        )
    where = f"lesion pool {str(path)!r}"
    try:
        headers = _npz_headers(path)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        raise LesionPoolError(f"{where}: not a readable .npz file ({err})") from None
    indices: dict[str, set[int]] = {"patch": set(), "mask": set()}
    total = 0
    for key, (shape, dtype) in headers.items():
        match = _KEY.match(key)
        if key in _META_KEYS:
            continue
        if match is None:
            raise LesionPoolError(
                f"{where}: unexpected array {key!r}; a pool holds patch_<i>, mask_<i> "
                f"and optionally {', '.join(_META_KEYS)}"
            )
        kind = match.group(1)
        indices[kind].add(int(match.group(2)))
        allowed = (np.dtype(bool),) if kind == "mask" else SUPPORTED_DTYPES
        if dtype.hasobject or dtype.newbyteorder("=") not in allowed:
            need = "bool" if kind == "mask" else "uint8, uint16 or float32"
            raise LesionPoolError(f"{where}: {key} must have dtype {need}, got {dtype}")
        if len(shape) != 2 or not all(3 <= s <= _MAX_SIDE for s in shape):
            raise LesionPoolError(
                f"{where}: {key} must be 2-D with sides in [3, {_MAX_SIDE}], got shape {shape}"
            )
        total += math.prod(shape) if kind == "patch" else 0
    n = len(indices["patch"])
    if n == 0:
        raise LesionPoolError(f"{where}: no patch_<i> arrays (empty pool)")
    if indices["patch"] != set(range(n)) or indices["mask"] != set(range(n)):
        raise LesionPoolError(
            f"{where}: expected patch_0..patch_{n - 1} and mask_0..mask_{n - 1}, got patches "
            f"{sorted(indices['patch'])[:10]} and masks {sorted(indices['mask'])[:10]}"
        )
    if n > _MAX_LESIONS or total > _MAX_TOTAL_PIXELS:
        raise LesionPoolError(f"{where}: too large ({n} lesions, {total} pixels)")
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = {k: npz[k] for k in _META_KEYS if k in headers}
            patches = [npz[f"patch_{i}"] for i in range(n)]
            masks = [npz[f"mask_{i}"] for i in range(n)]
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
        raise LesionPoolError(f"{where}: cannot read arrays ({err})") from None
    if "format" in meta and (meta["format"].shape != () or str(meta["format"]) != _POOL_FORMAT):
        raise LesionPoolError(f"{where}: format must be {_POOL_FORMAT!r}, got {meta['format']!r}")
    refs = meta.get("refs")
    if refs is not None and (refs.dtype.kind != "U" or refs.shape != (n,)):
        raise LesionPoolError(f"{where}: refs must be {n} strings, got {refs.dtype} {refs.shape}")
    levels = meta.get("white_levels")
    if levels is not None and (levels.dtype.kind != "f" or levels.shape != (n,)):
        raise LesionPoolError(f"{where}: white_levels must be {n} floats")
    patches = [p.astype(p.dtype.newbyteorder("="), copy=False) for p in patches]
    try:
        return LesionPool(
            patches,
            masks,
            refs=None if refs is None else [str(r) for r in refs],
            white_levels=None if levels is None else levels.tolist(),
        )
    except LesionPoolError as err:
        raise LesionPoolError(f"{where}: {err}") from None


def _npz_headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of every array of an ``.npz``, read from the headers only."""
    headers = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.endswith(".npy"):
                raise ValueError(f"member {name!r} is not a .npy array")
            with archive.open(name) as stream:
                version = np.lib.format.read_magic(stream)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(stream)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(stream)
                else:
                    raise ValueError(f"member {name!r}: unsupported .npy version {version}")
            headers[name[: -len(".npy")]] = (tuple(shape), np.dtype(dtype))
    return headers


# --------------------------------------------------------------------------- pool registry

_REGISTERED: dict[str, LesionPool] = {}
_FILE_CACHE: dict[tuple[str, int, int], LesionPool] = {}

_HOW_TO_BUILD = (  # .format(name=...): the pool name the TF uses
    "From the shell: tanda apply/show POLICY ... --lesion-pool PATH (a mini-MIAS folder: "
    "Info.txt plus the mdbNNN images; or a .npz written by LesionPool.save). From Python, "
    "register a pool under the name the TF uses, before the first call: "
    "register_lesion_pool({name!r}, LesionPool.from_mias('path/to/mini-mias', size=128)) "
    "(size: the scale of your images; or LesionPool.load('pool.npz')). Where to get "
    "mini-MIAS and the folder layout: policies/ddsm/MODEL_CARD.md."
)


def _not_found_message(name: str) -> str:
    registered = sorted(_REGISTERED) or "none"
    return (
        f"no lesion pool {name!r}: it is not a registered pool name (registered: {registered}) "
        f"nor a path ending in .npz. " + _HOW_TO_BUILD.format(name=name)
    )


def register_lesion_pool(name: str, pool: LesionPool, *, replace: bool = False) -> None:
    """Make ``pool`` available to TFs as ``pool=name`` in this process.

    Registered names live in the registering process only: DataLoader workers started with
    ``spawn`` (the default on macOS and Windows) do not see them; use a ``.npz`` path there.

    Parameters
    ----------
    name : str
        Any non-empty string. A name ending in ``.npz`` is a pool file's path as TFs name it:
        registering the pool under it is what lets a policy file that names this path load
        (``register_lesion_pool(path, LesionPool.load(path))``); a policy file may name no
        other path.
    pool : LesionPool
    replace : bool
        Allow replacing a pool already registered under ``name``.

    Examples
    --------
    >>> pool = LesionPool([np.zeros((5, 5), np.uint8)], [np.eye(5, dtype=bool)])
    >>> register_lesion_pool("tiny", pool, replace=True)
    >>> get_lesion_pool("tiny") is pool
    True
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"a pool name is a non-empty string, got {name!r}")
    if not isinstance(pool, LesionPool):
        raise TypeError(f"pool must be a LesionPool, got {type(pool).__name__}")
    if name in _REGISTERED and _REGISTERED[name] is not pool and not replace:
        raise ValueError(f"a lesion pool {name!r} is already registered; pass replace=True")
    _REGISTERED[name] = pool


def unregister_lesion_pool(name: str) -> None:
    """Forget the pool registered under ``name`` (KeyError if there is none)."""
    del _REGISTERED[name]


def registered_lesion_pools() -> list[str]:
    """Names of the pools registered in this process, sorted."""
    return sorted(_REGISTERED)


def clear_lesion_pool_cache() -> None:
    """Drop the pools cached from ``.npz`` files (they are re-read on next use)."""
    _FILE_CACHE.clear()


def get_lesion_pool(pool: str) -> LesionPool:
    """The pool a TF's ``pool`` argument names: a registered name or a ``.npz`` path.

    Files are read once and cached by (real path, modification time, size), at most
    four at a time.

    Raises
    ------
    LesionPoolNotFoundError
        If ``pool`` is neither registered nor an existing ``.npz`` file; the message says how
        to build and register one.
    LesionPoolError
        If the file is not a valid pool.
    """
    if not isinstance(pool, str):
        raise TypeError(f"pool must be a str (a registered name or a .npz path), got {pool!r}")
    if pool in _REGISTERED:
        return _REGISTERED[pool]
    if not pool.endswith(".npz"):
        raise LesionPoolNotFoundError(_not_found_message(pool))
    path = Path(pool)
    try:
        stat = path.stat()
    except OSError:
        raise LesionPoolNotFoundError(
            f"lesion pool file {pool!r} does not exist. " + _HOW_TO_BUILD.format(name="NAME")
        ) from None
    key = (os.path.realpath(path), stat.st_mtime_ns, stat.st_size)
    if key not in _FILE_CACHE:
        loaded = _load_pool(path)
        while len(_FILE_CACHE) >= _CACHE_SIZE:
            _FILE_CACHE.pop(next(iter(_FILE_CACHE)))
        _FILE_CACHE[key] = loaded
    return _FILE_CACHE[key]


# --------------------------------------------------------------------------- transplant


def _registered_pools_only(args: Mapping[str, Any]) -> None:
    """File check of lesion_transplant: a policy file may only name registered pools.

    A plain name only ever resolves through the registry (it may be registered after
    loading); a ``.npz`` path would be read from disk, so it must be registered already.
    """
    pool = args.get("pool")
    if isinstance(pool, str) and pool.endswith(".npz") and pool not in _REGISTERED:
        raise ValueError(
            f"TF lesion_transplant: a policy file may only name registered lesion pools, and "
            f"{pool!r:.80} is a path no pool is registered under; if you trust that file, "
            f"register it first: register_lesion_pool(path, LesionPool.load(path))"
        )


@register_op(
    "lesion_transplant",
    kind="photometric",
    random=True,
    bounds={"max_degrees": (0, 180), "scale_range": (0, 0.9), "blend": _BLENDS},
    file_check=_registered_pools_only,
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


def _coarse_view(plane: np.ndarray) -> tuple[int, np.ndarray]:
    stride = max(1, math.ceil(max(plane.shape) / _COARSE_SIDE))
    return stride, plane[::stride, ::stride]


def _white_level(plane: np.ndarray) -> float:
    """The 99.5th percentile of a <= 256-pixel view, on the [0, 1] scale (at least 1/255)."""
    _, view = _coarse_view(plane)
    level = float(np.percentile(view, _WHITE_PERCENTILE)) / value_max(plane.dtype)
    return min(max(level, 1 / 255), 1.0)


def _tissue_map(plane: np.ndarray) -> tuple[int, float, np.ndarray]:
    """``(stride, white level, tissue)``: the largest 4-connected region of the strided view
    above a tenth of the white level (the breast), as a bool map."""
    stride, view = _coarse_view(plane)
    white = _white_level(plane)
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


# --------------------------------------------------------------------------- library


def domain_mammography_tfs(pool: str) -> list[TF]:
    """The domain-specific TFs: three lesion transplants and four bounded exposure changes.

    The transplants differ in size range (0.2, 0.5) and blending (Poisson, superposed), so a
    learned policy can tell which keep mammograms realistic.

    ``TFLibrary.pack("mammography") + domain_mammography_tfs(pool)`` is the library of the
    paper's DDSM experiment with our generic TFs. Building the TFs does not load the pool.

    Parameters
    ----------
    pool : str
        A registered pool name or a pool ``.npz`` path (see :func:`get_lesion_pool`).

    Examples
    --------
    >>> [repr(tf) for tf in domain_mammography_tfs("mias")][:2]
    ["lesion_transplant(pool='mias')", "lesion_transplant(pool='mias', scale_range=0.5)"]
    """
    if not isinstance(pool, str) or not pool:
        raise TypeError(f"pool must be a non-empty str, got {pool!r}")
    low_c, high_c = CONTRAST_BOUNDS
    low_b, high_b = BRIGHTNESS_BOUNDS
    return [
        TF("lesion_transplant", pool=pool),
        TF("lesion_transplant", pool=pool, scale_range=0.5),
        TF("lesion_transplant", pool=pool, blend="superpose"),
        TF("mammo_exposure", contrast=low_c),
        TF("mammo_exposure", contrast=high_c),
        TF("mammo_exposure", brightness=low_b),
        TF("mammo_exposure", brightness=high_b),
    ]
