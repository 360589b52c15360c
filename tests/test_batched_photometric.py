"""The batched photometric kernels agree with the per-image numpy / OpenCV ops.

Every kernel of :data:`tanda_transforms.batched.photometric.KERNELS` runs on a small batch
whose samples each have their own argument (the built-in packs' values and the bounds'
extremes, see ``ARGS``), and each sample's result is compared with the registered per-image
op applied to that sample as a numpy image.

Tolerances, and why (the contract: float32 within 1e-5 of the per-image op; uint8 within one
level on at most 1 % of the values, exactly for the integer-math ops):

* float32 input: ``FLOAT_ATOL``, 1e-6, and 1e-5 for the kernels that trade the per-image op's
  exact float32 operations for speed or that sum many terms. Most kernels do the per-image
  op's float32 operations in its order; what is left is one unit in the last place (6e-8)
  where torch's ``pow`` and numpy's differ, and contrast's mean grey (a float32 pairwise sum,
  not cv2.mean's float64 one: measured 3e-7). 1e-5 for gaussian_blur (OpenCV's summation
  order over up to 257 weighted terms: 7e-7), sharpen (its 3 x 3 SMOOTH filter as a separable
  box sum plus 4 x the centre, over 13: 1.1e-6 measured on 64 x 64) and hue_shift (one
  float32 formula per channel, ``v - spread * T(hue)``, instead of OpenCV's HSV sector table
  with FMAs in degrees: 8e-7 measured).
* uint8 input: the kernel runs on the quantised float image and is rounded back to uint8 as
  the renderer does. Ops whose integer result comes from integer arithmetic or from the same
  single float32 operation as the per-image look-up table (``EXACT_UINT8``) must agree
  exactly; the others (a float32 sum or a library's vectorised code whose last bit decides a
  tie at half a level) within 1 level on at most 1 % of the values. Measured on this machine
  (x86 with FMA, OpenCV 5.0), over these layouts and 64 x 64: sharpen 0.08 % one level off
  (factor 0.5 makes half-level ties), gaussian_blur 0.0007 %, the others exact (hue_shift
  redoes its half-level ties with OpenCV's arithmetic).

Random ops: the tests draw what the per-image op draws from ``np.random.default_rng(seed)``
(gaussian_noise: float32 standard normals of the colour image's shape; cutout: the centre
row, then column) and pass it as the kernel's ``draws``; they must agree exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tanda_transforms.batched import photometric
from tanda_transforms.batched.photometric import KERNELS
from tanda_transforms.registry import get_op
from tanda_transforms.tfs import cifar10_pack, mammography_pack, misspecified_tfs, mnist_pack

torch.set_num_threads(1)

RELAXED = ("gaussian_blur", "sharpen", "hue_shift")  # 1e-5: see the module docstring
FLOAT_ATOL = {op: 1e-6 for op in KERNELS} | dict.fromkeys(RELAXED, 1e-5)
EXACT_UINT8 = {
    "brightness", "equalize", "autocontrast", "posterize", "solarize", "invert",
    "erosion", "dilation", "gaussian_noise", "cutout",
}  # fmt: skip
MAX_OFF_BY_ONE = 0.01  # fraction of values the other ops may have one level off

# Extremes of the bounds in tanda_transforms.ops, the identity, and values that are exact
# ties of a rounding (posterize on float, 100/255 for solarize's level threshold).
EXTREMES: dict[str, list[dict]] = {
    "brightness": [{"factor": v} for v in (0.0, 10.0, 1.0, 0.5)],
    "contrast": [{"factor": v} for v in (0.0, 10.0, 1.0, 2.0)],
    "saturation": [{"factor": v} for v in (0.0, 10.0, 1.0, 0.3)],
    "hue_shift": [{"shift": v} for v in (-0.5, 0.5, 0.0, 1 / 3, 0.01)],
    "gamma": [{"gamma": v} for v in (0.1, 10.0, 1.0, 2.2)],
    "gaussian_blur": [{"sigma": v} for v in (0.0, 0.1, 0.5, 2.5, 32.0)],
    "sharpen": [{"factor": v} for v in (0.0, 10.0, 1.0, 0.5)],
    "equalize": [{}],
    "autocontrast": [{}],
    "posterize": [{"bits": v} for v in (1, 2, 4, 7, 8)],
    "solarize": [{"threshold": v} for v in (0.0, 1.0, 0.5, 100 / 255, 0.3)],
    "invert": [{}],
    "gaussian_noise": [{"std": v} for v in (0.0, 1.0, 0.1)],
    "cutout": [
        {"size": s, "fill": f}
        for s, f in ((0.01, 0.0), (1.0, 1.0), (0.125, 0.5), (0.375, 0.3), (0.5, 0.7))
    ],
    "erosion": [{"size": v} for v in (1, 3, 5, 63)],
    "dilation": [{"size": v} for v in (1, 3, 5, 63)],
}
FLOAT_ONLY_EXTREMES = {"posterize": [{"bits": v} for v in (12, 16)]}  # uint8 takes 1..8
LAYOUTS = [(1, 12, 16), (3, 12, 16), (3, 32, 32)]  # (C, H, W)
N = 6  # samples per batch (more when an op has more argument values)


def _with_defaults(op: str, args: dict) -> dict:
    params = get_op(op).parameters
    return {name: args.get(name, p.default) for name, p in params.items()}


def _pack_args(op: str) -> list[dict]:
    tfs = (*mnist_pack(), *cifar10_pack(), *mammography_pack(), *misspecified_tfs())
    return [dict(tf.args) for tf in tfs if tf.op == op]


def _args_of(op: str, float_image: bool) -> list[dict]:
    cases = _pack_args(op) + EXTREMES[op]
    if float_image:
        cases += FLOAT_ONLY_EXTREMES.get(op, [])
    unique = {tuple(sorted(_with_defaults(op, c).items())): c for c in cases}
    return [_with_defaults(op, c) for c in unique.values()]


def _batch(n: int, channels: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """``[n, C, H, W]`` float32: samples with different ranges, a constant one (sample 1), a
    sample with a white and a black row and (RGB) grey pixels, and in the others the values
    that ``EXTREMES`` uses as solarize thresholds (a pixel on the threshold is inverted)."""
    rng = np.random.default_rng(seed)
    low = rng.uniform(0.0, 0.5, (n, 1, 1, 1))
    high = low + rng.uniform(0.05, 0.5, (n, 1, 1, 1))
    x = rng.uniform(low, high, (n, channels, height, width)).astype(np.float32)
    x[:, :, -1, :5] = np.array([0.0, 0.3, 0.5, 100 / 255, 1.0], np.float32)[:width]
    x[1] = 0.5
    if height >= 3:
        x[2, :, 0], x[2, :, 1] = 1.0, 0.0
        x[2, :, 2] = x[2, 0, 2]  # grey pixels: r = g = b
    return x


def _quantised(x: np.ndarray, vmax: int, np_dtype) -> tuple[np.ndarray, np.ndarray]:
    """The integer image and its float32 levels (as ``to_float32`` computes them)."""
    levels = np.rint(x * vmax).astype(np_dtype)
    return levels, levels.astype(np.float32) / np.float32(vmax)


def _image(planes: np.ndarray) -> np.ndarray:
    """``[C, H, W]`` -> the per-image layout: H x W for one channel, else H x W x C."""
    return np.ascontiguousarray(planes[0] if planes.shape[0] == 1 else planes.transpose(1, 2, 0))


def _planes(img: np.ndarray) -> np.ndarray:
    return img[np.newaxis] if img.ndim == 2 else img.transpose(2, 0, 1)


def _tensors(cases: list[dict]) -> dict[str, torch.Tensor]:
    return {name: torch.tensor([c[name] for c in cases], dtype=torch.float32) for name in cases[0]}


def _per_image(op: str, batch: np.ndarray, cases: list[dict], seeds=None) -> np.ndarray:
    fn = get_op(op).fn
    out = []
    for i, planes in enumerate(batch):
        rng = {} if seeds is None else {"rng": np.random.default_rng(seeds[i])}
        out.append(_planes(fn(_image(planes), **cases[i], **rng)))
    return np.stack(out)


def _rounded(out: torch.Tensor, vmax: int, np_dtype) -> np.ndarray:
    """The kernel's float result in the integer dtype, as the renderer rounds it."""
    return np.clip(np.rint(out.numpy() * np.float32(vmax)), 0, vmax).astype(np_dtype)


