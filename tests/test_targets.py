"""Targets follow the image through TANDAPolicy (torchvision side): masks, boxes, keypoints.

A bright square blob is drawn in an image, in a mask and as a box. After one geometric TF the
mask must match the thresholded warped blob and the box must enclose the mask (tightly for
affine TFs); photometric TFs leave targets untouched; mask dtypes are kept.
"""

import numpy as np
import pytest
import torch
from torchvision import tv_tensors
from torchvision.transforms.v2 import functional as TVF

from tanda_transforms import TF, TANDAPolicy

H, W = 96, 112
TOP, LEFT, SIDE = 24, 58, 22  # the blob: rows TOP..TOP+SIDE-1, cols LEFT..LEFT+SIDE-1

AFFINE = [
    TF("rotate", degrees=30.0),
    TF("rotate", degrees=-12.5),
    TF("shear", factor=0.3),
    TF("shear", factor=-0.2, axis="y"),
    TF("zoom", factor=1.3),
    TF("zoom", factor=0.8),
    TF("hflip"),
    TF("vflip"),
    TF("translate", dx=0.1, dy=0.15),
]


def elastic(sigma: float, rms_pixels: float) -> TF:
    """An elastic TF displacing pixels by about ``rms_pixels`` (RMS) on an H x W image,
    whatever the scale convention of ``alpha`` (the displacement is linear in it)."""
    warp = TF("elastic", alpha=1.0, sigma=sigma).warp((H, W), np.random.default_rng(0))
    xs, ys = np.meshgrid(np.arange(W), np.arange(H))
    rms = float(np.sqrt(np.mean((warp.map_x - xs) ** 2 + (warp.map_y - ys) ** 2) / 2))
    return TF("elastic", alpha=round(rms_pixels / rms, 3), sigma=sigma)


DENSE = [
    TF("swirl", strength=1.0),
    TF("swirl", strength=-2.0, radius=0.6),
    elastic(sigma=4.0, rms_pixels=2.0),
    elastic(sigma=8.0, rms_pixels=4.0),
]
PHOTOMETRIC = [TF("brightness", factor=1.3), TF("invert")]


def scene(mask_dtype=torch.uint8, box_format="XYXY"):
    img = torch.full((1, H, W), 40, dtype=torch.uint8)
    img[:, TOP : TOP + SIDE, LEFT : LEFT + SIDE] = 220
    mask = torch.zeros((1, H, W), dtype=mask_dtype)
    mask[:, TOP : TOP + SIDE, LEFT : LEFT + SIDE] = 1
    xyxy = tv_tensors.BoundingBoxes(
        torch.tensor([[LEFT, TOP, LEFT + SIDE, TOP + SIDE]], dtype=torch.float32),
        format="XYXY",
        canvas_size=(H, W),
    )
    boxes = TVF.convert_bounding_box_format(
        xyxy, new_format=getattr(tv_tensors.BoundingBoxFormat, box_format)
    )
    return tv_tensors.Image(img), tv_tensors.Mask(mask), boxes


def run(tf, *inputs):
    return TANDAPolicy([tf], seq_len=1, seed=0)(*inputs)


def xyxy(boxes) -> np.ndarray:
    out = TVF.convert_bounding_box_format(boxes, new_format=tv_tensors.BoundingBoxFormat.XYXY)
    return out.numpy().reshape(-1, 4)


def mask_box(mask: np.ndarray) -> np.ndarray:
    """Continuous box of the mask's pixels (pixel (c, r) spans [c, c+1) x [r, r+1))."""
    rows, cols = np.nonzero(mask)
    return np.array([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1], np.float64)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def check_follow(tf, box_format="XYXY"):
    img, mask, boxes = scene(box_format=box_format)
    out_img, out_mask, out_boxes = run(tf, img, mask, boxes)
    assert isinstance(out_mask, tv_tensors.Mask) and out_mask.dtype == torch.uint8
    assert isinstance(out_boxes, tv_tensors.BoundingBoxes)
    assert out_boxes.format == boxes.format and out_boxes.canvas_size == (H, W)
    blob = out_img[0].numpy() > 130
    moved = out_mask[0].numpy().astype(bool)
    assert moved.sum() > 0.5 * SIDE * SIDE
    assert iou(moved, blob) > 0.9, f"{tf}: IoU {iou(moved, blob):.3f}"
    return moved, xyxy(out_boxes)[0]


