"""A smaller CIFAR-10 tar for the device runs (docs/experiments/device_runs.py).

The CIFAR-10 JPEG tar (89 MB) is over the device tool's 64 MiB. The harness's labelled subsets
depend only on the labels and the seed, so this keeps every member (same pool order and labels)
and replaces each training image that no labelled subset of the given seeds uses by a small grey
JPEG; the test images and every used training image keep their bytes. ``--check`` loads both
tars and compares the used pixels::

    python docs/experiments/cifar10_subset.py ../shared/data/cifar10/cifar10-jpeg.tar \\
        .gpu/cifar10/cifar10-sub.tar.gz --check
"""

from __future__ import annotations

import argparse
import io
import tarfile

import cv2
import numpy as np

from tanda_transforms.data.cifar import CIFAR10_CLASSES, load_cifar10
from tanda_transforms.evaluation.subsets import stratified_indices


def used_indices(labels: np.ndarray, fraction: float, seeds: list[int]) -> set[int]:
    return {int(i) for s in seeds for i in stratified_indices(labels, fraction, s)}


def _train_members(members: list[tarfile.TarInfo]) -> list[tarfile.TarInfo]:
    """Training members in the loader's order: by class (official order), then file name."""
    order = {c: i for i, c in enumerate(CIFAR10_CLASSES)}
    train = [m for m in members if m.isfile() and m.name.split("/")[-3] == "train"]
    return sorted(train, key=lambda m: (order[m.name.split("/")[-2]], m.name.split("/")[-1]))


def shrink(src: str, dst: str, fraction: float, seeds: list[int]) -> int:
    _, labels = load_cifar10(src, "train")
    used = used_indices(labels, fraction, seeds)
    grey = cv2.imencode(".jpg", np.full((32, 32, 3), 128, np.uint8))[1].tobytes()
    with tarfile.open(src) as tin, tarfile.open(dst, "w:gz") as tout:
        members = tin.getmembers()
        keep = {m.name for i, m in enumerate(_train_members(members)) if i in used}
        for m in members:
            if not m.isfile():
                tout.addfile(m)
                continue
            data = tin.extractfile(m).read()
            if m.name.split("/")[-3] == "train" and m.name not in keep:
                data = grey
            info = tarfile.TarInfo(m.name)
            info.size, info.mode = len(data), m.mode
            tout.addfile(info, io.BytesIO(data))
    return len(used)


def check(src: str, dst: str, fraction: float, seeds: list[int]) -> None:
    (a, la), (b, lb) = load_cifar10(src, "train"), load_cifar10(dst, "train")
    assert (la == lb).all(), "labels differ"
    idx = sorted(used_indices(la, fraction, seeds))
    assert (a[idx] == b[idx]).all(), "used training images differ"
    (ta, tla), (tb, tlb) = load_cifar10(src, "test"), load_cifar10(dst, "test")
    assert (ta == tb).all() and (tla == tlb).all(), "test sets differ"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src")
    parser.add_argument("dst")
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    n = shrink(args.src, args.dst, args.fraction, args.seeds)
    print(f"kept {n} training images")
    if args.check:
        check(args.src, args.dst, args.fraction, args.seeds)
        print("used images, labels and test set identical")


if __name__ == "__main__":
    main()