def _check_levels(op: str, got: np.ndarray, want: np.ndarray) -> None:
    off = np.abs(got.astype(np.int64) - want.astype(np.int64))
    if op in EXACT_UINT8:
        assert off.max() == 0, f"{op}: {np.count_nonzero(off)} values differ, by up to {off.max()}"
    else:
        assert off.max() <= 1, f"{op}: up to {off.max()} levels off"
        assert np.mean(off > 0) <= MAX_OFF_BY_ONE, f"{op}: {np.mean(off > 0):.2%} one level off"


def _draws(op: str, batch: np.ndarray, seeds: list[int]) -> dict[str, torch.Tensor]:
    """What the per-image op draws from ``default_rng(seed)`` for each sample."""
    if op == "gaussian_noise":
        noise = []
        for planes, seed in zip(batch, seeds, strict=True):
            colour = _image(planes[:3])  # an RGBA image's op sees RGB (_carry_alpha)
            draw = np.random.default_rng(seed).standard_normal(colour.shape, dtype=np.float32)
            noise.append(_planes(draw))
        return {"noise": torch.from_numpy(np.stack(noise))}
    if op == "cutout":
        height, width = batch.shape[2:]
        centres = []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            centres.append((int(rng.integers(0, height)), int(rng.integers(0, width))))
        centre_y, centre_x = torch.tensor(centres).T
        return {"center_y": centre_y, "center_x": centre_x}
    return {}


