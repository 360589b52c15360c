"""The ``wide`` and ``randaugment`` packs: TrivialAugment-Wide's and RandAugment's operations.

Tolerances of the batched path against the per-image path (as tests/test_batched.py and
tests/test_batched_photometric.py state them): float32 within 1e-5 (geometric TFs sample
bilinearly at the same positions; the photometric kernels' contract is 1e-5); integer images
within one level (uint8; 1/255 of the range for uint16), 0.1 level on average for geometric
TFs (cv2 interpolates uint8 in fixed point: ties at half a level round either way) and on at
most 1 % of the values for photometric ones. One TF per sample (L = 1), so nothing compounds.
The images are 16 x 20, so no translation in the packs lands on a half pixel (where every
value is a tie).

Those figures are OpenCV 5's. OpenCV 4 samples at positions rounded to 1/32 pixel, so the
geometric TFs' tolerances grow by what that can move a sample of these images
(``library_output.opencv_position_slack``: at most 0.011, 0.0021 on average; measured with
4.10: 0.0072 in float32, two uint8 levels, 0.34 level on average).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch
from library_output import opencv_position_slack

from tanda_transforms import TANDAPolicy, TFLibrary
from tanda_transforms.generators import MeanFieldSampler
from tanda_transforms.tfs import op_balanced_logits, randaugment_pack, wide_pack

torch.set_num_threads(1)

OPS = {"identity", "shear", "translate", "rotate", "brightness", "saturation", "contrast",
       "sharpen", "posterize", "solarize", "autocontrast", "equalize"}
FAMILIES = 14  # the 12 ops, shear and translate counted once per axis, as torchvision does
FLOAT_TOL = 1e-5
OFF_BY_ONE_SHARE = 0.01  # photometric
MEAN_LEVELS = 0.1  # geometric
VMAX = {np.uint8: 255, np.uint16: 65535, np.float32: 1.0}


def _image(h: int, w: int, c: int, dtype, seed: int = 0) -> np.ndarray:
    """A smooth image with texture (H x W for c = 0, else H x W x c) in ``dtype``."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w] / max(h, w)
    planes = [0.5 + 0.4 * np.sin(6 * rng.uniform(-1, 1) * xx + 5 * rng.uniform(-1, 1) * yy
                                 + rng.uniform(0, 6)) for _ in range(max(c, 1))]
    x = np.stack(planes, -1) if c else planes[0]
    x = np.clip(x + rng.normal(0, 0.05, x.shape), 0, 1).astype(np.float32)
    return x if dtype == np.float32 else np.rint(x * VMAX[dtype]).astype(dtype)


@pytest.mark.parametrize(("pack", "size"), [("wide", 69), ("randaugment", 62)])
def test_the_packs_build_with_every_operation(pack, size):
    library = TFLibrary.pack(pack)
    assert len(library) == size and library.modality == "image"
    assert {tf.op for tf in library} == OPS
    assert not any(tf.random for tf in library)  # magnitudes are the bins, nothing else drawn