@pytest.mark.parametrize("box_format", ["XYXY", "CXCYWH"])
@pytest.mark.parametrize("tf", AFFINE, ids=repr)
def test_affine_tfs_move_mask_and_box_with_the_image(tf, box_format):
    moved, box = check_follow(tf, box_format)
    np.testing.assert_allclose(box, mask_box(moved), atol=2.0, err_msg=repr(tf))


@pytest.mark.parametrize("tf", DENSE, ids=repr)
def test_dense_tfs_move_mask_and_box_contains_it(tf):
    moved, box = check_follow(tf)
    tight = mask_box(moved)
    # The box is the warped outline (continuous); the mask is sampled at pixel centres, so
    # its pixel-edged box can poke out by up to about half a pixel per side.
    slack = 0.75
    assert box[0] <= tight[0] + slack and box[1] <= tight[1] + slack, (tf, box, tight)
    assert box[2] >= tight[2] - slack and box[3] >= tight[3] - slack, (tf, box, tight)
    # and stays a reasonable box: not more than a few pixels looser than the mask's
    assert np.all(np.abs(box - tight) < 6), (tf, box, tight)


def test_dense_tfs_really_move_the_blob():
    img, mask, boxes = scene()
    for tf in DENSE:
        _, out_mask, out_boxes = run(tf, img, mask, boxes)
        assert not torch.equal(out_mask, mask), tf
        assert not np.allclose(xyxy(out_boxes), xyxy(boxes)), tf


@pytest.mark.parametrize("tf", PHOTOMETRIC, ids=repr)
def test_photometric_tfs_leave_targets_unchanged(tf):
    img, mask, boxes = scene()
    out_img, out_mask, out_boxes = run(tf, img, mask, boxes)
    assert not torch.equal(out_img, img)
    assert torch.equal(out_mask, mask)
    assert torch.equal(out_boxes, boxes) and out_boxes.format == boxes.format


@pytest.mark.parametrize("dtype", [torch.uint8, torch.uint16, torch.bool, torch.int64])
def test_mask_dtype_is_kept(dtype):
    img, mask, boxes = scene(mask_dtype=dtype)
    if dtype != torch.bool:
        mask = tv_tensors.Mask(mask * 7)  # a label id, not just 1
    _, out_mask, _ = run(TF("rotate", degrees=20.0), img, mask, boxes)
    assert out_mask.dtype == dtype and out_mask.shape == mask.shape
    values = set(torch.unique(out_mask.to(torch.int64)).tolist())
    assert values == set(torch.unique(mask.to(torch.int64)).tolist())  # nearest: no blending


def test_multi_object_masks_and_boxes():
    img, mask, _ = scene()
    masks = tv_tensors.Mask(torch.cat([mask, mask.flip(-1)]))  # N x H x W
    boxes = tv_tensors.BoundingBoxes(
        torch.tensor([[LEFT, TOP, LEFT + SIDE, TOP + SIDE], [0, 0, 10, 10]], dtype=torch.float32),
        format="XYXY",
        canvas_size=(H, W),
    )
    _, out_masks, out_boxes = run(TF("hflip"), img, masks, boxes)
    assert out_masks.shape == masks.shape
    assert torch.equal(out_masks[0], masks[1]) and torch.equal(out_masks[1], masks[0])
    np.testing.assert_allclose(xyxy(out_boxes)[1], [W - 10, 0, W, 10])


@pytest.mark.skipif(not hasattr(tv_tensors, "KeyPoints"), reason="torchvision without KeyPoints")
@pytest.mark.parametrize("tf", AFFINE + DENSE[:2], ids=repr)
def test_keypoints_follow_the_blob_centre(tf):
    img, mask, _ = scene()
    centre = [LEFT + (SIDE - 1) / 2, TOP + (SIDE - 1) / 2]  # (x, y) of the blob's centre pixel
    points = tv_tensors.KeyPoints(torch.tensor([centre]), canvas_size=(H, W))
    _, out_mask, out_points = run(tf, img, mask, points)
    assert isinstance(out_points, tv_tensors.KeyPoints) and out_points.shape == points.shape
    rows, cols = np.nonzero(out_mask[0].numpy())
    np.testing.assert_allclose(
        out_points.numpy()[0], [cols.mean(), rows.mean()], atol=1.5, err_msg=repr(tf)
    )