def _run(op: str, layout: tuple[int, int, int], integer: bool, seed: int = 0):
    """(kernel result, per-image result) on a batch with one argument case per sample."""
    cases = _args_of(op, float_image=not integer)
    n = max(N, len(cases))
    cases = [cases[i % len(cases)] for i in range(n)]
    x = _batch(n, *layout, seed=seed)
    seeds = [1000 * seed + i for i in range(n)] if get_op(op).random else None
    if integer:
        levels, x = _quantised(x, 255, np.uint8)
        want = _per_image(op, levels, cases, seeds)
    else:
        want = _per_image(op, x, cases, seeds)
    draws = _draws(op, x, seeds) if seeds else {}
    dtype = torch.uint8 if integer else torch.float32
    got = KERNELS[op].apply(torch.from_numpy(x), _tensors(cases), draws, dtype)
    return got, want, x


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("op", sorted(KERNELS))
def test_float32_matches_per_image_op(op, layout):
    got, want, _ = _run(op, layout, integer=False)
    assert got.dtype == torch.float32 and got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=FLOAT_ATOL[op])


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("op", sorted(KERNELS))
def test_uint8_matches_per_image_op(op, layout):
    got, want, _ = _run(op, layout, integer=True)
    _check_levels(op, _rounded(got, 255, np.uint8), want)


@pytest.mark.parametrize("op", sorted(KERNELS))
def test_rgba_carries_alpha_like_the_per_image_op(op):
    """RGBA: the per-image ops change RGB and keep alpha (erosion and dilation, which have
    no alpha carry, filter it like any channel); the kernels do the same."""
    got, want, x = _run(op, (4, 12, 16), integer=False)
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=FLOAT_ATOL[op])
    if op not in ("erosion", "dilation"):
        assert np.array_equal(got[:, 3].numpy(), x[:, 3])


@pytest.mark.parametrize("op", ["posterize", "solarize", "equalize", "autocontrast", "invert"])
def test_uint16_level_ops_match_exactly(op, monkeypatch):
    """uint16: posterize masks 1..16 bits, equalize and autocontrast work on 65536 levels, in
    blocks of rows (made small here, so that there are several)."""
    monkeypatch.setattr(photometric.levels, "_LEVEL_TABLE_VALUES", 4 * 65536)
    cases = _args_of(op, float_image=True)
    cases = [cases[i % len(cases)] for i in range(N)]
    levels, x = _quantised(_batch(N, 3, 12, 16), 65535, np.uint16)
    want = _per_image(op, levels, cases)
    got = KERNELS[op].apply(torch.from_numpy(x), _tensors(cases), {}, torch.uint16)
    np.testing.assert_array_equal(_rounded(got, 65535, np.uint16), want)


@pytest.mark.parametrize("args_dtype", [torch.float32, torch.float64])
def test_cutout_side_and_fill_round_like_python(args_dtype):
    """The per-image op rounds ``size * min(H, W)`` and ``fill * 255`` from Python floats:
    ``0.3 * 15 = 4.5`` goes to 4 (half to even). float32 arguments are a hair off the tie
    and must still round the same way; float64 arguments are used as they are."""
    cases = [{"size": s, "fill": f} for s, f in ((0.3, 0.3), (0.1, 0.1), (0.7, 0.5))]
    x = _batch(len(cases), 1, 15, 20)
    levels, xq = _quantised(x, 255, np.uint8)
    seeds = [5, 6, 7]
    want = _per_image("cutout", levels, cases, seeds)
    args = {name: torch.tensor([c[name] for c in cases], dtype=args_dtype) for name in cases[0]}
    draws = _draws("cutout", x, seeds)
    got = KERNELS["cutout"].apply(torch.from_numpy(xq), args, draws, torch.uint8)
    np.testing.assert_array_equal(_rounded(got, 255, np.uint8), want)


