"""Items of streamed learning data: a folder of image files, and each item at the learning size.

:mod:`tanda_transforms._learn_stream` streams batches of these; what happens to one item is
here, and it runs in DataLoader workers:

- :class:`ImageFolder`: every image file under a folder (sub-folders too), read on demand;
- :func:`to_learning_size`: the learning resolution (``LearnConfig.size = S``): the shorter
  side resized to S (``cv2.INTER_AREA`` to shrink, ``cv2.INTER_LINEAR`` to grow: no value
  leaves the input's range), then an S x S crop at a seeded random position. The aspect
  ratio is kept (D never sees stretched images) and the scale is that of the whole image (a
  random-resized crop would show D zoomed-in real images, making zoom-like TFs look real);
- :class:`ItemReader`: one item as learning takes it, or a :class:`Problem` saying why not.
  An unreadable file, or an image whose channels or dtype differ from the first image's, is
  a counted skip; an item that is not an image, or mixed sizes without a learning size,
  stops the run with TypeError or ValueError.

Examples
--------
>>> import numpy as np
>>> image = np.arange(6 * 8, dtype=np.uint8).reshape(6, 8)
>>> to_learning_size(image, 3, np.random.default_rng(0)).shape
(3, 3)
>>> reader = ItemReader([image, np.zeros((6, 8, 3), np.uint8)], size=3, seed=0)
>>> reader.layout
((6, 8), 1, 'uint8')
>>> reader[(0, 0)].shape, reader[(1, 0)].kind
((3, 3), 'skip')
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np

from tanda_transforms._convert import check_float_range
from tanda_transforms._images import _one_image as one_image
from tanda_transforms.data import IMAGE_EXTENSIONS, read_image

__all__ = ["ImageFolder", "ItemReader", "Problem", "RESIZE_RULE", "to_learning_size"]

RESIZE_RULE = ("shorter side resized to S (INTER_AREA shrinking, INTER_LINEAR growing), then "
               "a crop of S x S at a seeded random position")
_DTYPES = ("uint8", "uint16", "float32")
#: items read to find the first image (its channels and dtype) before giving up
_FIRST_TRIES = 100


class Problem(NamedTuple):
    """Why an item is not learned from: ``kind`` ``"skip"`` (counted), or the name of the
    exception that stops the run (``"TypeError"``, ``"ValueError"``)."""

    kind: str
    message: str

    def raise_error(self) -> None:
        """Raise the exception this problem stops the run with (nothing for a skip)."""
        if self.kind != "skip":
            raise {"TypeError": TypeError, "ValueError": ValueError}[self.kind](self.message)


class ImageFolder:
    """Every image file under ``root`` (recursively), sorted by path, read when indexed;
    ``limit``: only the first ``limit`` of them.

    Files ending in one of :data:`~tanda_transforms.data.IMAGE_EXTENSIONS` (any case) are
    read as :func:`~tanda_transforms.data.read_image` reads them (RGB(A), depth kept); a
    file that cannot be decoded raises ``ValueError`` naming it.

    Examples
    --------
    >>> import tempfile, pathlib, cv2, numpy as np
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "sub").mkdir()
    >>> _ = cv2.imwrite(str(root / "sub" / "b.png"), np.zeros((4, 6), np.uint8))
    >>> _ = cv2.imwrite(str(root / "a.jpg"), np.zeros((5, 5, 3), np.uint8))
    >>> folder = ImageFolder(root)
    >>> len(folder), folder.name(1), folder[1].shape
    (2, 'sub/b.png', (4, 6))
    >>> str(ImageFolder(root, limit=1)).endswith("1 image file (streamed)")
    True
    """

    def __init__(self, root: str | Path, limit: int | None = None) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"image folder not found: {self.root}")
        self.paths = sorted(p for p in self.root.rglob("*")
                            if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
        if not self.paths:
            raise FileNotFoundError(f"no images in {self.root} or its sub-folders; looked for "
                                    f"files ending in {', '.join(IMAGE_EXTENSIONS)}")
        self.paths = self.paths[:limit]

    def __str__(self) -> str:
        n = len(self.paths)
        return f"{self.root}: {n} image file{'s' if n > 1 else ''} (streamed)"

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> np.ndarray:
        return read_image(self.paths[index])

    def name(self, index: int) -> str:
        """The file of item ``index``, relative to the folder."""
        return self.paths[index].relative_to(self.root).as_posix()


def to_learning_size(image: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``image`` (H x W or H x W x C) at the learning size S: shorter side to S, S x S crop.

    Examples
    --------
    >>> image = np.zeros((10, 20, 3), np.float32)
    >>> to_learning_size(image, 4, np.random.default_rng(0)).shape
    (4, 4, 3)
    """
    h, w = image.shape[:2]
    scale = size / min(h, w)
    new_h, new_w = max(size, round(h * scale)), max(size, round(w * scale))
    if (new_h, new_w) != (h, w):
        grow = cv2.INTER_LINEAR if scale > 1 else cv2.INTER_AREA
        resized = cv2.resize(image, (new_w, new_h), interpolation=grow)
        image = resized.reshape(new_h, new_w, *image.shape[2:])  # cv2 drops a last axis of 1
    top = int(rng.integers(0, new_h - size + 1))
    left = int(rng.integers(0, new_w - size + 1))
    return np.ascontiguousarray(image[top:top + size, left:left + size])


