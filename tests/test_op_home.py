"""One home per op: an op's kernels, bounds and draw are registered in one place, by one route.

A user's op module holds its numpy kernel, its torch kernel and one ``register_op(...,
batched=...)`` call; the built-in ops are registered the same way (no table that only they
can fill), and a random op's one draw function serves the per-image and the batched path.

Tolerances: the user photometric op below is one float32 product per value in both paths,
so float32 results agree within 1e-6 (torch and numpy may round a product differently by
one unit in the last place only through different operation orders; there is one
operation) and uint8 results, rounded half to even by both, exactly. The user geometric op
moves by whole pixels, which both paths copy without interpolating: exact.
"""

from __future__ import annotations

import importlib.util
import textwrap
import warnings

import numpy as np
import pytest
import torch

from tanda_transforms import TF, TANDAPolicy, TFLibrary
from tanda_transforms.batched import PhotometricKernel, WarpKernel
from tanda_transforms.batched import geometric as geo
from tanda_transforms.batched import photometric as batched_photometric
from tanda_transforms.batched.render import Renderer
from tanda_transforms.functional import AffineWarp
from tanda_transforms.ops import filters as op_filters
from tanda_transforms.ops import geometric as op_geometric
from tanda_transforms.registry import _REGISTRY, available_ops, get_op, register_op

torch.set_num_threads(1)

FLOAT_ATOL = 1e-6

USER_PHOTOMETRIC_MODULE = '''
"""A user's photometric op: numpy kernel, torch kernel, one registration."""
import numpy as np

from tanda_transforms import functional as F
from tanda_transforms.batched import PhotometricKernel
from tanda_transforms.registry import register_op


def fade_torch(x, amount):
    return x * (1.0 - amount).to(x.dtype)[:, None, None, None]


@register_op("test_home_fade", kind="photometric", bounds={"amount": (0.0, 1.0)},
             batched=PhotometricKernel.of(fade_torch))
def fade(img, amount: float = 0.5):
    x = F.to_float32(img)
    x *= np.float32(1.0 - amount)
    return F.from_float32(x, img.dtype)
'''

USER_GEOMETRIC_MODULE = '''
"""A user's random geometric op: one draw for both paths, warp builder, batched warps."""
import numpy as np

from tanda_transforms.batched import WarpKernel
from tanda_transforms.batched.geometric import translations
from tanda_transforms.functional import AffineWarp
from tanda_transforms.ops import draw
from tanda_transforms.registry import register_op


def draw_jitter(n, shape, args, generator):
    pixels = args["pixels"]
    shifts = draw.integers(generator, -pixels, pixels + 1, (n, 2))
    return {"dx": shifts[:, 0], "dy": shifts[:, 1]}


def jitter_warps(draws, shape, args):
    return translations(draws["dx"], draws["dy"])


@register_op("test_home_jitter", kind="geometric", random=True, bounds={"pixels": (0, 8)},
             batched=WarpKernel(draw_jitter, jitter_warps))
def jitter(shape, pixels: int = 2, *, rng):
    shift = draw_jitter(1, shape, {"pixels": pixels}, rng)
    dx, dy = int(shift["dx"][0]), int(shift["dy"][0])
    return AffineWarp(np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]]), shape)
'''


def _import_module(tmp_path, name: str, source: str):
    """Import ``source`` as the module ``name`` (what a user's ``import my_ops`` does)."""
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def user_ops(tmp_path):
    modules = {"photometric": _import_module(tmp_path, "user_fade", USER_PHOTOMETRIC_MODULE),
               "geometric": _import_module(tmp_path, "user_jitter", USER_GEOMETRIC_MODULE)}
    yield modules
    _REGISTRY.pop("test_home_fade", None)
    _REGISTRY.pop("test_home_jitter", None)


def _batch(n: int, dtype: torch.dtype) -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    if dtype == torch.uint8:
        return torch.randint(0, 256, (n, 3, 12, 10), generator=gen, dtype=torch.uint8)
    return torch.rand((n, 3, 12, 10), generator=gen)


def _numpy_images(x: torch.Tensor) -> list[np.ndarray]:
    return [np.ascontiguousarray(img) for img in x.permute(0, 2, 3, 1).numpy()]


@pytest.mark.parametrize("dtype", [torch.float32, torch.uint8])
def test_a_user_photometric_op_from_one_module_agrees_per_image_and_batched(user_ops, dtype):
    library = TFLibrary([TF("test_home_fade", amount=a) for a in (0.1, 0.25, 0.5, 0.9)])
    augment = TANDAPolicy(library, seq_len=1, p=1.0).batched(seed=3)
    x = _batch(16, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the torch kernel runs: no per-sample fallback
        out = augment(x)
    chosen = augment.last_actions[:, 0].tolist()
    expected = np.stack([library[a](img) for a, img in zip(chosen, _numpy_images(x),
                                                          strict=True)])
    got = out.permute(0, 2, 3, 1).numpy()
    assert len(set(chosen)) > 1  # the samples of one call hold different arguments
    if dtype == torch.uint8:
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, atol=FLOAT_ATOL, rtol=0)
    assert get_op("test_home_fade").batched.apply.fn is user_ops["photometric"].fade_torch