@pytest.mark.parametrize("op", ["gaussian_noise", "cutout"])
def test_draw_is_reproducible_and_differs_between_samples(op):
    kernel = KERNELS[op]
    shape = (3, 12, 16)
    args = _tensors([_with_defaults(op, EXTREMES[op][-1])] * 64)
    first = kernel.draw(64, shape, args, torch.Generator().manual_seed(7))
    again = kernel.draw(64, shape, args, torch.Generator().manual_seed(7))
    other = kernel.draw(64, shape, args, torch.Generator().manual_seed(8))
    assert first.keys() == again.keys()
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert any(not torch.equal(first[k], other[k]) for k in first)
    for name, value in first.items():
        assert len(value) == 64
        assert len(torch.unique(value.reshape(64, -1), dim=0)) > 1, name
    if op == "gaussian_noise":
        noise = first["noise"]
        assert noise.shape == (64, *shape) and noise.dtype == torch.float32
        assert abs(noise.mean().item()) < 0.02 and abs(noise.std().item() - 1) < 0.02
    else:
        assert 0 <= first["center_y"].min() and first["center_y"].max() < shape[1]
        assert 0 <= first["center_x"].min() and first["center_x"].max() < shape[2]


def test_noise_draw_of_rgba_has_three_channels():
    draws = KERNELS["gaussian_noise"].draw(2, (4, 5, 6), {}, torch.Generator().manual_seed(0))
    assert draws["noise"].shape == (2, 3, 5, 6)


def _one_case_per_sample(op: str, layout=(3, 12, 16)):
    cases = _args_of(op, float_image=True)
    n = max(N, len(cases))
    cases = [cases[i % len(cases)] for i in range(n)]
    x = torch.from_numpy(_batch(n, *layout))
    args = _tensors(cases)
    draws = {}
    if KERNELS[op].draw is not None:
        draws = KERNELS[op].draw(n, layout, args, torch.Generator().manual_seed(0))
    return x, args, draws


@pytest.mark.parametrize("layout", [(1, 12, 16), (3, 12, 16), (3, 2, 5)])
@pytest.mark.parametrize("op", sorted(KERNELS))
def test_input_is_not_modified_and_result_is_new(op, layout):
    """Including the identity arguments and layouts (factor 1, sigma 0, grey saturation, a
    sharpen on an image under 3 x 3), where returning the input would be easy."""
    x, args, draws = _one_case_per_sample(op, layout)
    before = x.clone()
    out = KERNELS[op].apply(x, args, draws, torch.float32)
    assert torch.equal(x, before)
    assert out.data_ptr() != x.data_ptr()
    out += 1  # writing to the result leaves the input alone
    assert torch.equal(x, before)


def test_invalid_inputs_raise():
    x = torch.full((2, 3, 4, 4), 0.5)
    with pytest.raises(ValueError, match="bits"):
        KERNELS["posterize"].apply(x, {"bits": torch.tensor([8.0, 9.0])}, {}, torch.uint8)
    with pytest.raises(ValueError, match="colour op"):
        KERNELS["saturation"].apply(torch.zeros(1, 2, 4, 4), {"factor": torch.ones(1)}, {},
                                    torch.float32)  # fmt: skip
    with pytest.raises(ValueError, match="odd"):
        KERNELS["erosion"].apply(x, {"size": torch.tensor([3.0, 4.0])}, {}, torch.float32)
    with pytest.raises(ValueError, match="dtype"):
        KERNELS["invert"].apply(x, {}, {}, torch.int32)
    with pytest.raises(ValueError, match="float32"):
        KERNELS["invert"].apply(x.double(), {}, {}, torch.float32)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("op", sorted(KERNELS))
def test_cuda_matches_cpu(op):
    """Same draws, same arguments: CUDA agrees with the CPU (and so with the per-image op)
    to the float tolerance, with torch's default TF32 convolution setting left on."""
    x, args, draws = _one_case_per_sample(op)
    cuda = torch.device("cuda")
    for dtype, data in ((torch.float32, x), (torch.uint8, torch.round(x * 255) / 255)):
        cpu_out = KERNELS[op].apply(data, args, draws, dtype)
        gpu_out = KERNELS[op].apply(
            data.to(cuda),
            {k: v.to(cuda) for k, v in args.items()},
            {k: v.to(cuda) for k, v in draws.items()},
            dtype,
        )
        assert gpu_out.device.type == "cuda"
        np.testing.assert_allclose(gpu_out.cpu().numpy(), cpu_out.numpy(), atol=FLOAT_ATOL[op])
