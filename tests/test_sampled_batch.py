"""The sampled batch: what the policy draws for a batched call (one place for ``p`` and the
frame, for both paths), how the renderer and the targets read it (keypoints included)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision import tv_tensors

from tanda_transforms import TF, TANDAPolicy, TFLibrary
from tanda_transforms.batched.render import Renderer
from tanda_transforms.sequence import SampledBatch, SampledSequence, draw_verdicts

GEOMETRIC = TFLibrary([TF("rotate", degrees=12.0), TF("zoom", factor=1.2),
                       TF("swirl", strength=1.0), TF("shear", factor=0.2), TF("hflip"),
                       TF("invert")])


@pytest.mark.parametrize("seed", range(6))
def test_a_call_draws_step_seeds_then_p_then_the_frame_from_its_numpy_stream(seed):
    policy = TANDAPolicy("mnist", seq_len=3, p=0.5, frame=3)
    got = policy.finish_sample((4, 0, 2), np.random.default_rng(seed))
    rng = np.random.default_rng(seed)
    seeds = tuple(int(s) for s in rng.integers(0, 2**63, size=3))
    applied = bool(rng.random() < 0.5)
    dy, dx = (int(v) for v in rng.integers(-3, 4, size=2))
    assert got == SampledSequence((4, 0, 2), seeds, applied, (dy, dx))


def test_a_batch_draws_sequences_then_p_then_the_frame_from_its_torch_streams():
    policy = TANDAPolicy("cifar10", seq_len=4, p=0.5, frame=2)
    batch = policy.sample_batch(64, torch.Generator().manual_seed(1),
                                torch.Generator().manual_seed(2))
    actions = policy.sampler.draw(64, 4, torch.Generator().manual_seed(1))
    verdicts = torch.Generator().manual_seed(2)
    applied = torch.rand(64, generator=verdicts) < 0.5
    shifts = torch.randint(-2, 3, (64, 2), generator=verdicts)
    assert torch.equal(batch.actions, actions) and torch.equal(batch.applied, applied)
    assert torch.equal(batch.frame_shifts, shifts)
    assert 16 < int(applied.sum()) < 48 and len(torch.unique(shifts)) == 5


@pytest.mark.parametrize("make", [np.random.default_rng,
                                  lambda seed: torch.Generator().manual_seed(seed)])
def test_without_a_frame_nothing_is_drawn_for_it(make):
    generator, twin = make(3), make(3)
    applied, shifts = draw_verdicts(5, 0.5, 0, generator)
    assert shifts is None
    uniform = twin.random(5) if isinstance(twin, np.random.Generator) else torch.rand(
        5, generator=twin)
    assert applied.tolist() == (uniform < 0.5).tolist()


def test_a_sampled_batch_checks_its_shapes():
    with pytest.raises(ValueError, match="actions \\[B, L\\] and applied \\[B\\]"):
        SampledBatch(torch.zeros(3, 2, dtype=torch.long), torch.ones(2, dtype=torch.bool))
    with pytest.raises(ValueError, match="frame_shifts must be \\[B, 2\\] = \\[3, 2\\]"):
        SampledBatch(torch.zeros(3, 2, dtype=torch.long), torch.ones(3, dtype=torch.bool),
                     torch.zeros(3, 1, dtype=torch.long))
    empty = SampledBatch.empty(4, framed=True)
    assert len(empty) == 0 and empty.actions.shape == (0, 4) and empty.frame_shifts.shape == (0, 2)


def test_sample_warps_are_the_per_image_warps_and_nothing_for_skipped_samples():
    batch = SampledBatch(torch.tensor([[0, 5, 4], [1, 2, 3]]), torch.tensor([True, False]),
                         torch.tensor([[1, -2], [3, 3]]))
    points = np.array([[2.0, 3.0], [7.5, 1.0]])
    warps = batch.sample_warps(0, GEOMETRIC, (10, 12), drawn={})
    compiled = SampledSequence((0, 5, 4), (0, 0, 0), frame_shift=(1, -2)).compile(GEOMETRIC,
                                                                                  (10, 12))
    np.testing.assert_allclose(
        [w.map_points(points).tolist() for w in warps],
        [w.map_points(points).tolist() for w in compiled.warps],
    )
    assert len(warps) == 3  # rotate, hflip, then the frame (invert has none)
    assert batch.sample_warps(1, GEOMETRIC, (10, 12), drawn={}) == []


def test_render_batch_renders_the_applied_samples_as_render_does_and_leaves_the_others():
    renderer = Renderer(GEOMETRIC)
    x = torch.rand(10, 3, 9, 11, generator=torch.Generator().manual_seed(0))
    actions = torch.randint(0, len(GEOMETRIC), (10, 3), generator=torch.Generator().manual_seed(1))
    applied = torch.arange(10) % 3 != 0
    shifts = torch.randint(-2, 3, (10, 2), generator=torch.Generator().manual_seed(2))
    out = x.clone()
    renderer.render_batch(out, SampledBatch(actions, applied, shifts), torch.float32,
                          torch.Generator().manual_seed(5))
    expected = renderer.render(x[applied], actions[applied], torch.float32,
                               torch.Generator().manual_seed(5), shifts[applied])
    assert torch.equal(out[applied], expected)
    assert torch.equal(out[~applied], x[~applied])


def test_the_module_keeps_the_batch_it_drew():
    augment = TANDAPolicy("cifar10", seq_len=2, p=0.5, frame=1).batched(seed=0)
    augment(torch.rand(8, 3, 8, 8))
    batch = augment.last_sample
    assert isinstance(batch, SampledBatch) and augment.last_actions is batch.actions
    assert augment.last_applied is batch.applied
    assert augment.last_frame_shifts is batch.frame_shifts


def _random_points(n: int, h: int, w: int) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return [torch.rand(5, 2, generator=gen) * torch.tensor([w - 1.0, h - 1.0]) for _ in range(n)]


def test_keypoints_agree_with_the_per_image_path():
    augment = TANDAPolicy(GEOMETRIC, seq_len=4, frame=2, p=0.7).batched(seed=3)
    points = _random_points(12, 20, 24)
    _, moved = augment(torch.rand(12, 3, 20, 24), keypoints=points)
    batch = augment.last_sample
    for i, row in enumerate(batch.actions.tolist()):
        if not batch.applied[i]:
            assert torch.equal(moved[i], points[i])
            continue
        frame = tuple(batch.frame_shifts[i].tolist())
        compiled = SampledSequence(tuple(row), (0,) * 4, frame_shift=frame).compile(GEOMETRIC,
                                                                                    (20, 24))
        np.testing.assert_allclose(moved[i].numpy(), compiled.map_points(points[i].numpy()),
                                   atol=1e-4)
        assert moved[i].dtype == points[i].dtype


def test_keypoints_follow_random_shifts_exactly_and_keep_their_type():
    # pad-and-crop draws its offsets on the device: a keypoint at a bright pixel's centre
    # moves with that pixel
    x = torch.zeros(16, 1, 32, 32)
    x[:, :, 12, 10] = 1.0
    point = tv_tensors.KeyPoints([[10.0, 12.0]], canvas_size=(32, 32))
    augment = TANDAPolicy([TF("pad_and_crop", padding=0.125)], seq_len=2).batched(seed=1)
    images, masks, moved = augment(x, torch.zeros(16, 32, 32), keypoints=[point] * 16)
    for image, points in zip(images, moved, strict=True):
        row, col = torch.nonzero(image[0] > 0.5)[0].tolist()
        assert isinstance(points, tv_tensors.KeyPoints)
        assert points.tolist() == [[float(col), float(row)]]
    assert len({tuple(p.flatten().tolist()) for p in moved}) > 4


@pytest.mark.parametrize(
    ("keypoints", "error", "match"),
    [
        (torch.zeros(2, 1, 2), TypeError, "one \\[k, 2\\] tensor or KeyPoints"),
        ([torch.zeros(1, 2)], ValueError, "one entry per sample"),
        ([torch.zeros(1, 2), torch.zeros(1, 4)], ValueError, r"keypoints\[1\] must be a \[k, 2\]"),
        ([torch.zeros(1, 2), torch.zeros(1, 2, dtype=torch.long)], TypeError,
         "float \\(x, y\\) positions"),
        ([torch.zeros(1, 2), torch.tensor([[float("nan"), 0.0]])], ValueError, "finite"),
        ([tv_tensors.KeyPoints([[0.0, 0.0]], canvas_size=(9, 9))] * 2, ValueError,
         "canvas_size"),
    ],
)
def test_bad_keypoints_are_refused_by_name(keypoints, error, match):
    with pytest.raises(error, match=match):
        TANDAPolicy(GEOMETRIC).batched(seed=0)(torch.rand(2, 1, 8, 8), keypoints=keypoints)


def test_an_empty_batch_gives_empty_targets_back():
    augment = TANDAPolicy(GEOMETRIC, frame=1).batched(seed=0)
    images, boxes, points = augment(torch.rand(0, 1, 8, 8), boxes=[], keypoints=[])
    assert images.shape == (0, 1, 8, 8) and boxes == [] and points == []
    assert augment.last_sample.frame_shifts.shape == (0, 2)
