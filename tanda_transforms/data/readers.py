"""Read images with the reader a path calls for: the dispatch behind ``tanda learn --data``.

:func:`load_data` picks a reader by name, or guesses it from the path (:func:`guess_reader`),
reads the images as one array and resizes them if asked (the text readers, ``semeval`` and
``text``, return a list of sentences instead); :func:`describe_data` says what was
read without naming paths on the author's machine (a policy's ``metadata["data"]``). A path
that cannot be read as asked raises :class:`DataReadError`, whose message names the path.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from .cifar import CIFAR10_CLASSES, load_cifar10
from .folder import load_image_folder
from .mias import load_mias
from .mnist import load_mnist, load_mnist_sample

__all__ = ["READERS", "TEXT_READERS", "DataReadError", "describe_data", "guess_reader",
           "load_data", "load_sentences"]

#: Reader names ``load_data`` (and ``tanda learn --reader``) accept; ``auto`` guesses.
READERS = ("auto", "mnist", "cifar10", "mias", "folder", "npy", "semeval", "text")
#: Readers whose data are sentences (a list of str), not images.
TEXT_READERS = ("semeval", "text")


class DataReadError(ValueError):
    """A path that does not exist or cannot be read with the reader asked for."""


_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


def guess_reader(path: Path) -> str:
    """The reader ``--reader auto`` picks for ``path`` (see ``tanda learn --help``).

    Examples
    --------
    >>> guess_reader(Path("digits.npz")), guess_reader(Path("sentences.txt"))
    ('npy', 'text')
    """
    name = path.name.lower()
    if name.endswith((".npy", ".npz")):
        return "npy"
    if name.endswith(".txt"):
        return "text"
    if name.endswith(_TAR_SUFFIXES):
        return "semeval" if "semeval" in name else "cifar10"
    if path.is_dir() and "semeval" in name:
        return "semeval"
    if not path.is_dir():
        return "folder"
    for folder in (path, path / "MNIST" / "raw", path / "raw"):
        if folder.is_dir() and any("idx3-ubyte" in p.name or "idx1-ubyte" in p.name
                                   for p in folder.iterdir()):
            return "mnist"
    if (path / "cifar-10-batches-py").is_dir() or (path / "data_batch_1").is_file():
        return "cifar10"
    if (path / "test_batch").is_file():
        return "cifar10"
    if any(p.is_file() and p.name.lower().endswith(_TAR_SUFFIXES) for p in path.iterdir()):
        return "cifar10"
    if any((path / n).is_file() for n in ("Info.txt", "info.txt", "INFO.TXT")):
        return "mias"
    train = path / "train"
    if train.is_dir() and any((train / c).is_dir() for c in CIFAR10_CLASSES):
        return "cifar10"
    return "folder"


def _load_npy(path: Path) -> np.ndarray:
    try:
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                if not archive.files:
                    raise DataReadError(f"{path}: the .npz file holds no arrays")
                key = "images" if "images" in archive.files else archive.files[0]
                return np.asarray(archive[key])
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise DataReadError(f"{path}: cannot read as a numpy file ({err})") from None


def load_data(
    path: str | os.PathLike | None,
    reader: str = "auto",
    split: str = "train",
    limit: int | None = None,
    size: int | None = None,
) -> tuple[np.ndarray | list[str], str]:
    """Read images as ``tanda learn`` does; returns ``(images N x H x W [x C], reader used)``
    (for the text readers ``semeval`` and ``text``: ``(sentences, reader used)``).

    ``path=None`` gives the 500 MNIST digits shipped with the package (reader ``"sample"``).

    Examples
    --------
    >>> images, reader = load_data(None, limit=10)
    >>> images.shape, reader
    ((10, 28, 28), 'sample')
    """
    if path is None:
        images, reader = load_mnist_sample()[0], "sample"
    else:
        path = Path(path)
        if not path.exists():
            raise DataReadError(f"data not found: {path}")
        if reader == "auto":
            reader = guess_reader(path)
        try:
            images = _read(path, reader, split, limit, size)
        except DataReadError:
            raise
        except ValueError as err:  # the readers' word for a malformed file
            raise DataReadError(f"cannot read {path} as {reader} data: {err}") from None
    if limit is not None:
        images = images[:limit]
    if size is not None and images.shape[1:3] != (size, size):
        images = np.stack([_resize(im, size) for im in images])
    return images, reader


def _resize(image: np.ndarray, size: int) -> np.ndarray:
    out = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
    return out[..., None] if image.ndim == 3 and out.ndim == 2 else out


def load_sentences(path: str | os.PathLike) -> list[str]:
    """The sentences of a UTF-8 text file, one per line (blank lines skipped), each checked
    (markup such as ``<e1>...</e1>`` must be well formed).

    Raises
    ------
    DataReadError
        If the file is not UTF-8 text or a line's markup is malformed, naming the line.
    """
    from tanda_transforms.text import tokenize

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise DataReadError(f"{path}: not UTF-8 text ({err})") from None
    sentences = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            tokenize(line)
        except ValueError as err:
            raise DataReadError(f"{path}, line {number}: {err}") from None
        sentences.append(line)
    if not sentences:
        raise DataReadError(f"{path}: no sentences (one per line expected)")
    return sentences


def _read_text(path: Path, reader: str, split: str) -> list[str]:
    if reader == "text":
        if not path.is_file():
            raise DataReadError(f"{path}: expected a text file, one sentence per line")
        return load_sentences(path)
    from .semeval import load_semeval

    return [example.sentence for example in load_semeval(path, split)]


def _read(path: Path, reader: str, split: str, limit: int | None, size: int | None):
    if reader in TEXT_READERS:
        if size is not None:
            raise DataReadError(f"--size resizes images; {reader} data are sentences")
        return _read_text(path, reader, split)
    if reader == "npy":
        return _load_npy(path)
    if reader == "mnist":
        return load_mnist(path, split)[0]
    if reader == "cifar10":
        return load_cifar10(path, split)[0]
    if reader == "mias":
        films = load_mias(path, size=size or 256)
        count = len(films) if limit is None else min(limit, len(films))
        return np.stack([films[i]["image"] for i in range(count)])
    if reader == "folder":
        if not path.is_dir():
            raise DataReadError(f"{path}: expected a folder of images, an .npy or .npz file")
        images, names = load_image_folder(path)
        if isinstance(images, list):
            if size is None:
                kinds = sorted({f"{im.shape} {im.dtype}" for im in images})
                raise DataReadError(f"{path}: images differ in size or dtype "
                                    f"({', '.join(kinds[:4])}); pass --size S to resize them all")
            if len({im.dtype for im in images}) > 1 or len({im.ndim for im in images}) > 1:
                raise DataReadError(
                    f"{path}: images differ in dtype or channels; convert them first"
                )
            images = np.stack([_resize(im, size) for im in images[:limit]])
        return images
    raise DataReadError(f"unknown reader {reader!r}; choose from {', '.join(READERS)}")


_DATASET_NAMES = {"mnist": "MNIST", "cifar10": "CIFAR-10", "mias": "mini-MIAS",
                  "semeval": "SemEval-2010 Task 8"}


def describe_data(
    path: str | os.PathLike | None, reader: str, split: str, count: int, steps: int, batch: int
) -> str:
    """What ``tanda learn`` records as a policy's ``metadata["data"]``: no local paths.

    Known datasets are named with their split; a folder or array file by its base name only
    (a path on the author's machine means nothing to the reader of a policy file).

    Examples
    --------
    >>> describe_data("../data/cifar10", "cifar10", "train", 50000, 313, 32)
    'CIFAR-10 train split, 50,000 images; 313 batches of 32 seen (10,016 images, shuffled)'
    >>> describe_data("/home/me/scans.npy", "npy", "train", 12, 2, 16)
    'scans.npy (npy, 12 images); 2 batches of 16 seen (32 images, shuffled)'
    >>> describe_data("/data/semeval.tar.gz", "semeval", "train", 8000, 250, 32)[:56]
    'SemEval-2010 Task 8 train split, 8,000 sentences; 250 ba'
    """
    unit = "sentences" if reader in TEXT_READERS else "images"
    if path is None:
        source = f"the MNIST sample shipped with the package, {count:,} digits"
    elif reader in _DATASET_NAMES:
        split_text = "" if reader == "mias" else f" {split} split"
        source = f"{_DATASET_NAMES[reader]}{split_text}, {count:,} {unit}"
    else:
        source = f"{Path(path).name} ({reader}, {count:,} {unit})"
    return f"{source}; {steps} batches of {batch} seen ({steps * batch:,} {unit}, shuffled)"
