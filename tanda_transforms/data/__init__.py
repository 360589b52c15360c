"""Readers for the datasets used with ``tanda_transforms``.

Every reader works from files on disk in the dataset's usual distribution format and needs no
network access:

* MNIST: IDX files, gzipped or not (:func:`read_idx`, :func:`load_mnist`), plus a small sample
  of real training digits shipped inside the package (:func:`load_mnist_sample`).
* CIFAR-10: the official python batches, a tar of ``split/<class>/*.jpg|png``, or the same tree
  extracted to a folder (:func:`load_cifar10`).
* Any folder of images, 8 or 16 bit (:func:`load_image_folder`); used by ``tanda learn --data``.
* mini-MIAS mammograms with their ``Info.txt`` ground truth (:func:`parse_mias_info`,
  :func:`lesion_mask`, :func:`load_mias`).

Images are returned as numpy arrays in ``H x W`` (grayscale) or ``H x W x C`` (colour, RGB
channel order) layout, labels as ``int64`` arrays.
"""

from __future__ import annotations

import gzip
import io
import math
import numbers
import os
import pickle
import re
import tarfile
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from importlib.resources import files
from pathlib import Path
from typing import IO, Any

import cv2
import numpy as np

__all__ = [
    "CIFAR10_CLASSES",
    "IMAGE_EXTENSIONS",
    "MIAS_KINDS",
    "MiasAbnormality",
    "MiasDataset",
    "MiasRecord",
    "lesion_mask",
    "load_cifar10",
    "load_image_folder",
    "load_mias",
    "load_mnist",
    "load_mnist_sample",
    "parse_mias_info",
    "read_idx",
]

PathLike = str | os.PathLike[str]

#: CIFAR-10 class names in the official label order 0-9.
CIFAR10_CLASSES: tuple[str, ...] = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

#: File name extensions (lower case) that :func:`load_image_folder` reads.
IMAGE_EXTENSIONS: tuple[str, ...] = (
    ".png",
    ".jpg",
    ".jpeg",
    ".bmp",
    ".tif",
    ".tiff",
    ".pgm",
    ".ppm",
)

#: mini-MIAS abnormality classes (column 3 of ``Info.txt``); ``NORM`` marks a normal film.
MIAS_KINDS: tuple[str, ...] = ("CALC", "CIRC", "SPIC", "MISC", "ARCH", "ASYM", "NORM")

_SPLITS = ("train", "test")


# --------------------------------------------------------------------------------------------
# IDX / MNIST
# --------------------------------------------------------------------------------------------

