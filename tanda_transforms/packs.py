"""Built-in TF packs: the paper's lists for MNIST and CIFAR-10, and generic grayscale TFs
for mammograms.

Each pack is a function returning a fresh list of :class:`~tanda_transforms.tfs.TF`, so the
table below is the single place the lists live. Domain-specific mammography TFs (lesion
transplant) need a pool of donor images and are added by :mod:`tanda_transforms.domains`.

Examples
--------
>>> from tanda_transforms.packs import PACKS
>>> [len(PACKS[name]()) for name in ("mnist", "cifar10")]
[25, 33]
"""

from __future__ import annotations

from collections.abc import Callable

from tanda_transforms.tfs import TF

__all__ = ["PACKS", "misspecified_tfs"]


def _signed(op: str, arg: str, magnitudes: tuple[float, ...]) -> list[TF]:
    values = sorted({s * m for m in magnitudes for s in (-1.0, 1.0)})
    return [TF(op, **{arg: v}) for v in values]


def _each(op: str, arg: str, values: tuple[float, ...], **fixed) -> list[TF]:
    return [TF(op, **{arg: v}, **fixed) for v in values]


def mnist_pack() -> list[TF]:
    """The paper's 25 MNIST TFs (rotate, zoom, shear, swirl, elastic, erosion, dilation)."""
    return [
        *_signed("rotate", "degrees", (2.5, 5.0, 10.0)),
        *_each("zoom", "factor", (0.9, 1.1)),
        *_signed("shear", "factor", (0.1, 0.2, 0.4)),
        *_signed("swirl", "strength", (0.1, 0.2, 0.4)),
        *_each("elastic", "alpha", (1.0, 1.25, 1.5), sigma=1.0),
        TF("erosion", size=3),
        TF("dilation", size=3),
    ]


def cifar10_pack() -> list[TF]:
    """The paper's 33 CIFAR-10 TFs (geometric, hue, contrast, brightness, colour, flip)."""
    enhance = (0.5, 0.75, 1.25, 1.5)
    return [
        *_signed("rotate", "degrees", (2.5, 5.0)),
        *_each("zoom", "factor", (0.75, 0.9, 1.1, 1.25)),
        *_signed("shear", "factor", (0.1, 0.25)),
        *_signed("swirl", "strength", (0.1, 0.25)),
        *_signed("hue_shift", "shift", (0.1, 0.25)),
        *_each("contrast", "factor", enhance),
        *_each("brightness", "factor", enhance),
        *_each("saturation", "factor", enhance),
        TF("hflip"),
    ]


def mammography_pack() -> list[TF]:
    """Generic TFs that keep a grayscale mammogram plausible (no colour ops).

    Small rotations and shears (breast positioning varies by a few degrees), mild zoom
    (compression and magnification), left-right flips (left and right breasts are mirror
    images; up-down is not, so no vflip), mild elastic deformation (tissue compression),
    and mild contrast, brightness and gamma changes, blur and sharpening (exposure and
    processing differ between machines), plus faint noise (quantum noise).
    """
    return [
        *_signed("rotate", "degrees", (2.5, 5.0, 10.0)),
        *_each("zoom", "factor", (0.9, 1.1)),
        *_signed("shear", "factor", (0.1, 0.2)),
        TF("hflip"),
        *_each("elastic", "alpha", (100.0, 200.0), sigma=8.0),  # ~2 and ~4 px RMS, smooth
        *_each("contrast", "factor", (0.8, 1.2)),
        *_each("brightness", "factor", (0.9, 1.1)),
        *_each("gamma", "gamma", (0.8, 1.25)),
        TF("gaussian_blur", sigma=1.0),
        TF("sharpen", factor=1.5),
        TF("gaussian_noise", std=0.01),
    ]


def misspecified_tfs() -> list[TF]:
    """TFs that plainly destroy realism, for the paper's misspecification experiment."""
    return [
        TF("invert"),
        TF("brightness", factor=0.25),
        TF("gaussian_noise", std=0.5),
        TF("zoom", factor=3.0),
        TF("rotate", degrees=180.0),
    ]


PACKS: dict[str, Callable[[], list[TF]]] = {
    "mnist": mnist_pack,
    "cifar10": cifar10_pack,
    "mammography": mammography_pack,
}
