"""policy.batched(): per-sample sequences on tensors, agreeing with the per-image path.

Tolerances (stated once, used below): a geometric TF agrees with the per-image path to 1e-5
on float32 images (measured: 0 to 1e-6; both sample bilinearly at the same positions);
fused runs to 1e-3 (measured up to 2e-4: where a run composes a dense warp, cv2.remap reads
the displacement at positions rounded to 1/32 pixel, torch does not); uint8 images to one
level and 0.1 on average (measured up to 0.054: cv2 interpolates uint8 in fixed point
and rounds each stage at slightly different values), two levels where a photometric
TF that scales differences (brightness 1.25) follows a one-level difference; flips exactly.

Those figures are OpenCV 5's. OpenCV 4 rounds sample positions to 1/32 pixel (see
``library_output.OPENCV_ROUNDS_POSITIONS``): on these images |d/dx| + |d/dy| is at most
0.4 * 6 * 2 / 17 = 0.28 per pixel, so a resampling moves a value by at most 0.28 / 64 =
4.4e-3; float32 agrees to 5e-3 (measured up to 3.2e-3 with 4.10 and 4.14), uint8 to two
levels and 0.25 on average (measured 2 and 0.16), three where brightness 1.25 follows.
"""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from library_output import OPENCV_ROUNDS_POSITIONS

from tanda_transforms import TF, TANDAPolicy, TFLibrary
from tanda_transforms.batched import BatchedPolicy, PhotometricKernel
from tanda_transforms.batched import geometric as geo
from tanda_transforms.batched.render import Renderer
from tanda_transforms.functional import elastic_warp
from tanda_transforms.registry import _REGISTRY, get_op, register_op
from tanda_transforms.sequence import SampledSequence
from tanda_transforms.tfs import cifar10_pack, mammography_pack, mnist_pack

FLOAT_TOL = 5e-3 if OPENCV_ROUNDS_POSITIONS else 1e-5
FUSED_FLOAT_TOL = 5e-3 if OPENCV_ROUNDS_POSITIONS else 1e-3
UINT8_LEVELS = 2 if OPENCV_ROUNDS_POSITIONS else 1
MIXED_UINT8_LEVELS = 3 if OPENCV_ROUNDS_POSITIONS else 2
MEAN_LEVELS = 0.25 if OPENCV_ROUNDS_POSITIONS else 0.1


def _geometric(*packs) -> TFLibrary:
    tfs = [tf for pack in packs for tf in pack() if tf.kind == "geometric" and not tf.random]
    tfs += [TF("translate", dx=0.1, dy=-0.05), TF("vflip"), TF("shear", factor=0.3, axis="y")]
    return TFLibrary(list(dict.fromkeys(tfs)))


GEOMETRIC = _geometric(mnist_pack, cifar10_pack, mammography_pack)


