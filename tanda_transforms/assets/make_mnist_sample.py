"""Rebuild ``mnist_sample.npz``: the first 500 MNIST training digits, shipped for demos.

Run from the repository root (reads the IDX files with :func:`tanda_transforms.data.load_mnist`,
gzipped or not, in LeCun's or torchvision's layout)::

    python -m tanda_transforms.assets.make_mnist_sample --root /work/shared/data/mnist

It writes ``tanda_transforms/assets/mnist_sample.npz`` with ``np.savez_compressed``:
``images`` (500 x 28 x 28 uint8, in training-file order) and ``labels`` (500 uint8 digits),
and prints the sha256 of the raw array bytes so the result can be checked against
``MNIST_SAMPLE.md``. The package reads it back with
:func:`tanda_transforms.data.load_mnist_sample`.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from tanda_transforms.data import load_mnist

DEFAULT_ROOT = "/work/shared/data/mnist"
DEFAULT_OUT = Path(__file__).resolve().with_name("mnist_sample.npz")


def make_sample(root: str | Path, out: str | Path, count: int = 500) -> Path:
    """Write the first ``count`` MNIST training images and labels to ``out``; return ``out``."""
    images, labels = load_mnist(root, split="train")
    if count > len(images):
        raise ValueError(f"asked for {count} images but the training set has {len(images)}")
    images = np.ascontiguousarray(images[:count], dtype=np.uint8)
    labels = np.ascontiguousarray(labels[:count], dtype=np.uint8)
    out = Path(out)
    np.savez_compressed(out, images=images, labels=labels)
    print(f"wrote {out} ({out.stat().st_size} bytes): images {images.shape} {images.dtype}")
    print(f"  sha256(images bytes) = {hashlib.sha256(images.tobytes()).hexdigest()}")
    print(f"  sha256(labels bytes) = {hashlib.sha256(labels.tobytes()).hexdigest()}")
    print(
        f"  first labels: {labels[:10].tolist()}; counts per digit: "
        f"{np.bincount(labels, minlength=10).tolist()}"
    )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=DEFAULT_ROOT, help="folder with the MNIST IDX files")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="output .npz path")
    parser.add_argument("--count", type=int, default=500, help="number of leading images")
    args = parser.parse_args(argv)
    make_sample(args.root, args.out, args.count)


if __name__ == "__main__":
    main()
