"""CIFAR-10: the official python batches, a tar of ``split/<class>/*.jpg|png``, or that tree."""

from __future__ import annotations

import io
import os
import pickle
import tarfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ._common import PathLike, _check_split

__all__ = ["CIFAR10_CLASSES", "load_cifar10"]

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