class ItemReader:
    """Items of ``source`` as learning takes them, indexed by ``(index, epoch)`` keys.

    The first readable item sets the layout (:attr:`layout`: its H x W, channel count and
    dtype); every other item must share its channels and dtype (else it is skipped) and,
    without a learning ``size``, its H x W (else the run stops). The crop of item ``index``
    in pass ``epoch`` is drawn from ``numpy.random.default_rng([seed, epoch, index])``: the
    same whichever DataLoader worker reads it.
    """

    def __init__(self, source: Sequence[Any], size: int | None, seed: int) -> None:
        self.source, self.size, self.seed = source, size, seed
        self.layout = self._first_layout()

    def __len__(self) -> int:
        return len(self.source)

    def name(self, index: int) -> str:
        name = getattr(self.source, "name", None)
        return name(index) if name is not None else f"item {index}"

    def _first_layout(self) -> tuple[tuple[int, int], int, str]:
        problems = []
        for index in range(min(len(self.source), _FIRST_TRIES)):
            image = self._image(index)
            if isinstance(image, Problem):
                image.raise_error()
                problems.append(image.message)
                continue
            channels = 1 if image.ndim == 2 else image.shape[2]
            return image.shape[:2], channels, image.dtype.name
        raise ValueError(f"no readable image among the first {len(problems)} items: "
                         f"{'; '.join(problems[:3])}")

    def _image(self, index: int) -> np.ndarray | Problem:
        """Item ``index`` as an H x W (x C) array of a learnable dtype, or a Problem."""
        try:
            item = self.source[index]
        except (ValueError, OSError) as err:  # an unreadable file
            name = self.name(index)
            return Problem("skip", str(err) if name in str(err) else f"{name}: {err}")
        try:
            image = one_image(item, index)
        except (TypeError, ValueError) as err:
            return Problem("TypeError", f"the data must yield images: {err}")
        if image.ndim == 3 and image.shape[2] == 1:
            image = image[:, :, 0]
        if image.ndim not in (2, 3) or 0 in image.shape:
            return Problem("skip", f"{self.name(index)}: not an H x W (x C) image with "
                           f"pixels, shape {image.shape}")
        if image.dtype.name not in _DTYPES:
            return Problem("TypeError", f"{self.name(index)}: images must be uint8, uint16 or "
                           f"float32 in [0, 1], got {image.dtype}")
        try:
            check_float_range(image, self.name(index))
        except ValueError as err:
            return Problem("skip", str(err))
        return image

    def __getitem__(self, key: tuple[int, int]) -> np.ndarray | Problem:
        index, epoch = key
        image = self._image(index)
        if isinstance(image, Problem):
            return image
        return self._fit(image, index, np.random.default_rng([self.seed, epoch, index]))

    def fit(self, item: Any, index: int, rng: np.random.Generator) -> np.ndarray | Problem:
        """An item that did not come from :attr:`source` (a DataLoader's) at the layout."""
        try:
            image = one_image(item, index)
        except (TypeError, ValueError) as err:
            return Problem("TypeError", f"the data must yield images: {err}")
        return self._fit(image, index, rng)

    def _fit(self, image: np.ndarray, index: int, rng: np.random.Generator):
        shape, channels, dtype = self.layout
        own = 1 if image.ndim == 2 else image.shape[2]
        if own != channels or image.dtype.name != dtype:
            return Problem("skip", f"{self.name(index)}: {own} channel(s) of {image.dtype}, "
                           f"the first image has {channels} of {dtype}")
        if self.size is None:
            if image.shape[:2] != shape:
                return Problem("ValueError", f"images of mixed sizes ({shape[0]} x {shape[1]} "
                               f"first, {image.shape[0]} x {image.shape[1]} at "
                               f"{self.name(index)}): set LearnConfig.size (tanda learn --size) "
                               "to learn at one size")
            return image
        return to_learning_size(image, self.size, rng)

