"""MNIST: IDX files, gzipped or not, and the sample of real digits shipped in the package."""

from __future__ import annotations

import gzip
import io
import math
import zlib
from importlib.resources import files
from pathlib import Path
from typing import IO

import numpy as np

from ._common import PathLike, _check_split, _find_first

__all__ = ["load_mnist", "load_mnist_sample", "read_idx"]

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
