"""Thin and long images (a side of 32,767 px or more): memory proportional to the image.

A square reflect padding (``max(h, w) // 2`` on every side) made a 100,000 x 1 image cost
gigabytes, and OpenCV's remap refuses sides >= 32,767 px (``SHRT_MAX``); see
:mod:`tanda_transforms.functional.geometric._remap`.
"""

import cv2
import numpy as np
import pytest
from _probe import run_child
from library_output import assert_library_close

from tanda_transforms.functional.geometric import DenseWarp, _remap

WARMUP = """
import numpy as np
from tanda_transforms import TF, TANDAPolicy
policies = {name: TANDAPolicy.load(name, seed=0) for name in ("cifar10", "mnist")}
for policy in policies.values():
    policy(np.zeros((32, 32, 3) if policy is policies["cifar10"] else (32, 32), np.uint8))
TF("shear", factor=0.25)(np.zeros((32, 32), np.uint8))
"""


def test_thin_images_run_in_memory_proportional_to_the_image():
    """100,000 x 1 and 1 x 100,000 images (100 KB, 300 KB in RGB): the shear TF and 10 calls
    of each gallery policy stay under 100 MB extra (before: +2.7 GB for the shear alone,
    +10.5 GB for cifar10 before it was killed)."""
    result = run_child(WARMUP, """
    shapes = []
    for h, w in ((100_000, 1), (1, 100_000)):
        gray = np.random.default_rng(0).integers(0, 256, (h, w), dtype=np.uint8)
        shapes.append(TF("shear", factor=0.25)(gray).shape)
        for name, policy in policies.items():
            img = np.dstack([gray] * 3) if name == "cifar10" else gray
            for _ in range(10):
                shapes.append(policy(img).shape[:2])
    result["shapes"] = sorted(set(map(tuple, shapes)))
    """)
    assert result["shapes"] == [[1, 100_000], [100_000, 1]]
    assert result["extra_mb"] < 100, result


def test_dense_warp_of_a_long_image_moves_pixels_exactly():
    """A dense warp shifting a 40,000 x 2 image by 3 rows, reflected at the edges: past
    OpenCV's side limit, the tiled path gives exactly numpy's reflect."""
    img = np.arange(80_000, dtype=np.float32).reshape(40_000, 2)
    ys, xs = np.mgrid[0:40_000, 0:2].astype(np.float32)
    out = DenseWarp(xs, ys - 3).apply(img)
    expected = np.pad(img, ((3, 0), (0, 0)), mode="reflect")[:40_000]
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("border", [cv2.BORDER_REFLECT_101, cv2.BORDER_REPLICATE,
                                    cv2.BORDER_CONSTANT])
@pytest.mark.parametrize("interpolation", [cv2.INTER_LINEAR, cv2.INTER_NEAREST])
def test_tiled_remap_matches_opencv(monkeypatch, border, interpolation):
    """The tiled path (forced here on small images by lowering the side limit) gives
    OpenCV's samples, border modes included, within one uint8 level (fixed-point rounding
    of coordinates that the fold moved)."""
    monkeypatch.setattr(_remap, "CV_MAX_SIDE", 12)
    monkeypatch.setattr(_remap, "_TILE", 7)
    rng = np.random.default_rng(0)
    for _ in range(4):
        h, w = rng.integers(1, 40, size=2)
        src = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        map_x = (rng.random((23, 31)) * 3 * w - w).astype(np.float32)
        map_y = (rng.random((23, 31)) * 3 * h - h).astype(np.float32)
        value = (7.0, 7.0, 7.0, 7.0)
        expected = cv2.remap(src, map_x, map_y, interpolation, borderMode=border,
                             borderValue=value)
        got = _remap.remap(src, map_x, map_y, interpolation, border, value)
        both = _remap.remap(src, np.dstack([map_x, map_y]), None, interpolation, border, value)
        assert np.abs(got.astype(int) - expected).max() <= 1
        assert_library_close(both, got)  # one 2-channel map or two 1-channel maps


def test_padding_stays_proportional_to_the_image():
    """The pad that speeds up bilinear warps is skipped where it would be many times the
    image: on a thin image the warp pads nothing."""
    from tanda_transforms.functional.geometric._common import _pad_fits

    assert _pad_fits(224, 224, 40)
    assert not _pad_fits(100_000, 1, 12_502)
    assert not _pad_fits(100_000, 4, 5_000)


@pytest.mark.parametrize("border", ["reflect", "edge", "constant"])
@pytest.mark.parametrize("channels", [0, 3])
def test_affine_warps_past_the_side_limit_give_warp_affines_samples(monkeypatch, border,
                                                                   channels):
    """A side of ``CV_MAX_SIDE`` or more (OpenCV 4's warpAffine refuses it) is warped through
    the tiled remap, at the positions warpAffine samples; forced here on small images by
    lowering the limit. Within one uint8 level: OpenCV 4 rounds both paths' positions to
    1/32 pixel, warpAffine's from fixed point, so they can differ by 1/32 pixel, which moves
    a sample of this ramp (3 and 2 levels a pixel) by at most 5/32 level."""
    from tanda_transforms.functional.geometric import affine, rotate_warp, shear_warp

    ramp = np.add.outer(np.arange(30) * 3, np.arange(40) * 2).astype(np.uint8)
    img = ramp if not channels else np.dstack([ramp, 255 - ramp, ramp // 2])
    warps = [rotate_warp(img.shape[:2], 17.0), shear_warp(img.shape[:2], 0.3)]
    expected = [w.apply(img, border=border, fill=0.5) for w in warps]
    monkeypatch.setattr(affine, "CV_MAX_SIDE", 12)
    monkeypatch.setattr(_remap, "CV_MAX_SIDE", 12)
    monkeypatch.setattr(_remap, "_TILE", 7)
    for warp, want in zip(warps, expected, strict=True):
        got = warp.apply(img, border=border, fill=0.5)
        assert got.shape == want.shape and got.dtype == want.dtype
        assert np.abs(got.astype(int) - want).max() <= 1, (warp, border)
