"""Any folder of images, 8 or 16 bit (used by ``tanda learn --data``)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ._common import PathLike, _read_image, _to_grayscale

__all__ = ["IMAGE_EXTENSIONS", "image_files", "load_image_folder", "read_image"]

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


def _to_rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2RGB)
    return image


def image_files(root: PathLike) -> list[Path]:
    """The image files of a folder (not its sub-folders) that :func:`load_image_folder` reads.

    Files ending in one of :data:`IMAGE_EXTENSIONS`, any case, sorted by file name.

    Raises
    ------
    FileNotFoundError
        If ``root`` is not a folder or holds no image file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("b.PNG", "a.jpg", "notes.txt"):
    ...     _ = (folder / name).write_bytes(b"")
    >>> [path.name for path in image_files(folder)]
    ['a.jpg', 'b.PNG']
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
    return paths


def read_image(path: PathLike) -> np.ndarray:
    """One image file as :func:`load_image_folder` reads it (RGB(A) order, depth kept).

    Raises
    ------
    ValueError
        If OpenCV cannot decode the file (OpenCV's own warnings are not printed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "broken.png"
    >>> _ = path.write_bytes(b"not a png")
    >>> read_image(path)
    Traceback (most recent call last):
        ...
    ValueError: ...broken.png: cannot decode image (not a readable image file?)
    """
    return _read_image(Path(path))


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
    paths = image_files(root)
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
