"""Sampled sequences, fused rendering (one resampling per geometric run), p and the frame."""

from __future__ import annotations

import threading

import albumentations as A
import cv2
import numpy as np
import pytest
import torch
from torchvision import transforms, tv_tensors

from tanda_transforms import TF, MeanFieldSampler, TANDAPolicy, TFLibrary
from tanda_transforms.albumentations import TANDA
from tanda_transforms.data import load_mnist_sample
from tanda_transforms.functional import AffineWarp
from tanda_transforms.functional.composition import compose_warps
from tanda_transforms.policy_file import PolicyFileError
from tanda_transforms.sequence import SampledSequence
from tanda_transforms.targets import warp_boxes, warp_points

AFFINE = [
    TF("rotate", degrees=12.0),
    TF("zoom", factor=0.85),
    TF("shear", factor=0.2, axis="y"),
    TF("translate", dx=0.05, dy=-0.1),
    TF("hflip"),
]
DENSE = [TF("swirl", strength=0.8, radius=0.5), TF("elastic", alpha=40.0, sigma=5.0)]


def laplacian_variance(img: np.ndarray) -> float:
    return float(cv2.Laplacian(img.astype(np.float64), cv2.CV_64F).var())


def sharpness_kept(originals, outputs) -> float:
    return float(np.mean([laplacian_variance(o) / laplacian_variance(i)
                          for i, o in zip(originals, outputs, strict=True)]))


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_mnist_sample()[0]


def test_alternating_rotations_keep_the_digits_sharp(digits):
    policy = TANDAPolicy("mnist", seq_len=10, seed=0)
    alternating = ["rotate(degrees=2.5)", "rotate(degrees=-2.5)"] * 5
    outputs = [policy.apply_sequence(d, alternating, seed=i) for i, d in enumerate(digits)]
    assert sharpness_kept(digits, outputs) >= 0.9


def test_uniform_mnist_policy_keeps_a_third_of_the_sharpness(digits):
    policy = TANDAPolicy("mnist", seq_len=10, seed=0)
    outputs = [policy(d) for d in digits]
    assert sharpness_kept(digits, outputs) >= 0.35


def test_fused_rendering_is_sharper_than_step_by_step(digits):
    policy = TANDAPolicy("mnist", seq_len=10, seed=1)
    fused, steps = [], []
    for digit in digits[:100]:
        fused.append(policy(digit))
        sample = policy.last_sample
        img = digit
        for a, s in zip(sample.actions, sample.step_seeds, strict=True):
            img = policy.library[a](img, np.random.default_rng(s))
        steps.append(img)
    assert sharpness_kept(digits[:100], fused) > 2 * sharpness_kept(digits[:100], steps)


def test_a_geometric_run_is_one_stage_and_photometric_tfs_split_runs():
    lib = TFLibrary([*AFFINE, TF("invert"), *DENSE])
    seq = SampledSequence((0, 1, 2, 5, 6, 3, 4), (1, 2, 3, 4, 5, 6, 7))
    assert len(seq.compile(lib, (20, 24)).stages) == 3  # run, invert, run
    assert len(SampledSequence((0, 1), (0, 0)).compile(lib, (8, 8)).stages) == 1


@pytest.mark.parametrize("tfs", [AFFINE, AFFINE[:2] + DENSE + AFFINE[2:]])
def test_composed_warp_moves_points_as_the_step_by_step_warps(tfs):
    shape = (40, 48)
    rng = np.random.default_rng(0)
    warps = [tf.warp(shape, np.random.default_rng(k)) for k, tf in enumerate(tfs)]
    fused = warps[0]
    for warp in warps[1:]:
        fused = compose_warps(fused, warp)
    points = rng.uniform([12, 12], [36, 28], size=(30, 2))
    chained = warp_points(points, warps)
    # dense maps are composed by bilinear sampling (cv2 places samples on a 1/32 px grid)
    tolerance = 1e-9 if isinstance(fused, AffineWarp) else 0.1
    np.testing.assert_allclose(fused.map_points(points), chained, atol=tolerance)


def test_compiled_targets_equal_step_by_step_geometry():
    lib = TFLibrary([*AFFINE, TF("brightness", factor=1.2), *DENSE])
    seq = SampledSequence((0, 5, 6, 1, 7, 2, 3, 4), tuple(range(8)))
    compiled = seq.compile(lib, (40, 48))
    step_warps = [lib[a].warp((40, 48), np.random.default_rng(s))
                  for a, s in zip(seq.actions, seq.step_seeds, strict=True)
                  if lib[a].kind == "geometric"]
    points = np.array([[10.0, 12.0], [30.5, 20.25], [24.0, 24.0]])
    np.testing.assert_array_equal(compiled.map_points(points), warp_points(points, step_warps))
    boxes = np.array([[8.0, 10.0, 20.0, 26.0]])
    np.testing.assert_array_equal(
        compiled.warp_boxes(boxes), warp_boxes(boxes, step_warps, (40, 48))
    )


def test_fused_image_agrees_with_step_by_step_away_from_the_border():
    yy, xx = np.mgrid[0:64, 0:64]
    smooth = (127 + 100 * np.sin(xx / 7.0) * np.cos(yy / 9.0)).astype(np.uint8)
    lib = TFLibrary([TF("rotate", degrees=10.0), TF("zoom", factor=1.1), TF("shear", factor=0.1)])
    seq = SampledSequence((0, 1, 2), (0, 0, 0))
    fused = seq.compile(lib, smooth.shape).apply(smooth).astype(float)
    steps = smooth
    for tf in lib:
        steps = tf(steps)
    inner = (slice(12, 52), slice(12, 52))
    assert np.abs(fused[inner] - steps[inner].astype(float)).mean() < 2.0