def test_a_user_random_geometric_kernel_draws_per_sample_on_the_batch(user_ops):
    module = user_ops["geometric"]
    tf = TF("test_home_jitter", pixels=3)
    steps = geo.random_warps(tf, 200, (12, 10), torch.Generator().manual_seed(0),
                             torch.device("cpu"))
    again = module.draw_jitter(200, (12, 10), {"pixels": 3}, torch.Generator().manual_seed(0))
    shifts = -steps.inverse[:, :2, 2]
    assert torch.equal(shifts, torch.stack([again["dx"], again["dy"]], 1).float())
    assert shifts.abs().max() == 3 and len(torch.unique(shifts, dim=0)) == 49


def test_a_user_random_geometric_kernel_agrees_with_its_per_image_warp(user_ops):
    module = user_ops["geometric"]
    library = TFLibrary([TF("test_home_jitter", pixels=2)])
    x = _batch(8, torch.uint8)
    actions = torch.zeros(8, 1, dtype=torch.long)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = Renderer(library).render(x.float() / 255, actions, torch.uint8,
                                       torch.Generator().manual_seed(1))
    got = np.rint(out.permute(0, 2, 3, 1).numpy() * 255).astype(np.uint8)
    draws = module.draw_jitter(8, (12, 10), {"pixels": 2}, torch.Generator().manual_seed(1))
    for i, img in enumerate(_numpy_images(x)):
        dx, dy = int(draws["dx"][i]), int(draws["dy"][i])
        warp = AffineWarp(np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]]), (12, 10))
        np.testing.assert_array_equal(got[i], warp.apply(img))


def test_the_per_image_warp_builder_calls_the_same_draw(user_ops, monkeypatch):
    module = user_ops["geometric"]
    calls = []
    draw = module.draw_jitter
    monkeypatch.setattr(module, "draw_jitter", lambda *a: calls.append(a[3]) or draw(*a))
    warp = TF("test_home_jitter", pixels=2).warp((12, 10), np.random.default_rng(5))
    expected = draw(1, (12, 10), {"pixels": 2}, np.random.default_rng(5))
    assert isinstance(calls[0], np.random.Generator)
    assert warp.matrix[:, 2].tolist() == [float(expected["dx"][0]), float(expected["dy"][0])]


def test_a_warp_kernel_must_draw_and_build_warps_of_the_right_size():
    with pytest.raises(TypeError, match="WarpKernel"):
        register_op("test_home_no_warps", kind="geometric", random=True,
                    batched=PhotometricKernel(lambda *a: a[0], lambda *a: {}))(
            lambda shape, *, rng: None)
    assert "test_home_no_warps" not in _REGISTRY

    wrong = WarpKernel(lambda n, shape, args, gen: {}, lambda d, shape, args: geo.translations(
        torch.zeros(1), torch.zeros(1)))
    register_op("test_home_wrong", kind="geometric", random=True, batched=wrong)(
        lambda shape, *, rng: None)
    try:
        with pytest.raises(TypeError, match=r"test_home_wrong.*AffineSteps \[4, 3, 3\]"):
            geo.random_warps(TF("test_home_wrong"), 4, (5, 5), torch.Generator(),
                             torch.device("cpu"))
    finally:
        _REGISTRY.pop("test_home_wrong")


# --- the built-in ops take the same route ------------------------------------------------------


def test_every_built_in_image_op_has_its_kernels_in_its_family_module():
    specs = [get_op(name) for name in available_ops()]
    built_in = [s for s in specs if s.fn.__module__.startswith("tanda_transforms.ops.")]
    assert len(built_in) == 26
    for spec in built_in:
        if spec.kind == "photometric":
            assert isinstance(spec.batched, PhotometricKernel), spec.name
            assert spec.batched.apply.fn.__module__ == spec.fn.__module__, spec.name
        elif spec.random:
            assert isinstance(spec.batched, WarpKernel), spec.name
            assert spec.batched.draw.__module__ == spec.fn.__module__, spec.name
    kernels = batched_photometric.KERNELS  # the old table, now read from the registry
    assert len(kernels) == 16 and all(kernels[op] is get_op(op).batched for op in kernels)
    assert set(geo.RANDOM_KERNELS) == {"elastic", "pad_and_crop"}


@pytest.mark.parametrize(("op", "module", "draw", "call"), [
    ("cutout", op_filters, "draw_cutout",
     lambda rng: TF("cutout", size=0.5)(np.full((6, 7), 9, np.uint8), rng)),
    ("pad_and_crop", op_geometric, "draw_pad_and_crop",
     lambda rng: TF("pad_and_crop").warp((16, 16), rng)),
])
def test_a_built_in_random_op_draws_with_one_function_on_both_paths(op, module, draw, call,
                                                                    monkeypatch):
    function = getattr(module, draw)
    assert get_op(op).batched.draw is function
    calls = []
    monkeypatch.setattr(module, draw, lambda *a: calls.append(type(a[3])) or function(*a))
    call(np.random.default_rng(0))
    assert calls == [np.random.Generator]
    assert getattr(batched_photometric, draw, function) is function  # the old import path