# IDX type codes (third byte of the magic number) -> big-endian numpy dtype.
_IDX_DTYPES: dict[int, str] = {
    0x08: ">u1",
    0x09: ">i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}


def _open_maybe_gzip(path: Path) -> IO[bytes]:
    """Open ``path`` for binary reading, transparently un-gzipping it when it is gzipped.

    The decision is made from the file's first two bytes (the gzip magic ``1f 8b``), not from
    its name, so a gzipped file without ``.gz`` (or the reverse) is still read correctly.
    """
    with open(path, "rb") as probe:
        head = probe.read(2)
    if head == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return open(path, "rb")


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (the MNIST file format), gzipped or not.

    An IDX file starts with a 4-byte big-endian magic number ``0x0000TTNN`` (``TT`` the element
    type, ``NN`` the number of dimensions), then ``NN`` big-endian ``uint32`` sizes, then the
    elements in row-major order. MNIST image files have magic 2051 (``uint8``, 3 dimensions:
    count, rows, cols) and label files magic 2049 (``uint8``, 1 dimension). The other IDX
    element types (int8, int16, int32, float32, float64) are read as well.

    Parameters
    ----------
    path
        The file. Gzip compression is detected from the content, whatever the name.

    Returns
    -------
    numpy.ndarray
        A writable array in native byte order with the declared shape, e.g. ``N x 28 x 28``
        ``uint8`` for MNIST images and ``N`` ``uint8`` for MNIST labels.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the magic number is not an IDX one, or the amount of data does not match the sizes
        declared in the header (truncated file or trailing bytes), or the gzip stream is corrupt.

    Examples
    --------
    >>> import struct, tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> header = struct.pack(">IIII", 2051, 2, 3, 4)   # 2 images of 3 x 4 pixels
    >>> _ = (tmp / "images-idx3-ubyte").write_bytes(header + bytes(range(24)))
    >>> images = read_idx(tmp / "images-idx3-ubyte")
    >>> images.shape, images.dtype, int(images[1, 2, 3])
    ((2, 3, 4), dtype('uint8'), 23)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    try:
        with _open_maybe_gzip(path) as stream:
            magic_bytes = stream.read(4)
            if len(magic_bytes) < 4:
                raise ValueError(
                    f"{path}: too short for an IDX file ({len(magic_bytes)} bytes; "
                    "expected at least a 4-byte magic number)"
                )
            magic = int.from_bytes(magic_bytes, "big")
            type_code, ndim = magic_bytes[2], magic_bytes[3]
            if magic_bytes[:2] != b"\x00\x00" or type_code not in _IDX_DTYPES or ndim == 0:
                raise ValueError(
                    f"{path}: not an IDX file (magic number {magic} = 0x{magic:08x}; expected "
                    "0x0000TTNN with element type TT in "
                    f"{sorted(f'0x{code:02x}' for code in _IDX_DTYPES)} and NN >= 1 dimensions, "
                    "e.g. 2051 for MNIST images or 2049 for MNIST labels)"
                )
            size_bytes = stream.read(4 * ndim)
            if len(size_bytes) < 4 * ndim:
                raise ValueError(
                    f"{path}: header truncated: magic {magic} declares {ndim} dimension sizes "
                    f"({4 * ndim} bytes) but only {len(size_bytes)} bytes follow"
                )
            shape = tuple(int.from_bytes(size_bytes[4 * i : 4 * i + 4], "big") for i in range(ndim))
            dtype = np.dtype(_IDX_DTYPES[type_code])
            expected = math.prod(shape) * dtype.itemsize
            # Read what is there (not what the header claims, which may be corrupt), then compare.
            payload = stream.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: corrupt gzip stream ({exc})") from exc
    declared = (
        f"header (magic {magic}) declares shape {' x '.join(map(str, shape))} of "
        f"{dtype.newbyteorder('=').name} = {expected} bytes of data"
    )
    if len(payload) < expected:
        raise ValueError(f"{path}: truncated: {declared}, but only {len(payload)} bytes follow")
    if len(payload) > expected:
        raise ValueError(
            f"{path}: {declared}, but {len(payload) - expected} more bytes follow them"
        )
    # astype copies: the result is writable and in native byte order.
    return np.frombuffer(payload, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


# Standard MNIST file stems, with the dotted variant some unpackers produce.
_MNIST_STEMS: dict[str, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _mnist_candidates(root: Path, stem: str) -> list[Path]:
    dotted = stem.replace("-idx", ".idx")  # e.g. train-images.idx3-ubyte
    folders = [root, root / "MNIST" / "raw", root / "raw"]
    return [
        folder / (name + suffix)
        for folder in folders
        for name in (stem, dotted)
        for suffix in ("", ".gz")
    ]


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


def load_mnist(root: PathLike, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Load the MNIST training or test set from its four standard IDX files.

    Parameters
    ----------
    root
        Folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each optionally with a
        ``.gz`` suffix (LeCun's layout), or a folder containing ``MNIST/raw/`` with them
        (torchvision's layout), or that ``MNIST`` folder itself (``raw/``).
    split
        ``"train"`` (60,000 digits) or ``"test"`` (10,000 digits).

    Returns
    -------
    images : numpy.ndarray
        ``N x 28 x 28`` ``uint8``; 0 is background, 255 ink.
    labels : numpy.ndarray
        ``N`` ``int64`` digits 0-9.

    Raises
    ------
    FileNotFoundError
        If a file is missing; the message lists every name looked for.
    ValueError
        If a file is not the expected IDX file (magic 2051 for images, 2049 for labels), the
        image size is not 28 x 28, the counts differ, or a label is outside 0-9.

    Examples
    --------
    >>> images, labels = load_mnist("/work/shared/data/mnist")  # doctest: +SKIP
    >>> images.shape, labels[:5].tolist()  # doctest: +SKIP
    ((60000, 28, 28), [5, 0, 4, 1, 9])
    """
    root = Path(root)
    image_stem, label_stem = _MNIST_STEMS[_check_split(split)]
    image_path = _find_first(_mnist_candidates(root, image_stem), f"MNIST {split} images")
    label_path = _find_first(_mnist_candidates(root, label_stem), f"MNIST {split} labels")
    images = read_idx(image_path)
    labels = read_idx(label_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"{image_path}: expected MNIST images (IDX magic 2051: uint8, N x 28 x 28), "
            f"got {images.dtype} array of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{label_path}: expected MNIST labels (IDX magic 2049: uint8, N), "
            f"got {labels.dtype} array of shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"MNIST {split}: {len(images)} images in {image_path} but {len(labels)} labels "
            f"in {label_path}"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{label_path}: expected labels 0-9, found {int(labels.max())}")
    return images, labels.astype(np.int64)


def load_mnist_sample() -> tuple[np.ndarray, np.ndarray]:
    """Return the 500 real MNIST training digits shipped inside the package.

    They are the first 500 images of the MNIST training set, in file order, stored in
    ``tanda_transforms/assets/mnist_sample.npz`` (made by
    ``tanda_transforms/assets/make_mnist_sample.py``; see ``assets/MNIST_SAMPLE.md`` for the
    credit: MNIST by Y. LeCun, C. Cortes and C. Burges, CC BY-SA 3.0). Use them for demos and
    quick tests; they are far too few to train a serious classifier.

    Returns
    -------
    images : numpy.ndarray
        ``500 x 28 x 28`` ``uint8``.
    labels : numpy.ndarray
        ``500`` ``int64`` digits 0-9.

    Examples
    --------
    >>> images, labels = load_mnist_sample()
    >>> images.shape, images.dtype, labels[:10].tolist()
    ((500, 28, 28), dtype('uint8'), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    """
    resource = files("tanda_transforms") / "assets" / "mnist_sample.npz"
    with np.load(io.BytesIO(resource.read_bytes()), allow_pickle=False) as archive:
        images = np.asarray(archive["images"], dtype=np.uint8)
        labels = np.asarray(archive["labels"], dtype=np.int64)
    return images, labels


# --------------------------------------------------------------------------------------------
# CIFAR-10
# --------------------------------------------------------------------------------------------

_CIFAR_BATCH_DIR = "cifar-10-batches-py"
_CIFAR_BATCHES = {
    "train": tuple(f"data_batch_{i}" for i in range(1, 6)),
    "test": ("test_batch",),
}
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
_CIFAR_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")

# The only globals an official CIFAR-10 batch (a pickled dict of bytes keys -> numpy array /
# list of ints / list of bytes) needs; ``_codecs.encode`` is how Python 3 writes bytes at
# pickle protocols < 3 (a re-pickled batch). Anything else in the pickle is refused, so a file
# that is not a CIFAR batch cannot make the unpickler import or call arbitrary code.
_CIFAR_PICKLE_GLOBALS = {
    ("_codecs", "encode"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
}


class _CifarBatchUnpickler(pickle.Unpickler):
    """Unpickler restricted to the numpy globals that official CIFAR-10 batches use."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _CIFAR_PICKLE_GLOBALS:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name}: a CIFAR-10 python batch only holds "
                "numpy arrays, lists, ints and bytes (official python version)"
            )
        if module.startswith("numpy.core.") and hasattr(np, "_core"):
            module = "numpy._core." + module.removeprefix("numpy.core.")  # numpy >= 2
        return super().find_class(module, name)


def _unpickle_cifar_batch(raw: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        batch = _CifarBatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        raise ValueError(f"{where}: not a CIFAR-10 python batch ({exc})") from exc
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        keys = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise ValueError(
            f"{where}: expected a dict with keys b'data' and b'labels' (official CIFAR-10 "
            f"python batch), got {keys}"
        )
    data = np.asarray(batch[b"data"])
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise ValueError(
            f"{where}: expected b'data' to be an N x 3072 uint8 array, got {data.dtype} "
            f"array of shape {data.shape}"
        )
    if labels.shape != (len(data),):
        raise ValueError(f"{where}: {len(data)} images but {labels.size} labels")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"{where}: labels must be 0-9, found {labels.min()}..{labels.max()}")
    # Rows are the red, green then blue 32 x 32 planes.
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def _check_cifar_meta(raw: bytes, where: str) -> None:
    try:
        meta = _CifarBatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
        names = tuple(n.decode() for n in meta[b"label_names"])
    except Exception as exc:  # any problem with the (optional) meta file
        raise ValueError(f"{where}: unreadable batches.meta ({exc})") from exc
    if names != CIFAR10_CLASSES:
        raise ValueError(f"{where}: label_names {names} differ from CIFAR-10's {CIFAR10_CLASSES}")


def _load_cifar_batches(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    wanted = [folder / name for name in _CIFAR_BATCHES[split]]
    missing = [p for p in wanted if not p.is_file()]
    if missing:
        listing = "\n  ".join(str(p) for p in wanted)
        raise FileNotFoundError(
            f"CIFAR-10 {split} batches incomplete in {folder}; looked for:\n  {listing}\n"
            f"missing: {', '.join(p.name for p in missing)}"
        )
    if (folder / "batches.meta").is_file():
        _check_cifar_meta((folder / "batches.meta").read_bytes(), str(folder / "batches.meta"))
    parts = [_unpickle_cifar_batch(p.read_bytes(), str(p)) for p in wanted]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _decode_cifar_image(raw: bytes, where: str) -> np.ndarray:
    bgr = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"{where}: cannot decode image")
    if bgr.shape != (32, 32, 3) or bgr.dtype != np.uint8:
        raise ValueError(f"{where}: expected a 32 x 32 x 3 uint8 image, got {bgr.shape}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _decode_cifar_items(
    items: list[tuple[int, str, bytes]], source: Path, split: str
) -> tuple[np.ndarray, np.ndarray]:
    """Sort ``(label, name, encoded bytes)`` items by class then name and decode them."""
    if not items:
        raise ValueError(
            f"{source}: no CIFAR-10 {split} images found (expected {split}/<class>/<file> with "
            f"class in {CIFAR10_CLASSES} and file ending in {_CIFAR_IMAGE_SUFFIXES})"
        )
    items.sort(key=lambda item: (item[0], item[1]))
    images = np.empty((len(items), 32, 32, 3), dtype=np.uint8)

    def decode(index: int) -> None:
        label, name, raw = items[index]
        images[index] = _decode_cifar_image(raw, f"{source}: {name}")

    # cv2 releases the GIL while decoding, so threads give a real speed-up on 50,000 files.
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        list(pool.map(decode, range(len(items)), chunksize=512))
    labels = np.array([item[0] for item in items], dtype=np.int64)
    return images, labels


def _cifar_class_index(class_name: str, where: str) -> int:
    try:
        return CIFAR10_CLASSES.index(class_name)
    except ValueError:
        raise ValueError(
            f"{where}: unknown CIFAR-10 class folder {class_name!r}; expected one of "
            f"{CIFAR10_CLASSES}"
        ) from None


def _load_cifar_tar(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    items: list[tuple[int, str, bytes]] = []
    batches: dict[str, bytes] = {}
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            if not member.isfile():
                continue
            parts = member.name.replace("\\", "/").strip("/").split("/")
            if parts[-1] in _CIFAR_BATCHES[split] or parts[-1] == "batches.meta":
                extracted = archive.extractfile(member)
                assert extracted is not None  # regular file
                batches[parts[-1]] = extracted.read()
                continue
            # Accept an optional leading folder: [...]/split/class/file.
            if len(parts) < 3 or parts[-3] != split:
                continue
            if not parts[-1].lower().endswith(_CIFAR_IMAGE_SUFFIXES):
                continue
            label = _cifar_class_index(parts[-2], f"{path}: {member.name}")
            extracted = archive.extractfile(member)
            assert extracted is not None
            items.append((label, parts[-1], extracted.read()))
    if not items and batches:  # the official cifar-10-python.tar.gz
        names = _CIFAR_BATCHES[split]
        missing = [n for n in names if n not in batches]
        if missing:
            raise FileNotFoundError(
                f"{path}: CIFAR-10 python batches incomplete; looked for members {names}, "
                f"missing {missing}"
            )
        if "batches.meta" in batches:
            _check_cifar_meta(batches["batches.meta"], f"{path}: batches.meta")
        parts_ = [_unpickle_cifar_batch(batches[n], f"{path}: {n}") for n in names]
        return np.concatenate([p[0] for p in parts_]), np.concatenate([p[1] for p in parts_])
    return _decode_cifar_items(items, path, split)


def _load_cifar_folder(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    items: list[tuple[int, str, bytes]] = []
    for class_dir in sorted(p for p in (folder / split).iterdir() if p.is_dir()):
        label = _cifar_class_index(class_dir.name, str(class_dir))
        for file in class_dir.iterdir():
            if file.is_file() and file.name.lower().endswith(_CIFAR_IMAGE_SUFFIXES):
                items.append((label, file.name, file.read_bytes()))
    return _decode_cifar_items(items, folder / split, split)


def _tars_in(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.name.lower().endswith(_TAR_SUFFIXES)
    )


def load_cifar10(root: PathLike, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Load the CIFAR-10 training or test set.

    ``root`` may be any of:

    1. the official python version: the ``cifar-10-batches-py`` folder (``data_batch_1`` ...
       ``data_batch_5``, ``test_batch``, optionally ``batches.meta``) or its parent folder, or
       the official ``cifar-10-python.tar.gz`` itself;
    2. a tar file (optionally compressed) of ``split/<class>/<file>.jpg|.png`` members,
       possibly under one leading folder, like ``cifar10-jpeg.tar``; or a folder holding one
       such tar (if it holds several, the one whose name contains ``cifar`` is used);
    3. that tree extracted: ``root/split/<class>/*.jpg|png``.

    The python batches are pickled dicts (``{b'data': N x 3072 uint8, b'labels': [...]}``);
    that is the official distribution format, so they are unpickled here, through an
    unpickler that only accepts the numpy globals such a batch needs and refuses everything
    else. Only point this at CIFAR-10 files. Images from tar/folders are decoded with
    ``cv2.imdecode`` and converted from BGR to RGB; they must all be 32 x 32.

    Parameters
    ----------
    root
        See above.
    split
        ``"train"`` or ``"test"``.

    Returns
    -------
    images : numpy.ndarray
        ``N x 32 x 32 x 3`` ``uint8``, RGB.
    labels : numpy.ndarray
        ``N`` ``int64`` in the official class order :data:`CIFAR10_CLASSES` (airplane=0 ...
        truck=9). Batches keep their file order; tar/folder images are ordered by class, then
        by file name, so the order is deterministic.

    Raises
    ------
    FileNotFoundError
        If none of the layouts is found (the message lists what was looked for) or a batch
        file is missing.
    ValueError
        On an unknown class folder, an undecodable or wrongly sized image, a malformed batch,
        or a split with no images.

    Examples
    --------
    >>> images, labels = load_cifar10("/work/shared/data/cifar10")  # doctest: +SKIP
    >>> images.shape, images.dtype, labels.shape  # doctest: +SKIP
    ((50000, 32, 32, 3), dtype('uint8'), (50000,))
    """
    root = Path(root)
    _check_split(split)
    if root.is_file():
        if not tarfile.is_tarfile(root):
            raise ValueError(f"{root}: expected a tar file of CIFAR-10 images or a folder")
        return _load_cifar_tar(root, split)
    if not root.is_dir():
        raise FileNotFoundError(f"CIFAR-10 root not found: {root}")
    for folder in (root, root / _CIFAR_BATCH_DIR):
        if any((folder / name).is_file() for name in (*_CIFAR_BATCHES["train"], "test_batch")):
            return _load_cifar_batches(folder, split)
    if (root / split).is_dir():
        return _load_cifar_folder(root, split)
    tars = _tars_in(root)
    if len(tars) > 1:
        tars = [p for p in tars if "cifar" in p.name.lower()] or tars
    if len(tars) == 1:
        return _load_cifar_tar(tars[0], split)
    if len(tars) > 1:
        raise ValueError(
            f"{root}: several tar files, cannot tell which holds CIFAR-10: "
            f"{[p.name for p in tars]}; pass the tar file itself"
        )
    raise FileNotFoundError(
        f"no CIFAR-10 data in {root}; looked for: python batches ({root / 'data_batch_1'}, "
        f"{root / _CIFAR_BATCH_DIR / 'data_batch_1'}, ...), an extracted folder "
        f"{root / split}/<class>/, and a tar file ({', '.join('*' + s for s in _TAR_SUFFIXES)})"
        f" in {root}"
    )


# --------------------------------------------------------------------------------------------
# Folders of images
# --------------------------------------------------------------------------------------------


def _read_image(path: Path, flags: int = cv2.IMREAD_UNCHANGED) -> np.ndarray:
    """Read an image file with OpenCV (via ``imdecode``, so non-ASCII paths work).

    Colour images come back in RGB(A) order; depth (8/16 bit, float) is kept.
    """
    image = cv2.imdecode(np.fromfile(path, dtype=np.uint8), flags)
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


def _to_rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2RGB)
    return image


def load_image_folder(
    root: PathLike, *, grayscale: bool | None = None
) -> tuple[np.ndarray | list[np.ndarray], list[str]]:
    """Read every image in a folder (not its sub-folders), sorted by file name.

    Files ending in one of :data:`IMAGE_EXTENSIONS` (``.png .jpg .jpeg .bmp .tif .tiff .pgm
    .ppm``, any case) are read with ``cv2.IMREAD_UNCHANGED``, so 8-bit, 16-bit (PNG, TIFF, PGM)
    and float TIFF images keep their depth. Colour images are returned in RGB (or RGBA) order.
    Other files are ignored.

    Parameters
    ----------
    root
        The folder.
    grayscale
        ``None`` (default): keep each image's channels as stored (2-D for grayscale files).
        ``True``: convert colour images to single-channel ``H x W``. ``False``: convert to
        3-channel RGB ``H x W x 3`` (grayscale replicated, alpha dropped).

    Returns
    -------
    images : numpy.ndarray or list of numpy.ndarray
        One stacked ``N x H x W[ x C]`` array when all images share shape and dtype, otherwise
        a list of arrays in file-name order.
    names : list of str
        The file names (without folder), in the same order.

    Raises
    ------
    FileNotFoundError
        If ``root`` is not a folder or holds no image file.
    ValueError
        If a file with an image extension cannot be decoded.

    Examples
    --------
    >>> import tempfile, pathlib, cv2, numpy as np
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = cv2.imwrite(str(folder / "b.png"), np.full((4, 5), 1000, np.uint16))  # 16 bit
    >>> _ = cv2.imwrite(str(folder / "a.png"), np.zeros((4, 5), np.uint16))
    >>> images, names = load_image_folder(folder)
    >>> images.shape, images.dtype, names, int(images[1].max())
    ((2, 4, 5), dtype('uint16'), ['a.png', 'b.png'], 1000)
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder not found: {root}")
    paths = sorted(
        (p for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS),
        key=lambda p: p.name,
    )
    if not paths:
        raise FileNotFoundError(
            f"no images in {root}; looked for files ending in {', '.join(IMAGE_EXTENSIONS)}"
        )
    images = []
    for path in paths:
        image = _read_image(path)
        if grayscale is True:
            image = _to_grayscale(image)
        elif grayscale is False:
            image = _to_rgb(image)
        images.append(image)
    names = [p.name for p in paths]
    first = images[0]
    if all(im.shape == first.shape and im.dtype == first.dtype for im in images):
        return np.stack(images), names
    return images, names


# --------------------------------------------------------------------------------------------
# mini-MIAS
# --------------------------------------------------------------------------------------------


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
