"""mini-MIAS mammograms with their ``Info.txt`` ground truth."""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ._common import PathLike, _find_first, _read_image, _to_grayscale

__all__ = [
    "MIAS_KINDS",
    "MiasAbnormality",
    "MiasDataset",
    "MiasRecord",
    "lesion_mask",
    "load_mias",
    "parse_mias_info",
]

#: mini-MIAS abnormality classes (column 3 of ``Info.txt``); ``NORM`` marks a normal film.
MIAS_KINDS: tuple[str, ...] = ("CALC", "CIRC", "SPIC", "MISC", "ARCH", "ASYM", "NORM")


@dataclass(frozen=True)
class MiasAbnormality:
    """One abnormality row of the mini-MIAS ``Info.txt``.

    Attributes
    ----------
    kind
        Abnormality class: ``CALC`` calcification, ``CIRC`` circumscribed mass, ``SPIC``
        spiculated mass, ``MISC`` ill-defined mass, ``ARCH`` architectural distortion, ``ASYM``
        asymmetry.
    severity
        ``"B"`` benign, ``"M"`` malignant, or ``None`` if not given.
    x, y
        Centre as written in ``Info.txt``: ``x`` the column, ``y`` counted from the BOTTOM
        row (origin at the bottom-left corner). ``None`` where the file gives no location
        (e.g. calcifications spread over the whole film).
    radius
        Radius in pixels of a circle enclosing the abnormality, or ``None``.

    Examples
    --------
    >>> a = MiasAbnormality("CIRC", "B", x=535, y=425, radius=197)
    >>> a.located, a.center()          # array (row, col) in a 1024-row film
    (True, (598, 535))
    """

    kind: str
    severity: str | None
    x: int | None
    y: int | None
    radius: int | None

    @property
    def located(self) -> bool:
        """Whether centre and radius are all given (only then does it appear in a mask)."""
        return self.x is not None and self.y is not None and self.radius is not None

    def center(self, height: int = 1024) -> tuple[int, int] | None:
        """Array ``(row, col)`` of the centre in an image of ``height`` rows.

        ``row = height - 1 - y`` (Info.txt counts ``y`` from the bottom), ``col = x``. The
        coordinates are taken to refer to the image as stored; mini-MIAS films are 1024 rows.
        Returns ``None`` if the abnormality has no location.
        """
        if self.x is None or self.y is None:
            return None
        return height - 1 - self.y, self.x


@dataclass(frozen=True)
class MiasRecord:
    """All ``Info.txt`` rows for one mini-MIAS film.

    Attributes
    ----------
    ref
        Reference name, e.g. ``"mdb001"`` (also the image file stem).
    tissue
        Background tissue: ``"F"`` fatty, ``"G"`` fatty-glandular, ``"D"`` dense-glandular.
    abnormalities
        The film's abnormalities in file order; empty for a normal (``NORM``) film.

    Examples
    --------
    >>> r = MiasRecord("mdb005", "F", (MiasAbnormality("CIRC", "B", 477, 133, 30),))
    >>> r.label, MiasRecord("mdb003", "D", ()).label
    ('benign', 'normal')
    """

    ref: str
    tissue: str
    abnormalities: tuple[MiasAbnormality, ...] = ()

    @property
    def label(self) -> str:
        """``"malignant"`` if any abnormality is M, else ``"benign"`` if any, else ``"normal"``."""
        if any(a.severity == "M" for a in self.abnormalities):
            return "malignant"
        return "benign" if self.abnormalities else "normal"


_MIAS_REF = re.compile(r"^mdb\d+$")


def _optional_int(fields: list[str], index: int) -> int | None:
    if index < len(fields) and re.fullmatch(r"[+-]?\d+", fields[index]):
        return int(fields[index])
    return None