def _images(n: int, h: int, w: int, c: int, dtype, seed: int = 0) -> np.ndarray:
    """Smooth random images N x H x W x C (gradients, so interpolation matters)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w] / max(h, w)
    out = np.empty((n, h, w, c), np.float32)
    for i in range(n):
        for ch in range(c):
            a, b, f = rng.uniform(-1, 1, 3)
            out[i, :, :, ch] = 0.5 + 0.4 * np.sin(6 * f * (a * xx + b * yy) + rng.uniform(0, 6))
    if dtype == np.uint8:
        return np.rint(out * 255).astype(np.uint8)
    return out


def _to_batch(images: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(images).permute(0, 3, 1, 2)
    return x.float() / 255 if images.dtype == np.uint8 else x


def _per_image(library, actions, images, seeds=None) -> np.ndarray:
    out = []
    for i, row in enumerate(actions.tolist()):
        step_seeds = tuple(seeds[i]) if seeds is not None else (0,) * len(row)
        img = images[i] if images.shape[-1] > 1 else images[i][..., 0]
        result = SampledSequence(tuple(row), step_seeds).compile(library, img.shape).apply(img)
        out.append(result.reshape(images.shape[1:]))
    return np.stack(out)


def _render(library, images, actions, frame=None) -> np.ndarray:
    dtype = torch.uint8 if images.dtype == np.uint8 else torch.float32
    out = Renderer(library, kernels={}).render(
        _to_batch(images), actions, dtype, torch.Generator().manual_seed(0), frame
    )
    out = out.permute(0, 2, 3, 1).numpy()
    return np.rint(out * 255).astype(np.uint8) if dtype == torch.uint8 else out


def _assert_agree(batched: np.ndarray, per_image: np.ndarray, float_tol=FLOAT_TOL,
                  levels=UINT8_LEVELS) -> None:
    if per_image.dtype == np.uint8:
        diff = np.abs(batched.astype(int) - per_image.astype(int))
        assert diff.max() <= levels and diff.mean() < MEAN_LEVELS, (diff.max(), diff.mean())
    else:
        np.testing.assert_allclose(batched, per_image, atol=float_tol, rtol=0)


@pytest.mark.parametrize("index", range(len(GEOMETRIC)), ids=[repr(t) for t in GEOMETRIC])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_each_geometric_tf_agrees_with_the_per_image_path(index, dtype):
    images = _images(2, 20, 27, 3, dtype)
    actions = torch.tensor([[index], [index]])
    _assert_agree(_render(GEOMETRIC, images, actions), _per_image(GEOMETRIC, actions, images))


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3), (12, 17, 3)])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_fused_runs_agree_with_the_per_image_path(shape, dtype):
    images = _images(12, *shape, dtype)
    actions = torch.randint(0, len(GEOMETRIC), (12, 6), generator=torch.Generator().manual_seed(1))
    expected = _per_image(GEOMETRIC, actions, images)
    _assert_agree(_render(GEOMETRIC, images, actions), expected, FUSED_FLOAT_TOL)


@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_runs_broken_by_photometric_steps_agree_with_the_per_image_path(dtype):
    # dense warps (swirls) of different steps pending together, pulled back depth by depth
    library = TFLibrary([*GEOMETRIC, TF("invert")])
    images = _images(16, 24, 24, 3, dtype)
    weights = torch.ones(len(library))
    weights[-1] = len(library) / 3  # a quarter of the steps end a run
    actions = torch.multinomial(weights, 16 * 8, replacement=True,
                                generator=torch.Generator().manual_seed(3)).view(16, 8)
    expected = _per_image(library, actions, images)
    _assert_agree(_render(library, images, actions), expected, FUSED_FLOAT_TOL)


def test_flips_agree_exactly():
    lib = TFLibrary([TF("hflip"), TF("vflip")])
    images = _images(4, 9, 14, 3, np.uint8)
    actions = torch.tensor([[0], [1], [0, 1][::-1][:1], [1]]).reshape(4, 1)
    np.testing.assert_array_equal(_render(lib, images, actions), _per_image(lib, actions, images))


def test_the_frame_shift_ends_the_last_run():
    lib = TFLibrary([TF("rotate", degrees=5.0)])
    images = _images(3, 16, 16, 1, np.float32)
    actions = torch.zeros(3, 2, dtype=torch.long)
    shift = torch.tensor([[1, -2], [0, 3], [-1, 0]])
    expected = []
    for i, (dy, dx) in enumerate(shift.tolist()):
        seq = SampledSequence((0, 0), (0, 0), frame_shift=(dy, dx))
        expected.append(seq.compile(lib, (16, 16)).apply(images[i][..., 0])[..., None])
    _assert_agree(_render(lib, images, actions, shift), np.stack(expected))


@pytest.mark.parametrize(("alpha", "sigma"), [(1.0, 1.0), (34.0, 4.0), (200.0, 8.0), (5.0, 0.0)])
def test_elastic_with_the_same_draws_builds_the_same_field(alpha, sigma):
    h, w = 24, 30
    warp = elastic_warp((h, w), alpha, sigma, seed=np.random.default_rng(5))
    rng = np.random.default_rng(5)  # the per-image draw: x field, then y, U(-1, 1) float32
    noise = np.stack([rng.random((h, w), dtype=np.float32) * 2 - 1 for _ in range(2)])
    field = geo.elastic_steps(torch.from_numpy(noise)[None], alpha, sigma).displacement[0]
    xs, ys = np.meshgrid(np.arange(w), np.arange(h))
    expected = np.stack([warp.map_x - xs, warp.map_y - ys])
    np.testing.assert_allclose(field.numpy(), expected, atol=1e-5 * max(alpha, 1), rtol=0)


def test_elastic_smoothing_reflects_past_small_images():
    # sigma 8 has a 65-wide kernel: reflect-101 must repeat on a 10 x 12 field, as cv2 does
    import cv2

    noise = np.random.default_rng(0).random((10, 12), dtype=np.float32)
    expected = cv2.GaussianBlur(noise, (65, 65), 8.0, sigmaY=8.0, borderType=cv2.BORDER_REFLECT_101)
    got = geo.smooth_fields(torch.from_numpy(noise)[None, None], 8.0)[0, 0].numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_pad_and_crop_draws_whole_pixel_shifts_within_the_padding():
    steps = geo.random_warps(TF("pad_and_crop", padding=0.125), 500, (32, 32),
                             torch.Generator().manual_seed(0), torch.device("cpu"))
    shifts = -steps.inverse[:, :2, 2]
    assert shifts.abs().max() == 4 and torch.equal(shifts, shifts.round())
    assert len(torch.unique(shifts, dim=0)) > 50  # per sample, not once per batch


# --- the module ---------------------------------------------------------------------------


def test_each_sample_gets_its_own_sequence():
    augment = TANDAPolicy(GEOMETRIC, seq_len=3).batched(seed=0)
    x = torch.from_numpy(_images(1, 28, 28, 1, np.uint8)).permute(0, 3, 1, 2).repeat(64, 1, 1, 1)
    out = augment(x)
    assert out.dtype == torch.uint8 and out.shape == x.shape
    assert len(torch.unique(out.flatten(1), dim=0)) > 40
    assert len({tuple(s) for s in augment.last_sequences}) > 40


@pytest.mark.parametrize("dtype", [torch.uint8, torch.uint16, torch.float32])
@pytest.mark.parametrize("channels", [1, 3])
def test_same_seed_same_output_any_dtype(dtype, channels):
    x = torch.rand(8, channels, 16, 16)
    if dtype != torch.float32:
        x = (x * (255 if dtype == torch.uint8 else 65535)).round().to(dtype)
    policy = TANDAPolicy(GEOMETRIC, seq_len=4)
    a, b = policy.batched(seed=3)(x), policy.batched(seed=3)(x)
    assert a.dtype == dtype and a.shape == x.shape and torch.equal(a, b)
    assert not torch.equal(policy.batched(seed=4)(x), a)


def test_p_is_drawn_per_sample():
    x = torch.rand(200, 1, 8, 8)
    augment = TANDAPolicy(GEOMETRIC, seq_len=2, p=0.5).batched(seed=0)
    out = augment(x)
    kept = (out == x).flatten(1).all(1)
    assert torch.equal(kept, ~augment.last_applied | kept)  # skipped samples are unchanged
    assert 60 < int(augment.last_applied.sum()) < 140
    assert all(s == [] for s, a in zip(augment.last_sequences, augment.last_applied, strict=True)
               if not a)
    assert torch.equal(TANDAPolicy(GEOMETRIC, p=0.0).batched(seed=0)(x), x)


def test_the_input_is_not_modified_and_the_output_is_new():
    x = torch.rand(4, 3, 8, 8)
    before = x.clone()
    out = TANDAPolicy("cifar10", seq_len=3, p=0.0).batched(seed=0)(x)
    assert torch.equal(x, before) and out.data_ptr() != x.data_ptr()


@pytest.mark.parametrize("p", [1.0, 0.5])
def test_outputs_are_ordinary_tensors_for_training(p):
    # the call renders in inference mode; what it returns must not be an inference tensor:
    # a model trains on it (autograd saves it) and a user may modify it in place
    augment = TANDAPolicy("cifar10", seq_len=2, p=p).batched(seed=0)
    images, masks = augment(torch.rand(4, 3, 8, 8), torch.zeros(4, 8, 8, dtype=torch.long))
    assert not images.is_inference() and not masks.is_inference()
    conv = torch.nn.Conv2d(3, 2, 3)
    conv(images).sum().backward()
    assert conv.weight.grad is not None
    images.add_(0.0)
    masks.add_(1)
    assert not augment.last_actions.is_inference()


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (np.zeros((2, 1, 4, 4), np.float32), TypeError, "torch.Tensor"),
        (torch.zeros(1, 4, 4), ValueError, r"\[B, C, H, W\]"),
        (torch.zeros(2, 1, 4, 4, dtype=torch.float64), TypeError, "uint8, uint16 or float32"),
        (torch.zeros(2, 2, 4, 4), ValueError, "1, 3 or 4 channels"),
        (torch.full((2, 1, 4, 4), 1.5), ValueError, r"in \[0, 1\]"),
        (torch.full((2, 1, 4, 4), float("nan")), ValueError, r"in \[0, 1\]"),
        (torch.zeros(2, 1, 4, 4, requires_grad=True), ValueError, "not differentiable"),
    ],
)
def test_bad_batches_are_refused_by_name(x, error, match):
    with pytest.raises(error, match=match):
        TANDAPolicy(GEOMETRIC).batched(seed=0)(x)


def test_a_numpy_only_op_runs_per_sample_with_a_warning():
    @register_op("batched_test_darken", kind="photometric")
    def darken(img, amount: float = 0.5):
        return (img * (1 - amount)).astype(img.dtype)

    try:
        lib = TFLibrary([TF("batched_test_darken", amount=0.5)])
        x = torch.full((3, 1, 4, 4), 200, dtype=torch.uint8)
        with pytest.warns(RuntimeWarning, match="no batched kernel"):
            out = TANDAPolicy(lib, seq_len=1).batched(seed=0)(x)
        assert (out == 100).all()
    finally:
        _REGISTRY.pop("batched_test_darken")


def test_a_registered_batched_kernel_is_used_without_a_warning():
    calls = []

    def halve(x, args, draws, dtype):
        calls.append(len(x))
        return x * (1 - args["amount"]).to(x.dtype)[:, None, None, None]

    @register_op("batched_test_halve", kind="photometric", batched=halve)
    def numpy_halve(img, amount: float = 0.5):
        raise AssertionError("the numpy op must not run")

    try:
        lib = TFLibrary([TF("batched_test_halve", amount=0.5)])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = TANDAPolicy(lib, seq_len=2).batched(seed=0)(torch.ones(5, 3, 4, 4))
        assert calls == [5, 5] and torch.allclose(out, torch.full_like(out, 0.25))
    finally:
        _REGISTRY.pop("batched_test_halve")


def test_an_op_that_returns_its_input_is_skipped_after_its_pending_warps():
    def never(x, args, draws, dtype):
        raise AssertionError("a kernel that returns its input is not called")

    kernel = SimpleNamespace(apply=never, returns_input=True)  # coerced, flag kept

    @register_op("batched_test_noop", kind="photometric", batched=kernel)
    def noop(img):
        return img.copy()

    try:
        lib = TFLibrary([TF("hflip"), TF("batched_test_noop")])
        x = torch.rand(3, 2, 4, 5, generator=torch.Generator().manual_seed(0))
        for dtype in (torch.float32, torch.uint8):
            start = x if dtype == torch.float32 else (x * 255).round() / 255
            out = Renderer(lib).render(start, torch.tensor([[0, 1], [1, 1], [1, 0]]), dtype,
                                       torch.Generator())
            assert torch.equal(out[0], start[0].flip(-1))  # flipped, then left alone
            assert torch.equal(out[1], start[1])
            assert torch.equal(out[2], start[2].flip(-1))
        assert PhotometricKernel.coerce(get_op("identity").batched).returns_input
    finally:
        _REGISTRY.pop("batched_test_noop")


def test_a_kernel_that_returns_the_wrong_thing_is_named():
    @register_op("batched_test_wide", kind="photometric", batched=lambda x, a, d, t: x.double())
    def wide(img):
        return img

    try:
        with pytest.raises(TypeError, match="batched_test_wide.*float32"):
            augment = TANDAPolicy([TF("batched_test_wide")], seq_len=1).batched(seed=0)
            augment(torch.ones(2, 1, 3, 3))
    finally:
        _REGISTRY.pop("batched_test_wide")


def test_register_op_refuses_a_batched_kernel_it_cannot_use():
    with pytest.raises(TypeError, match="only photometric"):
        register_op("batched_test_geo", kind="geometric", batched=lambda *a: a)(
            lambda shape: None
        )
    with pytest.raises(TypeError, match="needs a draw"):
        register_op("batched_test_rand", kind="photometric", random=True,
                    batched=PhotometricKernel(lambda *a: a[0]))(lambda img, *, rng: img)
    assert "batched_test_geo" not in _REGISTRY and "batched_test_rand" not in _REGISTRY


class _Batches(torch.utils.data.Dataset):
    """Two items, each the actions one batched call drew (module level: workers started by
    spawn or forkserver, macOS's and Python 3.14's default, unpickle it)."""

    def __init__(self, augment):
        self.augment = augment

    def __len__(self):
        return 2

    def __getitem__(self, i):
        self.augment(torch.zeros(4, 1, 8, 8))
        return self.augment.last_actions


def test_dataloader_workers_draw_different_sequences():
    augment = TANDAPolicy(GEOMETRIC, seq_len=3).batched(seed=0)
    loader = torch.utils.data.DataLoader(_Batches(augment), batch_size=None, num_workers=2)
    first, second = list(loader)
    assert not torch.equal(first, second)


def test_it_is_a_module_that_composes():
    augment = TANDAPolicy(GEOMETRIC, seq_len=2).batched(seed=0)
    assert isinstance(augment, torch.nn.Module) and isinstance(augment, BatchedPolicy)
    out = torch.nn.Sequential(augment, torch.nn.Identity())(torch.rand(2, 1, 8, 8))
    assert out.shape == (2, 1, 8, 8)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_batches_stay_on_the_device_and_agree_with_cpu():
    policy = TANDAPolicy(GEOMETRIC, seq_len=4)
    x = torch.rand(16, 3, 20, 20)
    cpu = policy.batched(seed=0)(x)
    cuda = policy.batched(seed=0)(x.cuda())
    assert cuda.device.type == "cuda"
    assert (cuda.cpu() - cpu).abs().max() < 1e-4


@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_intermediates_agree_with_the_per_image_path(dtype):
    lib = TFLibrary([*GEOMETRIC, TF("invert"), TF("brightness", factor=1.25)])
    images = _images(10, 16, 18, 3, dtype)
    actions = torch.randint(0, len(lib), (10, 5), generator=torch.Generator().manual_seed(2))
    torch_dtype = torch.uint8 if dtype == np.uint8 else torch.float32
    states = Renderer(lib).intermediates(_to_batch(images), actions, torch_dtype,
                                         torch.Generator().manual_seed(0))
    assert states.shape == (6, 10, 3, 16, 18)
    for i, row in enumerate(actions.tolist()):
        expected = SampledSequence(tuple(row), (0,) * 5).compile(lib, (16, 18)).intermediates(
            images[i])
        for t, want in enumerate(expected):
            got = states[t, i].permute(1, 2, 0).numpy()
            got = np.rint(got * 255).astype(np.uint8) if dtype == np.uint8 else got
            _assert_agree(got[None], want[None], FUSED_FLOAT_TOL, MIXED_UINT8_LEVELS)


def _labels(n: int, h: int, w: int) -> torch.Tensor:
    """Blocky integer label maps (a few regions each)."""
    g = torch.Generator().manual_seed(0)
    coarse = torch.randint(0, 5, (n, 1, 4, 4), generator=g).float()
    return torch.nn.functional.interpolate(coarse, size=(h, w), mode="nearest")[:, 0].long()


def test_masks_follow_flips_exactly():
    lib = TFLibrary([TF("hflip"), TF("vflip"), TF("invert")])
    x, mask = torch.rand(8, 3, 12, 10), _labels(8, 12, 10)
    augment = TANDAPolicy(lib, seq_len=3).batched(seed=0)
    _, moved = augment(x, mask)
    assert moved.dtype == torch.int64 and moved.shape == mask.shape
    for i, sequence in enumerate(augment.last_sequences):
        expected = mask[i]
        for name in sequence:
            if name.startswith("hflip"):
                expected = expected.flip(-1)
            elif name.startswith("vflip"):
                expected = expected.flip(-2)
        assert torch.equal(moved[i], expected)


def test_masks_follow_rotations_within_a_pixel():
    lib = TFLibrary([TF("rotate", degrees=10.0), TF("zoom", factor=1.1), TF("swirl", strength=0.4)])
    mask = _labels(6, 24, 24)
    augment = TANDAPolicy(lib, seq_len=3).batched(seed=1)
    _, moved = augment(torch.rand(6, 1, 24, 24), mask)
    for i, row in enumerate(augment.last_actions.tolist()):
        compiled = SampledSequence(tuple(row), (0, 0, 0)).compile(lib, (24, 24))
        expected = torch.from_numpy(compiled.warp_mask(mask[i].numpy().astype(np.uint16)))
        differ = torch.nonzero(moved[i] != expected.long())
        assert len(differ) < 0.05 * 24 * 24
        padded = torch.nn.functional.pad(moved[i][None, None].float(), (1, 1, 1, 1),
                                         mode="replicate")[0, 0]
        for y, x in differ.tolist():  # the per-image label is in the 3 x 3 neighbourhood
            assert (padded[y:y + 3, x:x + 3] == expected[y, x]).any()


@pytest.mark.parametrize(
    ("mask", "error", "match"),
    [
        (np.zeros((2, 8, 8)), TypeError, "torch.Tensor"),
        (torch.zeros(2, 7, 8), ValueError, "matching the images"),
        (torch.zeros(2, 8, 8, dtype=torch.float64), TypeError, "bool, an integer type or float32"),
        (torch.full((2, 8, 8), 2**30), ValueError, r"\[-2\*\*24, 2\*\*24\]"),
    ],
)
def test_bad_masks_are_refused_by_name(mask, error, match):
    with pytest.raises(error, match=match):
        TANDAPolicy(GEOMETRIC).batched(seed=0)(torch.rand(2, 1, 8, 8), mask)


def test_the_readme_example_runs():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Augment whole batches, per sample", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert scope["out"].shape == (256, 3, 32, 32) and scope["masks"].shape == (256, 32, 32)
    assert len(scope["boxes"]) == 256 and scope["boxes"][0].shape == (1, 4)
    assert len(scope["augment"].last_sequences) == 256


def test_pad_and_crop_with_the_same_offsets_agrees_exactly():
    from tanda_transforms.functional import pad_and_crop_warp

    images = _images(3, 16, 16, 3, np.uint8)
    offsets = [(0, 4), (2, 2), (4, 1)]  # (top, left) within 2 * padding = 4
    top, left = (torch.tensor(v) for v in zip(*offsets, strict=True))
    steps = geo.translations(2 - left, 2 - top)  # padding 2 px, as the batched kernel builds it
    runs = geo.PendingRuns(3, (16, 16), torch.device("cpu"))
    runs.add(torch.arange(3), steps)
    out = geo.resample(_to_batch(images), runs.grid(torch.arange(3), consume=True))
    got = np.rint(out.permute(0, 2, 3, 1).numpy() * 255).astype(np.uint8)
    for i, (t, l_) in enumerate(offsets):
        expected = pad_and_crop_warp((16, 16), 2, t, l_).apply(images[i])
        np.testing.assert_array_equal(got[i], expected)


def test_the_consistency_loss_takes_a_batched_policy():
    from tanda_transforms import consistency_loss

    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 8 * 8, 10))
    augment = TANDAPolicy("cifar10", seq_len=3).batched()
    x = torch.rand(16, 3, 8, 8)
    first = consistency_loss(model, x, augment, passes=2, per_image=False, seed=5)
    again = consistency_loss(model, x, augment, passes=2, per_image=False, seed=5)
    assert first.item() > 0 and first.item() == again.item()
    first.backward()
    assert model[1].weight.grad.abs().sum() > 0


def test_a_random_user_warp_runs_per_sample_dense_or_mixed():
    from tanda_transforms.functional import DenseWarp, translate_warp

    @register_op("batched_test_jitter", kind="geometric", random=True)
    def jitter(shape, amount: float = 0.5, *, rng):
        if rng.random() < 0.5:  # some draws affine, some dense
            return translate_warp(shape, 0.1, 0.0)
        ys, xs = np.mgrid[: shape[0], : shape[1]].astype(np.float32)
        noise = rng.uniform(-amount, amount, (2, *shape[:2])).astype(np.float32)
        return DenseWarp(xs + noise[0], ys + noise[1])

    try:
        augment = TANDAPolicy([TF("batched_test_jitter")], seq_len=2).batched(seed=0)
        x = torch.rand(16, 1, 9, 9)
        out = augment(x)
        assert out.shape == x.shape and not torch.equal(out, x)
        assert len(torch.unique(out.flatten(1), dim=0)) > 8
    finally:
        _REGISTRY.pop("batched_test_jitter")


def _random_boxes(n: int, h: int, w: int, seed: int = 0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    boxes = []
    for _ in range(n):
        corner = torch.rand(3, 2, generator=gen) * torch.tensor([w * 0.6, h * 0.6])
        size = 2 + torch.rand(3, 2, generator=gen) * torch.tensor([w * 0.3, h * 0.3])
        boxes.append(torch.cat([corner, corner + size], 1))
    return boxes


def test_boxes_agree_with_the_per_image_path():
    library = TFLibrary([*GEOMETRIC, TF("invert")])  # affine and dense (swirl) warps
    augment = TANDAPolicy(library, seq_len=4, frame=2).batched(seed=3)
    boxes = _random_boxes(12, 20, 24)
    _, moved = augment(torch.rand(12, 3, 20, 24), boxes=boxes)
    shifts = augment.last_frame_shifts
    for i, row in enumerate(augment.last_actions.tolist()):
        frame = tuple(shifts[i].tolist())
        compiled = SampledSequence(tuple(row), (0,) * 4, frame_shift=frame).compile(library,
                                                                                    (20, 24))
        expected = compiled.warp_boxes(boxes[i].numpy())
        np.testing.assert_allclose(moved[i].numpy(), expected, atol=1e-3)
        assert moved[i].dtype == boxes[i].dtype


def _boxes_and_squares(library, seq_len, size, square, n, seed):
    """A bright square (left, top, right, bottom) with its box, augmented: each sample's moved
    box beside the box that frames its moved square."""
    left, top, right, bottom = square
    x = torch.zeros(n, 1, size, size)
    x[:, :, top:bottom, left:right] = 1.0
    box = torch.tensor([[float(v) for v in square]])
    out, moved = TANDAPolicy(library, seq_len=seq_len).batched(seed=seed)(x, boxes=[box] * n)
    pairs = []
    for image, boxes in zip(out, moved, strict=True):
        ys, xs = torch.nonzero(image[0] > 0.5, as_tuple=True)
        pairs.append((boxes[0], torch.stack([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])))
    return pairs


def test_boxes_follow_random_shifts_exactly():
    # pad-and-crop draws its offsets on the device: the box moves with the square it frames
    library = TFLibrary([TF("pad_and_crop", padding=0.125)])
    pairs = _boxes_and_squares(library, 2, 32, (10, 12, 17, 18), n=16, seed=1)
    assert all(torch.equal(box, framed.float()) for box, framed in pairs)
    assert len({tuple(box.tolist()) for box, _ in pairs}) > 4  # per sample


def test_boxes_follow_elastic_fields_drawn_on_the_device():
    library = TFLibrary([TF("elastic", alpha=40.0, sigma=5.0)])
    pairs = _boxes_and_squares(library, 1, 40, (12, 14, 28, 26), n=8, seed=2)
    for box, framed in pairs:  # the warped square, within a pixel
        assert (box - framed.float()).abs().max() <= 1.0


def test_bounding_boxes_keep_their_format_and_skipped_samples_keep_their_boxes():
    from torchvision import tv_tensors

    boxes = [tv_tensors.BoundingBoxes([[1, 2, 4, 3]], format="XYWH", canvas_size=(8, 12))] * 40
    augment = TANDAPolicy(TFLibrary([TF("hflip")]), seq_len=1, p=0.5).batched(seed=0)
    masks = torch.zeros(40, 8, 12, dtype=torch.long)
    _, _, moved = augment(torch.rand(40, 1, 8, 12), masks, boxes=boxes)
    for box, applied in zip(moved, augment.last_applied.tolist(), strict=True):
        assert isinstance(box, tv_tensors.BoundingBoxes) and box.format.name == "XYWH"
        assert box.tolist() == ([[7, 2, 4, 3]] if applied else [[1, 2, 4, 3]])


@pytest.mark.parametrize(
    ("boxes", "error", "match"),
    [
        (torch.zeros(2, 1, 4), TypeError, "one \\[k, 4\\] tensor"),
        ([torch.zeros(1, 4)], ValueError, "one entry per sample"),
        ([torch.zeros(1, 4), torch.zeros(1, 3)], ValueError, r"boxes\[1\] must be a \[k, 4\]"),
        ([torch.zeros(1, 4), torch.zeros(1, 4, dtype=torch.long)], TypeError, "float XYXY"),
    ],
)
def test_bad_boxes_are_refused_by_name(boxes, error, match):
    with pytest.raises(error, match=match):
        TANDAPolicy(GEOMETRIC).batched(seed=0)(torch.rand(2, 1, 8, 8), boxes=boxes)


def test_boxes_on_another_canvas_are_refused():
    from torchvision import tv_tensors

    box = tv_tensors.BoundingBoxes([[0, 0, 2, 2]], format="XYXY", canvas_size=(9, 9))
    with pytest.raises(ValueError, match="canvas_size"):
        TANDAPolicy(GEOMETRIC).batched(seed=0)(torch.rand(1, 1, 8, 8), boxes=[box])


def test_dropping_the_fields_of_ended_runs_changes_nothing(monkeypatch):
    # elastic fields drawn at every other step while other runs stay pending: the store is
    # compacted as runs end, the images are the same bit for bit
    library = TFLibrary([TF("elastic", alpha=8.0, sigma=3.0), TF("rotate", degrees=5.0),
                         TF("invert")])
    actions = torch.randint(0, 3, (24, 12), generator=torch.Generator().manual_seed(4))
    x = torch.rand(24, 3, 20, 20)

    def render():
        return Renderer(library).render(x, actions, torch.float32,
                                        torch.Generator().manual_seed(5))

    kept = render()
    sizes = []
    original = geo.PendingRuns._compact

    def compact(self):
        original(self)
        in_use = sum(int(c) for c in self.count)  # dense warps of pending runs (all drawn)
        sizes.append((self._fields.drawn, in_use))

    monkeypatch.setattr(geo.PendingRuns, "COMPACT_AT", 0)
    monkeypatch.setattr(geo.PendingRuns, "_compact", compact)
    assert torch.equal(render(), kept)
    assert len(sizes) > 5 and all(kept_fields <= in_use for kept_fields, in_use in sizes)
    assert max(kept for kept, _ in sizes) < 40  # without dropping: 86 by the last step