def test_the_wide_bins_are_centres_of_trivialaugment_wides_ranges():
    tfs = wide_pack()
    values = {op: sorted({abs(v) for tf in tfs if tf.op == op for _, v in tf.args
                          if not isinstance(v, str)}) for op in OPS}
    assert values["shear"] == pytest.approx([0.165, 0.495, 0.825])
    assert values["rotate"] == pytest.approx([22.5, 67.5, 112.5])
    assert values["translate"] == pytest.approx([1 / 6, 1 / 2, 5 / 6], abs=1e-4)
    assert sorted({round(abs(v - 1), 4) for v in values["brightness"]}) == [0.165, 0.495, 0.825]
    assert values["posterize"] == [2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize("magnitudes", [(5, 9, 15), (5,), (2, 30)])
def test_the_randaugment_pack_has_torchvisions_magnitudes(magnitudes):
    """At every M asked for (by default 5, 9 and 15), each op at torchvision's magnitude, and
    no other levels: 19 TFs a level (shear, translate, rotate and the four enhance ops in both
    signs, solarize), posterize's distinct bits, identity, autocontrast and equalize."""
    v2 = pytest.importorskip("torchvision.transforms.v2")
    space = getattr(v2.RandAugment, "_AUGMENTATION_SPACE", None)
    if space is None:
        pytest.skip("this torchvision keeps RandAugment's table elsewhere")
    tfs = randaugment_pack(magnitudes)
    bits = {8 - round(m / 7.5) for m in magnitudes}
    assert len(tfs) == 19 * len(magnitudes) + len(bits) + 3
    for m in magnitudes:
        mag = {name: float(fn(31, 32, 32)[m]) for name, (fn, _) in space.items()
               if fn(31, 32, 32) is not None}
        expected = [("shear", {"factor": mag["ShearX"], "axis": "x"}),
                    ("translate", {"dx": mag["TranslateX"] / 32}),
                    ("rotate", {"degrees": mag["Rotate"]}),
                    ("contrast", {"factor": 1 + mag["Contrast"]}),
                    ("posterize", {"bits": int(mag["Posterize"])}),
                    ("solarize", {"threshold": mag["Solarize"]})]
        for op, args in expected:
            assert any(_matches(tf, op, args) for tf in tfs), f"M = {m}: no {op}{args}"


@pytest.mark.parametrize("magnitudes", [(), (0,), (31,), (5, 5), (5.0,), (True,)])
def test_the_randaugment_pack_refuses_magnitudes_outside_torchvisions_bins(magnitudes):
    with pytest.raises(ValueError, match="distinct integers in 1..30"):
        randaugment_pack(magnitudes)


def _matches(tf, op: str, args: dict) -> bool:
    """``tf`` is ``op(**args)``, numbers within the packs' rounding (1e-4)."""
    ours = dict(tf.args)
    if tf.op != op or set(ours) != set(args):
        return False
    return all(ours[k] == v if isinstance(v, str) else abs(ours[k] - v) < 1e-4
               for k, v in args.items())


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("channels", [0, 1, 3, 4], ids=["HxW", "HxWx1", "RGB", "RGBA"])
def test_every_tf_runs_per_image_on_any_image(dtype, channels):
    img = _image(14, 19, channels, dtype)
    library = TFLibrary([*dict.fromkeys([*wide_pack(), *randaugment_pack()])])
    for tf in library:
        out = tf(img)
        assert out.shape == img.shape and out.dtype == img.dtype, tf
        assert out is not img and np.array_equal(img, _image(14, 19, channels, dtype)), tf


@pytest.mark.parametrize("channels", [0, 1])
def test_colour_on_grey_is_the_identity_and_identity_copies(channels):
    img = _image(8, 9, channels, np.uint8)
    for tf in TFLibrary.pack("wide"):
        if tf.op in ("saturation", "identity"):
            assert np.array_equal(tf(img), img), tf


def _batch(img_dtype, channels: int, n: int) -> tuple[np.ndarray, torch.Tensor]:
    images = np.stack([_image(16, 20, channels, img_dtype, seed=i) for i in range(n)])
    x = torch.from_numpy(images.astype(np.int32) if img_dtype == np.uint16 else images)
    x = x.permute(0, 3, 1, 2).to({np.uint8: torch.uint8, np.uint16: torch.uint16,
                                  np.float32: torch.float32}[img_dtype])
    return images, x


def _slack(images: np.ndarray) -> tuple[float, float]:
    """OpenCV 4's extra difference for geometric TFs on ``images``, in [0, 1] units."""
    return opencv_position_slack(images.astype(np.float64) / VMAX[images.dtype.type])


def _assert_close(got: np.ndarray, want: np.ndarray, tf,
                  slack: tuple[float, float] = (0.0, 0.0)) -> None:
    """Within the module's tolerances, widened by ``slack`` (largest, mean; [0, 1] units)
    for geometric TFs."""
    largest, mean = slack if tf.kind == "geometric" else (0.0, 0.0)
    if want.dtype == np.float32:
        np.testing.assert_allclose(got, want, atol=FLOAT_TOL + largest, rtol=0,
                                   err_msg=repr(tf))
        return
    level = 1 if want.dtype == np.uint8 else 257  # one uint8 level of the range
    off = np.abs(got.astype(np.int64) - want.astype(np.int64)) / level
    most = 1 + math.ceil(largest * 255)
    assert off.max() <= most, f"{tf!r}: up to {off.max()} levels off"
    if tf.kind == "geometric":
        assert off.mean() < MEAN_LEVELS + mean * 255, f"{tf!r}: {off.mean():.3f} off on average"
    else:
        assert np.mean(off > 0) <= OFF_BY_ONE_SHARE, f"{tf!r}: {np.mean(off > 0):.2%} differ"


@pytest.mark.parametrize("pack", ["wide", "randaugment"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("channels", [1, 3])
def test_batched_agrees_with_the_per_image_path(pack, dtype, channels):
    library = TFLibrary.pack(pack)
    images, x = _batch(dtype, channels, 3 * len(library))
    augment = TANDAPolicy(library, seq_len=1).batched(seed=0)
    with torch.inference_mode():
        out = augment(x)
    out = out.permute(0, 2, 3, 1).to(torch.int32 if dtype == np.uint16 else out.dtype).numpy()
    by_name = {repr(tf): tf for tf in library}
    slack = _slack(images)
    drawn = set()
    for i, (names, img) in enumerate(zip(augment.last_sequences, images, strict=True)):
        tf = by_name[names[0]]
        drawn.add(tf)
        want = tf(img if channels > 1 else img[..., 0])
        _assert_close(out[i].astype(dtype).reshape(want.shape), want, tf, slack)
    assert len(drawn) > 0.8 * len(library)  # most TFs checked (3 samples per TF drawn)


def test_every_tf_agrees_when_each_is_drawn_on_purpose():
    from tanda_transforms.batched.render import Renderer

    library = TFLibrary.pack("wide")
    images, x = _batch(np.uint8, 3, len(library))
    actions = torch.arange(len(library))[:, None]
    out = Renderer(library).render(x.float() / 255, actions, torch.uint8,
                                   torch.Generator().manual_seed(0), None)
    out = np.rint(out.permute(0, 2, 3, 1).numpy() * 255).astype(np.uint8)
    slack = _slack(images)
    for i, tf in enumerate(library):
        _assert_close(out[i], tf(images[i]), tf, slack)


def test_a_uniform_one_step_policy_draws_every_op():
    policy = TANDAPolicy("wide", seq_len=1, seed=0)
    drawn = Counter(policy.library[s.actions[0]].op for s in
                    (policy.sample() for _ in range(3000)))
    assert set(drawn) == OPS


def test_op_balanced_sampler_is_trivialaugment_wide_in_bins():
    library = TFLibrary.pack("wide")
    logits = op_balanced_logits(library)
    policy = TANDAPolicy(library, MeanFieldSampler(len(library), logits), seq_len=1, seed=0)
    n = 14_000
    families = Counter()
    for _ in range(n):
        tf = policy.library[policy.sample().actions[0]]
        families[(tf.op, *(k if not isinstance(v, str) else v for k, v in tf.args))] += 1
    assert len(families) == FAMILIES
    sd = math.sqrt(n * (1 / FAMILIES) * (1 - 1 / FAMILIES))
    for family, count in families.items():
        assert abs(count - n / FAMILIES) < 5 * sd, (family, count)


@pytest.mark.parametrize("channels", [0, 3])
def test_learning_over_wide_runs_on_grey_and_colour_images(channels):
    from tanda_transforms.learn import learn_policy

    images = np.stack([_image(16, 16, channels, np.uint8, seed=i) for i in range(16)])
    policy = learn_policy(images, "wide", generator="mean_field", seq_len=3, steps=2,
                          batch_size=4, seed=0, progress=False)
    assert len(policy.library) == 69 and policy(images[0]).shape == images[0].shape