def parse_mias_info(path: PathLike) -> list[MiasRecord]:
    """Parse the mini-MIAS ``Info.txt`` ground-truth table.

    Only lines starting with a reference ``mdbNNN`` are read (the header prose and notes are
    skipped). Each is split on whitespace, so trailing spaces are harmless: reference, tissue,
    class, then optionally severity (``B``/``M``) and ``x y radius``. Rows of the same film are
    merged into one record, in order of first appearance. ``NORM`` rows add no abnormality.
    Fields that are missing or not numbers (e.g. ``*NOTE 3*`` in place of coordinates) give
    ``None``.

    Parameters
    ----------
    path
        The ``Info.txt`` file.

    Returns
    -------
    list of MiasRecord
        One per film (322 for the full mini-MIAS).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If an ``mdb`` line has fewer than 3 fields, an unknown tissue or class, or repeats a
        film with a different tissue; the message gives the line number.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> info = pathlib.Path(tempfile.mkdtemp()) / "Info.txt"
    >>> _ = info.write_text(
    ...     "header prose\\nmdb001 G CIRC B 535 425 197\\nmdb003 D NORM \\n"
    ...     "mdb005 F CIRC B 477 133 30\\nmdb005 F CIRC B 500 168 26\\n"
    ...     "mdb216 D CALC M *NOTE 3* \\n"
    ... )
    >>> for r in parse_mias_info(info):
    ...     print(r.ref, r.tissue, r.label, [a.located for a in r.abnormalities])
    mdb001 G benign [True]
    mdb003 D normal []
    mdb005 F benign [True, True]
    mdb216 D malignant [False]
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"mini-MIAS Info.txt not found: {path}")
    tissues: dict[str, str] = {}
    found: dict[str, list[MiasAbnormality]] = {}
    text = path.read_text(encoding="latin-1")
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not line.startswith("mdb") or not _MIAS_REF.match(fields[0]):
            continue  # header, notes, prose
        where = f"{path}:{number}"
        if len(fields) < 3:
            raise ValueError(
                f"{where}: expected 'mdbNNN TISSUE CLASS [SEVERITY X Y RADIUS]', got {line!r}"
            )
        ref, tissue, kind = fields[0], fields[1], fields[2]
        if tissue not in ("F", "G", "D"):
            raise ValueError(f"{where}: tissue must be F, G or D, got {tissue!r}")
        if kind not in MIAS_KINDS:
            raise ValueError(
                f"{where}: abnormality class must be one of {MIAS_KINDS}, got {kind!r}"
            )
        if ref in tissues and tissues[ref] != tissue:
            raise ValueError(
                f"{where}: {ref} listed with tissue {tissue!r} here but {tissues[ref]!r} before"
            )
        tissues.setdefault(ref, tissue)
        abnormalities = found.setdefault(ref, [])
        if kind == "NORM":
            continue
        severity = fields[3] if len(fields) > 3 and fields[3] in ("B", "M") else None
        abnormalities.append(
            MiasAbnormality(
                kind=kind,
                severity=severity,
                x=_optional_int(fields, 4),
                y=_optional_int(fields, 5),
                radius=_optional_int(fields, 6),
            )
        )
    return [MiasRecord(ref, tissues[ref], tuple(ab)) for ref, ab in found.items()]


def lesion_mask(shape: tuple[int, ...], abnormalities: Iterable[MiasAbnormality]) -> np.ndarray:
    """Boolean mask of the located abnormalities: a filled disc per abnormality.

    The disc of an abnormality is every pixel ``(row, col)`` with
    ``(row - (H - 1 - y))**2 + (col - x)**2 <= radius**2``, ``H`` being the image height, i.e.
    the Info.txt coordinates (origin bottom-left) are read in the given image's own pixel grid.
    For a full 1024 x 1024 mini-MIAS film that is exactly the film's geometry. Abnormalities
    without centre or radius add nothing; discs are clipped at the image border.

    Parameters
    ----------
    shape
        Image shape; the first two entries ``(H, W)`` are used.
    abnormalities
        E.g. ``record.abnormalities`` of a :class:`MiasRecord`.

    Returns
    -------
    numpy.ndarray
        ``H x W`` ``bool``.

    Examples
    --------
    >>> mask = lesion_mask((8, 8), [MiasAbnormality("CIRC", "B", x=2, y=1, radius=1)])
    >>> int(mask.sum()), bool(mask[6, 2]), bool(mask[1, 2])  # y=1: 2nd row from the bottom
    (5, True, False)
    """
    height, width = int(shape[0]), int(shape[1])
    mask = np.zeros((height, width), dtype=bool)
    for abnormality in abnormalities:
        centre = abnormality.center(height)
        if centre is None or abnormality.radius is None:
            continue
        (row, col), radius = centre, abnormality.radius
        # Only the disc's bounding box (clipped to the image) is evaluated.
        top, bottom = max(row - radius, 0), min(row + radius + 1, height)
        left, right = max(col - radius, 0), min(col + radius + 1, width)
        if top >= bottom or left >= right:
            continue  # entirely outside the image
        rows = np.arange(top, bottom)[:, None]
        cols = np.arange(left, right)[None, :]
        mask[top:bottom, left:right] |= (rows - row) ** 2 + (cols - col) ** 2 <= radius**2
    return mask


def _scale_abnormality(a: MiasAbnormality, sx: float, sy: float) -> MiasAbnormality:
    """Map Info.txt-style coordinates into a grid resized by ``sx`` (columns), ``sy`` (rows).

    Pixel centres map as ``v' = (v + 0.5) * s - 0.5``; this holds for ``y`` counted from the
    bottom just as for rows counted from the top, so the bottom-left origin is preserved.
    """
    if not a.located:
        return a
    assert a.x is not None and a.y is not None and a.radius is not None
    return replace(
        a,
        x=int(round((a.x + 0.5) * sx - 0.5)),
        y=int(round((a.y + 0.5) * sy - 0.5)),
        radius=int(round(a.radius * (sx + sy) / 2)),
    )


class MiasDataset:
    """The mini-MIAS films with their ground truth, read lazily (one image per access).

    A map-style dataset usable with :class:`torch.utils.data.DataLoader` (it defines
    ``__len__`` and ``__getitem__``). Items are dicts holding a :class:`MiasRecord`, which
    torch's default collate function cannot batch; pass e.g. ``collate_fn=list`` to get a list
    of item dicts per batch. Build it with :func:`load_mias`.

    Each item is a dict:

    ``image``
        ``H x W`` array as stored (``uint8`` for mini-MIAS; 16-bit files stay 16-bit; a colour
        file is converted to grayscale).
    ``mask``
        ``H x W`` ``bool`` from :func:`lesion_mask`.
    ``label``
        ``"normal"``, ``"benign"`` or ``"malignant"``.
    ``ref``
        e.g. ``"mdb001"``.
    ``record``
        The film's :class:`MiasRecord`; with ``size`` set, its coordinates and radii are
        rescaled to the returned ``size x size`` grid (still origin bottom-left). The unscaled
        records are in :attr:`records`.

    Attributes
    ----------
    records : list of MiasRecord
        As parsed from ``Info.txt``.
    paths : list of pathlib.Path
        Image file of each record.
    size : int or None
        Output side length, or ``None`` for the stored size.
    """

    def __init__(
        self, records: list[MiasRecord], paths: list[Path], size: int | None = None
    ) -> None:
        if len(records) != len(paths):
            raise ValueError(f"{len(records)} records but {len(paths)} image paths")
        if size is not None:
            if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
                raise ValueError(f"size must be a positive int or None, got {size!r}")
            size = int(size)
        self.records = list(records)
        self.paths = list(paths)
        self.size = size

    def __len__(self) -> int:
        return len(self.records)

    @property
    def labels(self) -> list[str]:
        """The label of every film, in order (no image is read)."""
        return [r.label for r in self.records]

    def __getitem__(self, index: int) -> dict[str, Any]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} films")
        record = self.records[index]
        path = self.paths[index]
        image = _read_image(path)
        if image.ndim == 3:
            image = _to_grayscale(image)
        mask = lesion_mask(image.shape, record.abnormalities)
        scaled = record
        if self.size is not None:
            height, width = image.shape
            image = cv2.resize(image, (self.size, self.size), interpolation=cv2.INTER_AREA)
            mask = cv2.resize(
                mask.astype(np.uint8), (self.size, self.size), interpolation=cv2.INTER_NEAREST
            ).astype(bool)
            sx, sy = self.size / width, self.size / height
            scaled = replace(
                record,
                abnormalities=tuple(_scale_abnormality(a, sx, sy) for a in record.abnormalities),
            )
        return {
            "image": image,
            "mask": mask,
            "label": record.label,
            "ref": record.ref,
            "record": scaled,
        }

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for index in range(len(self)):
            yield self[index]

    def __repr__(self) -> str:
        return f"MiasDataset({len(self)} films, size={self.size})"


def _mias_image_candidates(root: Path, ref: str) -> list[Path]:
    return [
        root / "png" / f"{ref}.png",
        root / f"{ref}.png",
        root / f"{ref}.pgm",
        root / "pgm" / f"{ref}.pgm",
    ]


def load_mias(root: PathLike, *, size: int | None = None) -> MiasDataset:
    """Open the mini-MIAS database: ``Info.txt`` plus one image per film.

    Parameters
    ----------
    root
        Folder holding ``Info.txt`` and the images as ``png/mdbNNN.png``, ``mdbNNN.png``,
        ``mdbNNN.pgm`` or ``pgm/mdbNNN.pgm`` (first found wins).
    size
        If given, each image is downsampled to ``size x size`` with ``cv2.INTER_AREA`` and its
        mask with nearest-neighbour; the item's record gets coordinates scaled to match.
        (Nearest-neighbour can miss lesions smaller than the sampling step.)

    Returns
    -------
    MiasDataset
        Lazily reads images on indexing. Info.txt coordinates refer to the stored image as is:
        the mask flips ``y`` with the image's own height (``row = H - 1 - y``), which for the
        real 1024 x 1024 films is ``row = 1023 - y``; smaller images are not rescaled first.

    Raises
    ------
    FileNotFoundError
        If ``Info.txt`` or a film's image is missing (the message lists the paths looked for).
    ValueError
        From :func:`parse_mias_info` on a malformed table.

    Examples
    --------
    >>> films = load_mias("/work/shared/data/mini-mias", size=256)  # doctest: +SKIP
    >>> item = films[0]  # doctest: +SKIP
    >>> len(films), item["image"].shape, item["label"], bool(item["mask"].any())  # doctest: +SKIP
    (322, (256, 256), 'benign', True)
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"mini-MIAS folder not found: {root}")
    info = _find_first([root / "Info.txt", root / "info.txt", root / "INFO.TXT"], "Info.txt")
    records = parse_mias_info(info)
    if not records:
        raise ValueError(f"{info}: no mdbNNN rows found")
    paths = [_find_first(_mias_image_candidates(root, r.ref), f"image of {r.ref}") for r in records]
    return MiasDataset(records, paths, size=size)
