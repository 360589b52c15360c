"""Lesion pools: the donors of ``lesion_transplant``, their ``.npz`` files and the registry.

A TF names its pool by a string (see :mod:`tanda_transforms.domains.mammography`): a name
given to :func:`register_lesion_pool`, or the path of a ``.npz`` file written by
:meth:`LesionPool.save` (read once, validated, cached by path). :func:`get_lesion_pool`
resolves the string; :func:`registered_pools_only` is the rule a policy file obeys.
"""

from __future__ import annotations

import io
import math
import os
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from tanda_transforms._atomic import write_atomic
from tanda_transforms._npz import npz_headers
from tanda_transforms.functional import SUPPORTED_DTYPES, check_real, value_max

__all__ = [
    "LesionPool",
    "LesionPoolError",
    "LesionPoolNotFoundError",
    "clear_lesion_pool_cache",
    "get_lesion_pool",
    "register_lesion_pool",
    "registered_lesion_pools",
    "unregister_lesion_pool",
]

_POOL_FORMAT = "tanda-lesion-pool-1"
_MAX_LESIONS = 100_000
_MAX_SIDE = 8192
_MAX_TOTAL_PIXELS = 2**28
_CACHE_SIZE = 4
_COARSE_SIDE = 256  # tissue maps and white levels are read from a view this size
_WHITE_PERCENTILE = 99.5


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
    >>> len(pool), int(pool[0][1].sum()), pool.refs
    (1, 9, ('lesion 0',))
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
            white = white_level(film)
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
            + _how_to_build("NAME")
        )
    where = f"lesion pool {str(path)!r}"
    try:
        headers = npz_headers(path)
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


# --------------------------------------------------------------------------- pool registry

_REGISTERED: dict[str, LesionPool] = {}
_FILE_CACHE: dict[tuple[str, int, int], LesionPool] = {}

#: The page, installed with the package, on getting mini-MIAS, its layout and building a lesion
#: pool from one's own images.
LESION_POOL_GUIDE = resources.files("tanda_transforms") / "assets" / "LESION_POOLS.md"

_HOW_TO_BUILD = (  # .format(name=...): the pool name the TF uses
    "From the shell: tanda apply/show POLICY ... --lesion-pool PATH (a mini-MIAS folder: "
    "Info.txt plus the mdbNNN images; or a .npz written by LesionPool.save). From Python, "
    "register a pool under the name the TF uses, before the first call: "
    "register_lesion_pool({name!r}, LesionPool.from_mias('path/to/mini-mias', size=128)) "
    "(size: the scale of your images; or LesionPool.load('pool.npz')). Where to get "
    "mini-MIAS (http://peipa.essex.ac.uk/info/mias.html), its layout, and how to build a "
    "pool from your own images: "
)


def _how_to_build(name: str) -> str:
    """How to provide the pool ``name``, ending with where the guide is installed."""
    return _HOW_TO_BUILD.format(name=name) + str(LESION_POOL_GUIDE)


def _not_found_message(name: str) -> str:
    registered = sorted(_REGISTERED) or "none"
    return (
        f"no lesion pool {name!r}: it is not a registered pool name (registered: {registered}) "
        f"nor a path ending in .npz. " + _how_to_build(name)
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
            f"lesion pool file {pool!r} does not exist. " + _how_to_build("NAME")
        ) from None
    key = (os.path.realpath(path), stat.st_mtime_ns, stat.st_size)
    if key not in _FILE_CACHE:
        loaded = _load_pool(path)
        while len(_FILE_CACHE) >= _CACHE_SIZE:
            _FILE_CACHE.pop(next(iter(_FILE_CACHE)))
        _FILE_CACHE[key] = loaded
    return _FILE_CACHE[key]


def registered_pools_only(args: Mapping[str, Any]) -> None:
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


def coarse_view(plane: np.ndarray) -> tuple[int, np.ndarray]:
    """``(stride, view)``: every ``stride``-th pixel, so the view is at most 256 a side."""
    stride = max(1, math.ceil(max(plane.shape) / _COARSE_SIDE))
    return stride, plane[::stride, ::stride]


def white_level(plane: np.ndarray) -> float:
    """The 99.5th percentile of a <= 256-pixel view, on the [0, 1] scale (at least 1/255)."""
    _, view = coarse_view(plane)
    level = float(np.percentile(view, _WHITE_PERCENTILE)) / value_max(plane.dtype)
    return min(max(level, 1 / 255), 1.0)