def test_intermediates_end_with_what_apply_renders():
    lib = TFLibrary([*AFFINE, TF("invert"), *DENSE])
    seq = SampledSequence((6, 0, 5, 1, 7, 2), (3, 1, 4, 1, 5, 9))  # a dense warp mid-run
    img = np.random.default_rng(0).integers(0, 255, (24, 20, 3), dtype=np.uint8)
    compiled = seq.compile(lib, img.shape)
    states = compiled.intermediates(img)
    assert len(states) == 7 and states[0] is img
    np.testing.assert_array_equal(states[-1], compiled.apply(img))


def test_p_zero_returns_the_input_unchanged_and_p_is_validated():
    policy = TANDAPolicy("cifar10", seq_len=3, seed=0, p=0.0)
    img = np.random.default_rng(0).integers(0, 255, (8, 8, 3), dtype=np.uint8)
    assert policy(img) is img
    assert policy.last_sequence == []
    tensor = torch.rand(3, 8, 8)
    assert transforms.Compose([policy])(tensor) is tensor
    with pytest.raises(ValueError, match="probability"):
        TANDAPolicy("mnist", p=1.5)
    with pytest.raises(ValueError, match="float32 images must have values in"):
        policy(np.full((4, 4), 2.0, np.float32))  # refused even when p skips the call


def test_p_is_the_share_of_transformed_calls():
    policy = TANDAPolicy([TF("invert")], seq_len=1, seed=0, p=0.3)
    img = np.zeros((2, 2), np.uint8)
    changed = np.mean([policy(img)[0, 0] == 255 for _ in range(2000)])
    assert 0.26 < changed < 0.34


def test_p_and_frame_round_trip_through_the_file_and_old_files_default(tmp_path):
    policy = TANDAPolicy("mnist", seq_len=2, p=0.25, frame=3)
    policy.save(tmp_path / "p.tanda")
    loaded = TANDAPolicy.load(tmp_path / "p.tanda")
    assert (loaded.p, loaded.frame) == (0.25, 3)
    example = TANDAPolicy.load("example")  # written before p and frame existed
    assert (example.p, example.frame) == (1.0, 0)


def test_a_file_with_a_bad_p_is_refused():
    from tanda_transforms import policy_file

    policy = TANDAPolicy("mnist", seq_len=2)
    header, tensors = policy_file.decode(policy.to_bytes())
    header["p"] = 7
    with pytest.raises(PolicyFileError, match="p must be a probability"):
        TANDAPolicy.from_bytes(policy_file.encode(header, tensors))


def test_albumentations_honours_the_policy_p():
    policy = TANDAPolicy([TF("invert")], seq_len=1, p=0.0)
    pipeline = A.Compose([TANDA(policy)], seed=0)
    img = np.zeros((4, 4), np.uint8)
    assert all(pipeline(image=img)["image"].max() == 0 for _ in range(20))
    policy.p = 1.0
    assert pipeline(image=img)["image"].min() == 255


def test_frame_shifts_by_whole_pixels_within_the_frame_and_targets_follow():
    policy = TANDAPolicy([TF("invert")], seq_len=1, seed=0, frame=2)
    img = np.zeros((16, 16), np.uint8)
    img[8, 8] = 255  # inverted: the only dark pixel
    points = tv_tensors.KeyPoints(torch.tensor([[8.0, 8.0]]), canvas_size=(16, 16))
    shifts = set()
    for _ in range(60):
        out, moved = policy(tv_tensors.Image(torch.from_numpy(img)[None]), points)
        row, col = np.argwhere(out[0].numpy() == 0)[0]
        assert moved[0].tolist() == [float(col), float(row)]
        shifts.add((int(row) - 8, int(col) - 8))
    assert shifts <= {(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)}
    assert len(shifts) > 10


def test_replay_and_forced_sequences_are_safe_across_threads():
    # The sampler only ever draws hflip; another thread forces invert on the same policy.
    sampler = MeanFieldSampler(2, logits=[-50.0, 50.0])
    policy = TANDAPolicy([TF("invert"), TF("hflip")], sampler, seq_len=1, seed=0)
    img = np.arange(16, dtype=np.uint8).reshape(4, 4)
    stop = threading.Event()

    def force_invert():
        while not stop.is_set():
            assert np.array_equal(policy.apply_sequence(img, ["invert()"]), 255 - img)

    thread = threading.Thread(target=force_invert)
    thread.start()
    try:
        outputs = [policy(img) for _ in range(300)]
    finally:
        stop.set()
        thread.join()
    assert all(np.array_equal(out, img[:, ::-1]) for out in outputs)
    assert np.array_equal(policy.replay(img), policy(img, sequence=policy.last_sample))


def test_a_composed_dense_warp_applies_like_its_plain_maps():
    from tanda_transforms.functional import DenseWarp
    from tanda_transforms.functional.composition import compose_run

    shape = (80, 72)
    warps = [TF("zoom", factor=0.8).warp(shape), TF("swirl", strength=0.6).warp(shape),
             TF("rotate", degrees=20.0).warp(shape)]
    composed = compose_run(warps)
    plain = DenseWarp(composed.map_x.copy(), composed.map_y.copy())
    img = np.random.default_rng(0).integers(0, 255, (*shape, 3), dtype=np.uint8)
    diff = np.abs(composed.apply(img).astype(int) - plain.apply(img).astype(int))
    assert diff.max() <= 1  # padded once vs cv2's own border handling: rounding only
