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


# --- rotated boxes (torchvision's XYWHR, CXCYWHR, XYXYXYXY) ---------------------------------

SIMILAR = [TF("rotate", degrees=30.0), TF("rotate", degrees=-12.5), TF("zoom", factor=1.3),
           TF("zoom", factor=0.8), TF("hflip"), TF("vflip"), TF("translate", dx=0.1, dy=0.15)]


def rotated_scene(box_format: str):
    img, mask, _ = scene()
    xywhr = torch.tensor([[LEFT, TOP, SIDE, SIDE, 0.0]], dtype=torch.float64)
    box = tv_tensors.BoundingBoxes(xywhr, format="XYWHR", canvas_size=(H, W))
    return img, mask, TVF.convert_bounding_box_format(box, new_format=box_format)


def corners(boxes) -> np.ndarray:
    out = TVF.convert_bounding_box_format(boxes, new_format="XYXYXYXY")
    return out.numpy().reshape(-1, 4, 2)


def inside(points: np.ndarray, quad: np.ndarray, slack: float) -> np.ndarray:
    """Whether each point lies in the rectangle ``quad`` (4 x 2 corners), within ``slack``."""
    along, across = quad[1] - quad[0], quad[3] - quad[0]
    rel = points - quad[0]
    a = rel @ along / np.linalg.norm(along)
    b = rel @ across / np.linalg.norm(across)
    return ((a >= -slack) & (a <= np.linalg.norm(along) + slack)
            & (b >= -slack) & (b <= np.linalg.norm(across) + slack))


@pytest.mark.parametrize("box_format", ["XYWHR", "CXCYWHR", "XYXYXYXY"])
@pytest.mark.parametrize("tf", SIMILAR, ids=repr)
def test_rotated_boxes_move_exactly_under_similarities(tf, box_format):
    img, mask, boxes = rotated_scene(box_format)
    _, _, plain = scene()
    _, out_mask, out = run(tf, img, mask, boxes)
    _, _, out_plain = run(tf, img, mask, plain)
    assert isinstance(out, tv_tensors.BoundingBoxes) and out.format == boxes.format
    assert out.dtype == boxes.dtype and out.canvas_size == (H, W)
    quad = corners(out)[0]
    # a rectangle still: its sides keep the box's proportions (times the zoom)
    sides = np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[3] - quad[0])
    np.testing.assert_allclose(sides[0], sides[1], rtol=1e-9)
    # and its axis-aligned extent is the axis-aligned path's box
    extent = np.concatenate([quad.min(0), quad.max(0)])
    np.testing.assert_allclose(extent, xyxy(out_plain)[0], atol=1e-6, err_msg=repr(tf))
    rows, cols = np.nonzero(out_mask[0].numpy())
    assert inside(np.stack([cols + 0.5, rows + 0.5], 1), quad, slack=0.75).all()


@pytest.mark.parametrize("tf", [TF("shear", factor=0.3), *DENSE], ids=repr)
def test_rotated_boxes_cover_the_moved_blob_under_shears_and_dense_warps(tf):
    img, mask, boxes = rotated_scene("XYWHR")
    _, out_mask, out = run(tf, img, mask, boxes)
    quad = corners(out)[0]
    rows, cols = np.nonzero(out_mask[0].numpy())
    assert inside(np.stack([cols + 0.5, rows + 0.5], 1), quad, slack=0.75).all(), tf
    area = np.linalg.norm(quad[1] - quad[0]) * np.linalg.norm(quad[3] - quad[0])
    assert area < 1.6 * len(rows), (tf, area, len(rows))  # a cover, not a blow-up


def test_two_flips_bring_a_rotated_box_back():
    img, mask, boxes = rotated_scene("CXCYWHR")
    boxes = tv_tensors.wrap(boxes.clone(), like=boxes)
    boxes[0, 4] = 20.0
    policy = TANDAPolicy([TF("hflip")], seq_len=2, seed=0)
    out = policy(img, boxes)[1]
    np.testing.assert_allclose(corners(out), corners(boxes), atol=1e-9)


def test_masks_of_any_real_dtype_move_exactly():
    img, mask, boxes = scene()
    for values, dtype in [((0.0, 0.123456789012), torch.float64), ((0, 100_000), torch.int64),
                          ((-3, 5), torch.int32)]:
        labels = torch.where(mask.bool(), values[1], values[0]).to(dtype)
        _, out, _ = run(TF("rotate", degrees=20.0), img, tv_tensors.Mask(labels), boxes)
        _, reference, _ = run(TF("rotate", degrees=20.0), img, mask, boxes)
        assert out.dtype == dtype
        expected = torch.where(reference.bool(), values[1], values[0]).to(dtype)
        assert torch.equal(out, expected)  # the same pixels as the uint8 path, values exact
