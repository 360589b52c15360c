"""A user's folder of labeled images as an evaluation task (``tanda evaluate --dataset folder``).

Layout (torchvision's ``ImageFolder`` convention: one sub-folder per class, class names sorted,
label = position)::

    DIR/cat/001.png  DIR/cat/002.png ...  DIR/dog/001.png ...

The test set is a seeded, class-stratified ``test_fraction`` of the images. When ``DIR`` holds
``train/`` and ``test/`` sub-folders (each with the same class sub-folders), those are the pool
and the test set instead. Images are read with :func:`~tanda_transforms.data.load_image_folder`
(sub-folders of a class folder are not read). They must be 8 bit (nothing is cast) and of one
size, unless ``image_size`` resizes them (area averaging, to ``image_size x image_size``).
``color`` says how channels are made alike: ``"auto"`` keeps grayscale when every image is
grayscale and otherwise converts all to RGB; ``"gray"`` and ``"rgb"`` force one.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from tanda_transforms.data import load_image_folder
from tanda_transforms.evaluation.subsets import stratified_indices
from tanda_transforms.evaluation.tasks import Task

__all__ = ["COLOR_MODES", "read_folder_task", "read_labeled_folder"]

COLOR_MODES: tuple[str, ...] = ("auto", "gray", "rgb")


def _class_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        raise FileNotFoundError(f"image folder not found: {root}")
    folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name)
    if len(folders) < 2:
        raise ValueError(
            f"{root}: expected one sub-folder of images per class (at least two classes), "
            f"found {len(folders)} sub-folder(s)"
        )
    return folders


def _as_one_array(images: list[np.ndarray], image_size: int | None, where: Path) -> np.ndarray:
    bad = next((im.dtype for im in images if im.dtype != np.uint8), None)
    if bad is not None:
        raise ValueError(f"{where}: expected 8-bit images, found {bad} (convert them first)")
    if image_size is not None:
        images = [cv2.resize(im, (image_size, image_size), interpolation=cv2.INTER_AREA)
                  for im in images]
    shapes = sorted({im.shape[:2] for im in images})
    if len(shapes) > 1:
        raise ValueError(
            f"{where}: images of several sizes {shapes[:4]}; pass image_size (--image-size) "
            "to resize them to one"
        )
    return np.stack(images)


def read_labeled_folder(
    root: str | os.PathLike, *, image_size: int | None = None, color: str = "auto"
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Images, labels and class names of a folder with one sub-folder per class.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("b", "a"):
    ...     (root / name).mkdir()
    ...     _ = cv2.imwrite(str(root / name / "1.png"), np.zeros((5, 6), np.uint8))
    >>> x, y, classes = read_labeled_folder(root)
    >>> x.shape, y.tolist(), classes
    ((2, 5, 6), [0, 1], ('a', 'b'))
    """
    if color not in COLOR_MODES:
        raise ValueError(f"color must be one of {COLOR_MODES}, got {color!r}")
    if image_size is not None and (isinstance(image_size, bool) or not isinstance(image_size, int)
                                   or image_size < 1):
        raise ValueError(f"image_size must be a positive int or None, got {image_size!r}")
    root = Path(root)
    folders = _class_folders(root)
    grayscale = {"auto": None, "gray": True, "rgb": False}[color]
    images: list[np.ndarray] = []
    labels: list[int] = []
    for label, folder in enumerate(folders):
        found, _ = load_image_folder(folder, grayscale=grayscale)
        images.extend(list(found))
        labels.extend([label] * len(found))
    if color == "auto" and any(im.ndim == 3 for im in images):
        images, _ = zip(*(load_image_folder(f, grayscale=False) for f in folders), strict=True)
        images = [im for found in images for im in found]
    return (_as_one_array(images, image_size, root), np.asarray(labels, np.int64),
            tuple(f.name for f in folders))


def read_folder_task(
    root: str | os.PathLike,
    *,
    split_seed: int = 0,
    test_fraction: float = 0.2,
    image_size: int | None = None,
    color: str = "auto",
) -> Task:
    """The task of a labeled image folder (see the module docstring).

    Parameters
    ----------
    root
        The folder: class sub-folders, or ``train/`` and ``test/`` with class sub-folders.
    split_seed, test_fraction
        Seed and share of the stratified test split (not used with ``train/`` and ``test/``).
    image_size
        Resize every image to ``image_size x image_size`` (``None``: they must share a size).
    color
        ``"auto"``, ``"gray"`` or ``"rgb"``.

    Returns
    -------
    Task

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("a", "b"):
    ...     (root / name).mkdir()
    ...     for i in range(10):
    ...         _ = cv2.imwrite(str(root / name / f"{i}.png"), np.zeros((4, 4, 3), np.uint8))
    >>> task = read_folder_task(root, test_fraction=0.2)
    >>> task.train_images.shape, np.bincount(task.test_labels).tolist(), task.classes
    ((16, 4, 4, 3), [2, 2], ('a', 'b'))
    """
    root = Path(root)
    info = {"image_size": image_size, "color": color}
    if (root / "train").is_dir() and (root / "test").is_dir():
        train_x, train_y, classes = read_labeled_folder(root / "train", image_size=image_size,
                                                        color=color)
        test_x, test_y, test_classes = read_labeled_folder(root / "test", image_size=image_size,
                                                           color=color)
        if test_classes != classes:
            raise ValueError(f"{root}: train/ has classes {classes}, test/ has {test_classes}")
        if train_x.shape[1:] != test_x.shape[1:]:
            raise ValueError(f"{root}: train images {train_x.shape[1:]}, test {test_x.shape[1:]}")
        info["split"] = "train/ and test/ folders"
    else:
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
        images, labels, classes = read_labeled_folder(root, image_size=image_size, color=color)
        in_test = np.zeros(len(labels), bool)
        in_test[stratified_indices(labels, test_fraction, split_seed)] = True
        train_x, train_y = images[~in_test], labels[~in_test]
        test_x, test_y = images[in_test], labels[in_test]
        info.update(split="stratified", split_seed=split_seed, test_fraction=test_fraction)
    info["class_counts"] = np.bincount(train_y, minlength=len(classes)).tolist()
    description = (
        f"{root.name}: {len(classes)} classes of {'x'.join(map(str, train_x.shape[1:]))} images"
    )
    return Task("folder", train_x, train_y, test_x, test_y, classes, description, info)
