"""Tests for tanda_transforms.functional: contract, known answers and reference libraries."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest
import scipy.ndimage as ndi
from library_output import assert_library_close

from tanda_transforms import _strips
from tanda_transforms import functional as F
from tanda_transforms._validate import apply_lut
from tanda_transforms.functional.geometric import _common, affine, dense
from tanda_transforms.functional.geometric.dense import _sample_bilinear, _swirl_maps

DTYPES = [np.uint8, np.uint16, np.float32]
H, W = 12, 16
SHAPES = [(H, W), (H, W, 1), (H, W, 3), (H, W, 5)]


def make_image(shape, dtype, seed=0):
    """Random image covering the dtype range."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.float32:
        return rng.random(shape, dtype=np.float32)
    vmax = np.iinfo(dtype).max
    return rng.integers(0, vmax, shape, dtype=dtype, endpoint=True)


def smooth_image(shape, seed=0):
    """A smooth float32 image in [0, 1] (small gradients, for interpolation checks)."""
    rng = np.random.default_rng(seed)
    x = ndi.gaussian_filter(rng.random(shape), sigma=(2.0, 2.0) + (0,) * (len(shape) - 2))
    x = (x - x.min()) / (x.max() - x.min())
    return x.astype(np.float32)


def pil():
    return pytest.importorskip("PIL.Image"), pytest.importorskip("PIL.ImageEnhance")


def warp_op(builder):
    """A warp builder as an image op: ``builder(shape, **args).apply(img, ...)``.

    The shape is the image's when it has one (a malformed image then fails in
    ``warp.apply``, which checks images), so the contract tables cover every builder.
    """

    def op(img, *args, interpolation="bilinear", border="reflect", fill=0.0, **kwargs):
        shape = img.shape[:2] if isinstance(img, np.ndarray) and img.ndim >= 2 else (H, W)
        warp = builder(shape, *args, **kwargs)
        return warp.apply(img, interpolation=interpolation, border=border, fill=fill)

    op.__name__ = builder.__name__
    return op


rotate, zoom, shear, translate = (
    warp_op(F.rotate_warp), warp_op(F.zoom_warp), warp_op(F.shear_warp), warp_op(F.translate_warp)
)
swirl, pad_and_crop, elastic_warp = (
    warp_op(F.swirl_warp), warp_op(F.pad_and_crop_warp), warp_op(F.elastic_warp)
)
hflip_warp, vflip_warp = warp_op(F.hflip_warp), warp_op(F.vflip_warp)

# (op, kwargs) for every op; colour ops separately because they need H x W x 3.
OPS = [
    (rotate, {"degrees": 30.0}),
    (rotate, {"degrees": -17.0, "interpolation": "nearest", "border": "constant", "fill": 0.5}),
    (zoom, {"factor": 1.3}),
    (zoom, {"factor": 0.7, "border": "edge"}),
    (shear, {"factor": 0.2}),
    (shear, {"factor": -0.3, "axis": "y"}),
    (translate, {"dx": 0.1, "dy": -0.2}),
    (F.hflip, {}),
    (F.vflip, {}),
    (hflip_warp, {}),
    (vflip_warp, {}),
    (swirl, {"strength": 2.0}),
    (swirl, {"strength": -1.0, "radius": 30.0, "border": "constant"}),
    (F.elastic, {"alpha": 2.0, "sigma": 3.0, "seed": 0}),
    (elastic_warp, {"alpha": 2.0, "sigma": 3.0, "seed": 0}),
    (pad_and_crop, {"padding": 4, "top": 1, "left": 7}),
    (F.brightness, {"factor": 1.4}),
    (F.contrast, {"factor": 0.6}),
    (F.gamma, {"gamma": 0.7}),
    (F.gaussian_blur, {"sigma": 1.2}),
    (F.sharpen, {"factor": 2.0}),
    (F.gaussian_noise, {"std": 0.05, "seed": 0}),
    (F.cutout, {"top": -2, "left": 3, "height": 6, "width": 5, "fill": 0.5}),
    (F.equalize, {}),
    (F.autocontrast, {}),
    (F.posterize, {"bits": 3}),
    (F.solarize, {"threshold": 0.5}),
    (F.invert, {}),
    (F.erosion, {"size": 3}),
    (F.dilation, {"size": 5}),
]
COLOUR_OPS = [
    (F.saturation, {"factor": 1.5}),
    (F.hue_shift, {"shift": 0.2}),
]
ALL_OPS = OPS + COLOUR_OPS


def op_id(case):
    fn, kwargs = case
    return fn.__name__ + "".join(f"-{k}={v}" for k, v in kwargs.items())


OP_IDS = [op_id(c) for c in OPS]
COLOUR_IDS = [op_id(c) for c in COLOUR_OPS]
ALL_IDS = OP_IDS + COLOUR_IDS


def check_contract(fn, kwargs, img):
    before = img.copy()
    out = fn(img, **kwargs)
    assert isinstance(out, np.ndarray)
    assert out.dtype == img.dtype
    assert out.shape == img.shape
    assert out is not img
    assert not np.shares_memory(out, img)
    assert out.flags.writeable  # a fresh array, never a cached read-only one
    np.testing.assert_array_equal(img, before)  # input untouched
    if out.dtype == np.float32:
        assert np.all((out >= 0) & (out <= 1))
    return out


# --------------------------------------------------------------------------- contract


def test_table_covers_every_op():
    """Every public image op and warp builder is in the contract tables."""
    helpers = {"AffineWarp", "DenseWarp", "check_image", "check_real", "value_max", "to_float32",
               "from_float32"}
    ops = {name for name in F.__all__ if callable(getattr(F, name)) and name not in helpers}
    assert ops == {fn.__name__ for fn, _ in ALL_OPS}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", OPS, ids=OP_IDS)
def test_contract(case, dtype, shape):
    fn, kwargs = case
    check_contract(fn, kwargs, make_image(shape, dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", COLOUR_OPS, ids=COLOUR_IDS)
def test_contract_colour(case, dtype):
    fn, kwargs = case
    check_contract(fn, kwargs, make_image((H, W, 3), dtype))


@pytest.mark.parametrize("shape", [(H, W, 2), (H, W, 5)], ids=str)
@pytest.mark.parametrize("case", COLOUR_OPS, ids=COLOUR_IDS)
def test_colour_ops_refuse_other_channel_counts(case, shape):
    fn, kwargs = case
    with pytest.raises(ValueError, match=r"grey .* RGB \(H x W x 3\) or RGBA"):
        fn(make_image(shape, np.uint8), **kwargs)


@pytest.mark.parametrize("shape", [(H, W), (H, W, 1)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", COLOUR_OPS, ids=COLOUR_IDS)
def test_colour_ops_are_identities_on_grey(case, dtype, shape):
    """As torchvision's adjust_saturation / adjust_hue: one channel has no colour to change."""
    fn, kwargs = case
    img = make_image(shape, dtype)
    out = fn(img, **kwargs)
    np.testing.assert_array_equal(out, img)
    assert out.dtype == img.dtype and not np.shares_memory(out, img)


PHOTOMETRIC_OPS = [case for case in ALL_OPS if ".photometric." in case[0].__module__]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", PHOTOMETRIC_OPS, ids=op_id)
def test_photometric_ops_carry_alpha_of_rgba(case, dtype):
    """RGBA: the op acts on RGB exactly as on an RGB image; alpha comes back untouched."""
    fn, kwargs = case
    rgba = make_image((H, W, 4), dtype, seed=5)
    out = fn(rgba, **kwargs)
    assert out.shape == rgba.shape and out.dtype == rgba.dtype
    np.testing.assert_array_equal(out[..., 3], rgba[..., 3])
    np.testing.assert_array_equal(out[..., :3], fn(np.ascontiguousarray(rgba[..., :3]), **kwargs))


def test_photometric_op_table_is_complete():
    names = {fn.__name__ for fn, _ in PHOTOMETRIC_OPS}
    assert {"brightness", "saturation", "hue_shift", "cutout", "invert"} <= names
    assert len(names) == 14


def test_non_contiguous_input():
    img = make_image((H, 2 * W, 3), np.uint8)[:, ::2]
    for fn, kwargs in ALL_OPS:
        check_contract(fn, kwargs, img)


# --------------------------------------------------------------------------- identities

IDENTITIES = [
    (rotate, {"degrees": 0.0}),
    (rotate, {"degrees": 360.0}),
    (zoom, {"factor": 1.0}),
    (shear, {"factor": 0.0}),
    (shear, {"factor": 0.0, "axis": "y"}),
    (translate, {"dx": 0.0, "dy": 0.0}),
    (swirl, {"strength": 0.0}),
    (F.elastic, {"alpha": 0.0, "sigma": 2.0, "seed": 1}),
    (pad_and_crop, {"padding": 3, "top": 3, "left": 3}),
    (F.sharpen, {"factor": 1.0}),
    (F.brightness, {"factor": 1.0}),
    (F.contrast, {"factor": 1.0}),
    (F.gamma, {"gamma": 1.0}),
    (F.gaussian_blur, {"sigma": 0.0}),
    (F.gaussian_noise, {"std": 0.0, "seed": 3}),
    (F.cutout, {"top": 2, "left": 2, "height": 0, "width": 4}),
    (F.cutout, {"top": 20, "left": 2, "height": 3, "width": 4}),
    (F.erosion, {"size": 1}),
    (F.dilation, {"size": 1}),
]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", IDENTITIES, ids=[op_id(c) for c in IDENTITIES])
def test_identity(case, dtype, shape):
    fn, kwargs = case
    img = make_image(shape, dtype)
    out = check_contract(fn, kwargs, img)
    np.testing.assert_array_equal(out, img)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(
    "case", [(F.saturation, {"factor": 1.0}), (F.hue_shift, {"shift": 0.0})], ids=str
)
def test_identity_colour(case, dtype):
    fn, kwargs = case
    img = make_image((H, W, 3), dtype)
    np.testing.assert_array_equal(check_contract(fn, kwargs, img), img)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(
    "warp",
    [
        lambda s: F.rotate_warp(s, 0),
        lambda s: F.translate_warp(s, 0, 0),
        lambda s: F.pad_and_crop_warp(s, 2, 2, 2),
        lambda s: F.swirl_warp(s, 0.0),
        lambda s: F.elastic_warp(s, 0.0, 1.0, seed=0),
    ],
    ids=["rotate", "translate", "pad_and_crop", "swirl", "elastic"],
)
def test_identity_warps_are_exact(warp, dtype, shape):
    """Identity warps go through cv2 without a short-cut and are still exact."""
    img = make_image(shape, dtype)
    for interpolation in ("bilinear", "nearest"):
        out = warp(shape).apply(img, interpolation=interpolation)
        np.testing.assert_array_equal(out, img)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_involutions(dtype, shape):
    img = make_image(shape, dtype)
    np.testing.assert_array_equal(F.hflip(F.hflip(img)), img)
    np.testing.assert_array_equal(F.vflip(F.vflip(img)), img)
    np.testing.assert_array_equal(F.invert(F.invert(img)), img)
    np.testing.assert_array_equal(rotate(rotate(img, 180), 180), img)


# --------------------------------------------------------------------------- geometric


@pytest.mark.parametrize("channels", [None, 1, 3, 5])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_rotate_quarter_turns_match_rot90(dtype, channels):
    shape = (W, W) if channels is None else (W, W, channels)
    img = make_image(shape, dtype)
    # np.rot90 turns counter-clockwise as displayed, like a positive angle
    np.testing.assert_array_equal(rotate(img, 90), np.rot90(img))
    np.testing.assert_array_equal(rotate(img, -90), np.rot90(img, -1))
    np.testing.assert_array_equal(rotate(img, 270), np.rot90(img, 3))
    np.testing.assert_array_equal(rotate(img, 180), np.rot90(img, 2))
    rect = make_image((H, W) if channels is None else (H, W, channels), dtype)
    np.testing.assert_array_equal(rotate(rect, 180), rect[::-1, ::-1])


def test_flips_are_index_flips():
    img = make_image((H, W, 5), np.uint16)
    np.testing.assert_array_equal(F.hflip(img), img[:, ::-1])
    np.testing.assert_array_equal(F.vflip(img), img[::-1])


@pytest.mark.parametrize("shape", [(W, W), (W, W, 3)], ids=str)
@pytest.mark.parametrize("dtype", [np.uint8, np.float32], ids=lambda d: np.dtype(d).name)
def test_rotate_90_matches_scipy(dtype, shape):
    img = make_image(shape, dtype)
    expected = ndi.rotate(img, 90, reshape=False, order=1)
    np.testing.assert_array_equal(rotate(img, 90), expected)


def test_rotate_30_close_to_scipy():
    img = smooth_image((24, 32))
    expected = ndi.rotate(img, 30, reshape=False, order=1, mode="mirror")
    # cv2 quantises sample positions to 1/32 pixel
    np.testing.assert_allclose(rotate(img, 30), expected, atol=0.01)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_translate_whole_pixels(dtype):
    img = make_image((H, W, 3), dtype)
    out = translate(img, 0.25, 0.0, border="constant")  # 4 pixels right
    np.testing.assert_array_equal(out[:, 4:], img[:, :-4])
    assert np.all(out[:, :4] == 0)
    out = translate(img, 0.0, -0.25, border="constant", fill=1.0)  # 3 pixels up
    np.testing.assert_array_equal(out[:-3], img[3:])
    assert np.all(out[-3:] == F.value_max(dtype))


@pytest.mark.parametrize(
    "border,np_mode", [("reflect", "reflect"), ("edge", "edge"), ("constant", "constant")]
)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_pad_and_crop_matches_numpy_pad(dtype, border, np_mode):
    img = make_image((H, W, 3), dtype)
    pad = 5
    padded = np.pad(img, ((pad, pad), (pad, pad), (0, 0)), mode=np_mode)
    for top, left in [(0, 0), (10, 10), (2, 9), (7, 1)]:
        out = pad_and_crop(img, pad, top, left, border=border)
        np.testing.assert_array_equal(out, padded[top : top + H, left : left + W])


def test_zoom_and_shear_known_points():
    np.testing.assert_allclose(
        F.zoom_warp((5, 7), 2.0).map_points(np.array([[3.0, 2.0], [4.0, 3.0]])),
        [[3.0, 2.0], [5.0, 4.0]],
    )
    np.testing.assert_allclose(
        F.shear_warp((5, 7), 0.5, "x").map_points(np.array([[1.0, 4.0]])), [[2.0, 4.0]]
    )
    np.testing.assert_allclose(
        F.shear_warp((5, 7), 0.5, "y").map_points(np.array([[5.0, 1.0]])), [[5.0, 2.0]]
    )


def test_zoom_magnifies():
    img = np.zeros((17, 17), np.float32)
    img[6:11, 6:11] = 1.0  # 5 x 5 square about the centre
    assert (zoom(img, 2.0, border="constant") > 0.5).sum() > (img > 0.5).sum() * 3
    assert (zoom(img, 0.5, border="constant") > 0.5).sum() < (img > 0.5).sum()


def test_rotate_map_points_matches_rot90():
    warp = F.rotate_warp((W, W), 90)
    cols, rows = np.meshgrid(np.arange(W), np.arange(W))
    pts = np.stack([cols.ravel(), rows.ravel()], axis=1).astype(float)
    moved = warp.map_points(pts)
    img = np.arange(W * W, dtype=np.uint16).reshape(W, W)
    out = np.rot90(img)
    got = out[np.rint(moved[:, 1]).astype(int), np.rint(moved[:, 0]).astype(int)]
    np.testing.assert_array_equal(got, img[rows.ravel(), cols.ravel()])
    np.testing.assert_allclose(moved, np.rint(moved), atol=1e-12)


def test_swirl_scikit_image_semantics():
    img = smooth_image((25, 25))
    out = swirl(img, 3.0)  # default radius 12.5: twist ~1/1000 of 3 rad there
    yy, xx = np.mgrid[:25, :25]
    outside = np.hypot(xx - 12, yy - 12) >= 12.5
    np.testing.assert_allclose(out[outside], img[outside], atol=0.01)
    assert out[12, 12] == pytest.approx(img[12, 12], abs=1e-6)  # the centre stays
    assert np.abs(out - img).max() > 0.1
    # destination (rho, theta) samples the source at angle theta + strength * decay
    warp = F.swirl_warp((25, 25), 1.0, radius=10.0)
    rho = 2.0
    decay = np.exp(-rho / (10.0 * np.log(2) / 5))
    assert warp.map_x[12, 14] == pytest.approx(12 + rho * np.cos(decay), abs=1e-4)
    assert warp.map_y[12, 14] == pytest.approx(12 + rho * np.sin(decay), abs=1e-4)


def test_elastic_displacement_is_alpha_times_smoothed_noise():
    xs, ys = np.meshgrid(np.arange(24), np.arange(32))
    one = F.elastic_warp((32, 24), 1.0, 4.0, seed=7)
    three = F.elastic_warp((32, 24), 3.0, 4.0, seed=7)
    np.testing.assert_allclose(three.map_x - xs, 3 * (one.map_x - xs), atol=1e-4)
    raw = F.elastic_warp((32, 24), 2.0, 0.0, seed=7)  # no smoothing: U(-alpha, alpha)
    assert np.abs(raw.map_y - ys).max() <= 2.0 and (raw.map_y - ys).std() > 1.0
    # Simard's setting (alpha 34, sigma 4) moves pixels by about 1.4 px RMS
    simard = F.elastic_warp((256, 256), 34.0, 4.0, seed=0)
    assert 1.2 < float(np.sqrt(((simard.map_x - np.arange(256)) ** 2).mean())) < 1.6


def _elastic_maps_with_full_grids(shape, alpha, sigma, seed):
    """elastic_warp's maps as computed before 1-D grids: full meshgrids, blurred copies."""
    import cv2

    h, w = shape
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    maps = []
    for base in (xs, ys):
        field = rng.random((h, w), dtype=np.float32)
        field *= 2.0
        field -= 1.0
        if sigma > 0:
            radius = max(1, int(4.0 * sigma + 0.5))
            k = 2 * radius + 1
            field = cv2.GaussianBlur(
                field, (k, k), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT_101
            )
        field *= np.float32(alpha)
        field += base
        maps.append(field)
    return maps


@pytest.mark.parametrize("limit", [0, None], ids=["vectors", "cached-grids"])
@pytest.mark.parametrize("alpha,sigma", [(2.0, 3.0), (100.0, 8.0), (1.5, 0.0)])
def test_dense_warps_without_full_grids_equal_previous_maps(alpha, sigma, limit, monkeypatch):
    """Above _DENSE_CACHE_MAX_PIXELS the coordinate grids are a 1 x W row and an H x 1
    column (nothing H x W is cached) and elastic blurs in place: maps, warped images and
    map_points equal the full-grid formulas bit for bit."""
    shape = (37, 53)
    img = make_image(shape, np.uint16, seed=2)
    points = np.array([[0.0, 0.0], [10.5, 20.25], [52.0, 36.0], [30.0, 3.0]])
    full_swirl = _swirl_maps(*shape, 1.5, 20.0)  # with the cached full grids
    full_points = F.elastic_warp(shape, alpha, sigma, seed=3).map_points(points)
    if limit is not None:
        monkeypatch.setattr(_common, "_DENSE_CACHE_MAX_PIXELS", limit)
        xs, ys = _common._base_grid(*shape)
        assert xs.shape == (1, shape[1]) and ys.shape == (shape[0], 1)
    warp = F.elastic_warp(shape, alpha, sigma, seed=3)
    expected = _elastic_maps_with_full_grids(shape, alpha, sigma, 3)
    np.testing.assert_array_equal(warp.map_x, expected[0])
    np.testing.assert_array_equal(warp.map_y, expected[1])
    np.testing.assert_array_equal(warp.map_points(points), full_points)
    np.testing.assert_array_equal(
        F.elastic(img, alpha, sigma, seed=3), F.DenseWarp(*expected).apply(img)
    )
    for got, want in zip(_swirl_maps(*shape, 1.5, 20.0), full_swirl, strict=True):
        np.testing.assert_array_equal(got, want)


def test_large_dense_warps_cache_no_full_grids():
    """Building elastic and swirl warps of an image above the cache limit adds nothing
    H x W to the grid caches."""
    shape = (520, 510)  # 265,200 pixels > 512 x 512
    assert shape[0] * shape[1] > _common._DENSE_CACHE_MAX_PIXELS
    before = _common._full_grid.cache_info().currsize
    before_centred = dense._centred_grid_cached.cache_info().currsize
    F.elastic_warp(shape, 2.0, 1.0, seed=0)
    F.swirl_warp(shape, 0.5)
    assert _common._full_grid.cache_info().currsize == before
    assert dense._centred_grid_cached.cache_info().currsize == before_centred


@pytest.mark.parametrize(
    "op,kwargs",
    [(F.elastic, {"alpha": 2.0, "sigma": 3.0}), (F.gaussian_noise, {"std": 0.1})],
    ids=["elastic", "gaussian_noise"],
)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_seeded_ops_are_deterministic(op, kwargs, dtype):
    img = make_image((H, W, 3), dtype)
    a = op(img, **kwargs, seed=1)
    np.testing.assert_array_equal(a, op(img, **kwargs, seed=1))
    assert not np.array_equal(a, op(img, **kwargs, seed=2))
    np.testing.assert_array_equal(a, op(img, **kwargs, seed=np.random.default_rng(1)))
    gen = np.random.default_rng(5)
    assert not np.array_equal(op(img, **kwargs, seed=gen), op(img, **kwargs, seed=gen))


def test_seed_is_required():
    img = make_image((H, W), np.uint8)
    with pytest.raises(TypeError):
        F.elastic(img, 1.0, 2.0)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        F.gaussian_noise(img, 0.1)  # type: ignore[call-arg]


WARPS = [
    ("rotate33", lambda s: F.rotate_warp(s, 33.0)),
    ("rotate-90", lambda s: F.rotate_warp(s, -90.0)),
    ("translate", lambda s: F.translate_warp(s, 0.15, -0.1)),
    ("hflip", lambda s: F.hflip_warp(s)),
    ("vflip", lambda s: F.vflip_warp(s)),
    ("zoom", lambda s: F.zoom_warp(s, 1.3)),
    ("shear", lambda s: F.shear_warp(s, 0.3, "y")),
    ("pad_and_crop", lambda s: F.pad_and_crop_warp(s, 4, 1, 6)),
    ("swirl", lambda s: F.swirl_warp(s, 2.5)),
    ("swirl_neg", lambda s: F.swirl_warp(s, -1.5, radius=20.0)),
    ("elastic", lambda s: F.elastic_warp(s, 1.5, 4.0, seed=3)),
]


@pytest.mark.parametrize("name,make", WARPS, ids=[n for n, _ in WARPS])
def test_map_points_follow_a_bright_pixel(name, make):
    shape = (24, 32)
    warp = make(shape)
    checked = 0
    for x in range(1, 32, 3):
        for y in range(1, 24, 3):
            (qx, qy), = warp.map_points(np.array([[x, y]], float))
            if not (1 <= qx <= 30 and 1 <= qy <= 22):
                continue  # moved out of the image
            img = np.zeros(shape, np.float32)
            img[y, x] = 1.0
            out = warp.apply(img, border="constant")
            row, col = np.unravel_index(np.argmax(out), shape)
            assert np.hypot(qx - col, qy - row) <= 1.0, (name, x, y, qx, qy, col, row)
            checked += 1
    assert checked >= 40


@pytest.mark.parametrize("name,make", WARPS[-3:], ids=[n for n, _ in WARPS[-3:]])
def test_dense_map_points_inverts_the_maps(name, make):
    warp = make((24, 32))
    src = np.random.default_rng(0).uniform([0, 0], [31, 23], size=(50, 2))
    dst = warp.map_points(src)
    back = np.stack(
        [_sample_bilinear(warp.map_x.astype(float), dst[:, 0], dst[:, 1]),
         _sample_bilinear(warp.map_y.astype(float), dst[:, 0], dst[:, 1])],
        axis=1,
    )
    inside = (dst >= 0).all(axis=1) & (dst[:, 0] <= 31) & (dst[:, 1] <= 23)
    np.testing.assert_allclose(back[inside], src[inside], atol=1e-3)


def test_affine_map_points_is_exact():
    warp = F.translate_warp((10, 20), 0.1, 0.3)
    np.testing.assert_array_equal(warp.map_points(np.array([[1.5, 2.0]])), [[3.5, 5.0]])
    assert F.hflip_warp((10, 20)).map_points(np.zeros((0, 2))).shape == (0, 2)


def test_affine_inverse_matches_numpy():
    """The closed-form inverse that warpAffine gets equals numpy's matrix inverse."""
    rng = np.random.default_rng(0)
    warps = [F.rotate_warp((H, W), 33.0), F.shear_warp((H, W), 0.4, "y"),
             F.zoom_warp((H, W), 0.6), F.translate_warp((H, W), 0.2, -0.1)]
    warps += [F.AffineWarp(rng.normal(size=(2, 3)), (H, W)) for _ in range(20)]
    for warp in warps:
        full = np.vstack([warp.matrix, [0.0, 0.0, 1.0]])
        np.testing.assert_allclose(warp._inverse, np.linalg.inv(full)[:2], rtol=1e-12,
                                   atol=1e-12)
    with pytest.raises(ValueError, match="finite"):
        F.AffineWarp(np.array([[1.0, 0, np.inf], [0, 1, 0]]), (H, W))
    with pytest.raises(ValueError, match="invertible"):
        F.zoom_warp((H, W), 1e-7)


def test_cached_warps_are_read_only_and_shared():
    """Builders cache their warps per (shape, args); what they share cannot be changed."""
    for make in (lambda: F.swirl_warp((H, W), 0.25), lambda: F.swirl_warp((H, W), -0.1, 5.0)):
        a, b = make(), make()
        assert a is not b
        for m in (a.map_x, a.map_y):
            assert not m.flags.writeable
            with pytest.raises(ValueError, match="read-only"):
                m[0, 0] = 1e6
        assert a.map_x is b.map_x  # built once
    margin, padded_x, padded_y = F.swirl_warp((H, W), 2.0)._padded
    assert margin > 0
    for m in (padded_x, padded_y):
        with pytest.raises(ValueError, match="read-only"):
            m[0, 0] = 1e6
    # replacing a cached warp's maps replaces the warp: its padded maps are not used
    shape = (80, 80)
    img = make_image(shape, np.uint8)
    warp = F.swirl_warp(shape, 1.0)
    assert warp._padded[0] > 0
    warp.map_x = warp.map_x + np.float32(3)
    expected = F.DenseWarp(warp.map_x, warp.map_y).apply(img)
    np.testing.assert_array_equal(warp.apply(img), expected)
    fresh = _swirl_maps(H, W, 0.25, min(H, W) / 2.0)
    np.testing.assert_array_equal(F.swirl_warp((H, W), 0.25).map_x, fresh[0])
    for make in (lambda: F.rotate_warp((H, W), 5.0), lambda: F.zoom_warp((H, W), 1.1),
                 lambda: F.shear_warp((H, W), 0.1), lambda: F.hflip_warp((H, W))):
        warp = make()
        for m in (warp.matrix, warp._inverse):
            assert not m.flags.writeable
            with pytest.raises(ValueError, match="read-only"):
                m[0, 0] = 7.0
        np.testing.assert_array_equal(make().matrix, warp.matrix)
    # a warp built from a caller's matrix keeps its own copy
    matrix = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]])
    warp = F.AffineWarp(matrix, (H, W))
    matrix[0, 2] = 5.0
    assert warp.matrix[0, 2] == 2.0


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("size", [(8, 9), (70, 90)], ids=str)
def test_warps_of_rgb_equal_warps_of_each_channel(size, dtype):
    """Large uint8/uint16 RGB images are warped as RGBA by cv2: channels stay independent
    (within cv2's rounding: a 3- or 4-channel and a 1-channel remap take different SIMD
    paths, which agree to 1 float32 ulp or 1 level, depending on the CPU)."""
    img = make_image(size + (3,), dtype)
    warps = [F.rotate_warp(size, 5.0), F.zoom_warp(size, 0.75), F.swirl_warp(size, 0.25)]
    for warp in warps:
        for kwargs in ({}, {"border": "constant", "fill": 0.5}, {"interpolation": "nearest"}):
            out = warp.apply(img, **kwargs)
            for c in range(3):
                assert_library_close(out[:, :, c], warp.apply(img[:, :, c], **kwargs))


@pytest.mark.parametrize("border", ["reflect", "edge"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_padded_warps_match_cv2_border_handling(dtype, border, monkeypatch):
    """Large images are padded before a bilinear affine warp or cached swirl; compare with
    cv2's own border handling (the padding switched off) on noise, the worst case for
    rounding."""
    shape = (80, 96, 3)
    img = make_image(shape, dtype)
    warps = [F.rotate_warp(shape, 5.0), F.rotate_warp(shape, -33.0), F.zoom_warp(shape, 0.75),
             F.zoom_warp(shape, 0.9), F.shear_warp(shape, 0.25, "y"),
             F.translate_warp(shape, 0.1, -0.07), F.swirl_warp(shape, 0.25, 280.0),
             F.swirl_warp(shape, -2.0)]
    assert all(w._padded[0] > 0 for w in warps[-2:])
    padded = [warp.apply(img, border=border) for warp in warps]
    exact = [F.pad_and_crop_warp(shape, 9, 0, 17).apply(img, border=border)]
    monkeypatch.setattr(affine, "_padded_inverse", lambda *args: (0, None))
    for warp in warps[-2:]:
        warp._padded = None
    tol = 1e-4 if dtype == np.float32 else 1 if dtype == np.uint8 else 3
    for warp, out in zip(warps, padded, strict=True):
        assert np.abs(out.astype(np.float64) - warp.apply(img, border=border)).max() <= tol
    # whole-pixel shifts stay exact
    out = F.pad_and_crop_warp(shape, 9, 0, 17).apply(img, border=border)
    np.testing.assert_array_equal(exact[0], out)


@pytest.mark.parametrize("border", ["reflect", "edge"])
def test_affine_warps_above_pad_limit_use_cv2_border_handling(border, monkeypatch):
    """Images above _PAD_MAX_PIXELS are warped without the padded copy: cv2's own border
    handling (the unpadded warp), which the padded warp is within rounding of. Which path
    ran is observed by counting calls of the padding, not by rounding differences (those
    depend on the CPU's SIMD path and may vanish)."""
    import cv2

    shape = (80, 96)
    img = make_image(shape, np.uint16)
    warps = [F.rotate_warp(shape, -10.0), F.zoom_warp(shape, 0.9), F.shear_warp(shape, 0.2)]
    padding_calls = []
    padded_inverse = affine._padded_inverse
    monkeypatch.setattr(affine, "_padded_inverse",
                        lambda *args: padding_calls.append(args) or padded_inverse(*args))
    padded = [warp.apply(img, border=border) for warp in warps]
    assert len(padding_calls) == len(warps)  # below the limit: every warp pads
    monkeypatch.setattr(affine, "_PAD_MAX_PIXELS", shape[0] * shape[1] - 1)
    mode = {"reflect": cv2.BORDER_REFLECT_101, "edge": cv2.BORDER_REPLICATE}[border]
    for warp, with_padding in zip(warps, padded, strict=True):
        expected = cv2.warpAffine(
            img, warp._inverse, shape[::-1], flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=mode,
        )
        out = warp.apply(img, border=border)
        assert_library_close(out, expected)
        assert np.abs(out.astype(np.int64) - with_padding).max() <= 3
    assert len(padding_calls) == len(warps)  # above the limit: none does


@pytest.mark.parametrize("shape", SHAPES + [(H, W, 4), (H, W, 9)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_flips_are_index_flips_for_every_layout(dtype, shape):
    img = make_image(shape, dtype)
    np.testing.assert_array_equal(F.hflip(img), img[:, ::-1])
    np.testing.assert_array_equal(F.vflip(img), img[::-1])
    view = make_image((H, 2 * W) + shape[2:], dtype)[:, ::-2]  # negative strides
    np.testing.assert_array_equal(F.hflip(view), view[:, ::-1])
    np.testing.assert_array_equal(F.vflip(view), view[::-1])


# --------------------------------------------------------------------------- photometric


@pytest.mark.parametrize("factor", [0.0, 0.5, 1.7])
@pytest.mark.parametrize(
    "name,fn", [("Brightness", F.brightness), ("Contrast", F.contrast),
                ("Color", F.saturation), ("Sharpness", F.sharpen)],
)
def test_enhance_matches_pil(name, fn, factor):
    image, enhance = pil()
    img = make_image((H, W, 3), np.uint8)
    expected = np.asarray(getattr(enhance, name)(image.fromarray(img)).enhance(factor))
    # PIL truncates and rounds intermediate images to integers; we round once.
    assert np.abs(fn(img, factor).astype(int) - expected).max() <= 2


def test_contrast_single_channel_matches_pil():
    image, enhance = pil()
    img = make_image((H, W), np.uint8)
    expected = np.asarray(enhance.Contrast(image.fromarray(img)).enhance(0.4))
    assert np.abs(F.contrast(img, 0.4).astype(int) - expected).max() <= 2


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_enhance_degenerate_images(dtype):
    img = make_image((H, W, 3), dtype)
    vmax = F.value_max(dtype)
    assert np.all(F.brightness(img, 0.0) == 0)
    grey = F.saturation(img, 0.0)
    np.testing.assert_array_equal(grey[..., 0], grey[..., 1])
    np.testing.assert_array_equal(grey[..., 0], grey[..., 2])
    flat = F.contrast(img, 0.0)
    mean = np.mean(img.astype(np.float64), axis=(0, 1)) @ [0.299, 0.587, 0.114]
    np.testing.assert_allclose(flat, mean, atol=0.5 if vmax > 1 else 1e-6)
    five = make_image((H, W, 5), dtype)
    np.testing.assert_allclose(F.contrast(five, 0.0), five.astype(np.float64).mean(),
                               atol=0.5 if vmax > 1 else 1e-6)


def test_float_pointwise_formulas():
    img = make_image((H, W, 3), np.float32)
    np.testing.assert_allclose(F.brightness(img, 1.5), np.clip(img * 1.5, 0, 1), atol=1e-6)
    np.testing.assert_allclose(F.gamma(img, 2.0), img**2, atol=1e-6)
    np.testing.assert_allclose(F.invert(img), 1 - img, atol=1e-7)
    np.testing.assert_array_equal(F.solarize(img, 0.0), F.invert(img))
    np.testing.assert_array_equal(F.solarize(img, 0.6), np.where(img >= 0.6, 1 - img, img))


def test_gamma_integer_lut():
    img = np.arange(256, dtype=np.uint8).reshape(16, 16)
    expected = np.rint((np.arange(256) / 255.0) ** 0.5 * 255).reshape(16, 16)
    assert np.abs(F.gamma(img, 0.5).astype(int) - expected).max() <= 1
    img16 = np.array([[0, 1000, 65535]], np.uint16)
    np.testing.assert_array_equal(F.gamma(img16, 2.0), [[0, 15, 65535]])


def test_hue_shift_matches_colorsys():
    img = make_image((6, 7, 3), np.float32)
    for shift in (0.3, -0.45, 0.5):
        expected = np.empty(img.shape)
        for idx in np.ndindex(img.shape[:2]):
            h, s, v = colorsys.rgb_to_hsv(*img[idx].astype(float))
            expected[idx] = colorsys.hsv_to_rgb((h + shift) % 1.0, s, v)
        np.testing.assert_allclose(F.hue_shift(img, shift), expected, atol=1e-5)


def colorsys_hue_shift(img, shift):
    """Reference: colorsys on every pixel (float64, [0, 1] scale), back on the dtype scale."""
    vmax = F.value_max(img.dtype)
    expected = np.empty(img.shape)
    for idx in np.ndindex(img.shape[:2]):
        h, s, v = colorsys.rgb_to_hsv(*(img[idx].astype(float) / vmax))
        expected[idx] = colorsys.hsv_to_rgb((h + shift) % 1.0, s, v)
    return expected * vmax


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_hue_shift_matches_colorsys_for_every_dtype(dtype):
    """hue_shift runs on cv2's float32 HSV (hue in degrees): pin it to colorsys."""
    img = make_image((9, 11, 3), dtype)
    vmax = F.value_max(dtype)
    # primaries, secondaries and hues just either side of red, where the hue wraps
    special = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 1, 1], [0, 0, 1], [1, 0, 1],
                        [1, 0, 0.002], [1, 0.002, 0], [0.5, 0.25, 0.25], [0.9, 0.9, 0.1],
                        [0.3, 0.3, 0.3]])
    img[0] = F.from_float32(special.astype(np.float32), dtype)
    for shift in (0.1, -0.1, 0.25, -0.25, 0.45, 0.5, -0.5, -1e-9, 1 / 3):
        out = F.hue_shift(img, shift)
        expected = colorsys_hue_shift(img, shift)
        if dtype == np.float32:
            np.testing.assert_allclose(out, expected, atol=1e-5)
        else:  # rounded once; a value within float32 error of a half level goes either way
            assert np.abs(out - expected).max() <= 0.5 + 1e-6 * vmax, shift


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_hue_shift_keeps_grey_and_full_turn(dtype):
    grey = np.repeat(make_image((H, W, 1), dtype), 3, axis=2)
    np.testing.assert_array_equal(F.hue_shift(grey, 0.3), grey)
    img = make_image((H, W, 3), dtype)
    back = F.hue_shift(F.hue_shift(img, 0.5), -0.5)
    tol = 1e-5 if dtype == np.float32 else 1
    assert np.abs(back.astype(np.float64) - img).max() <= tol


@pytest.mark.parametrize("factor", [0.0, 0.5, 0.75, 1.25, 1.5, 3.0])
def test_saturation_uint8_matrix_matches_float_formula(factor):
    """uint8 saturation is one fixed-point cv2.transform: within one level of the formula."""
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    img[0, :8] = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255],
                  [255, 255, 0], [0, 255, 255], [7, 7, 7]]
    x = img.astype(np.float64)
    grey = (x @ [0.299, 0.587, 0.114])[:, :, np.newaxis]
    expected = np.clip(np.rint((x - grey) * factor + grey), 0, 255)
    out = F.saturation(img, factor)
    assert np.abs(out - expected).max() <= 1
    assert np.abs(F.saturation(img[:, ::2], factor) - expected[:, ::2]).max() <= 1


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_contrast_uses_float64_mean(dtype, shape):
    """contrast's grey level (cv2.mean) equals the float64 numpy mean it replaced."""
    img = make_image(shape, dtype)
    x = img.astype(np.float64).reshape(H, W, -1)
    mean = x.mean(axis=(0, 1)) @ [0.299, 0.587, 0.114] if x.shape[2] == 3 else x.mean()
    tol = 0.5 if dtype != np.float32 else 1e-6
    np.testing.assert_allclose(F.contrast(img, 0.0), np.full(shape, mean), atol=tol)
    np.testing.assert_allclose(F.contrast(img[:, ::-1], 0.0), np.full(shape, mean), atol=tol)


@pytest.mark.parametrize("shape", SHAPES + [(1, 1), (3, 700, 7)], ids=str)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16], ids=lambda d: np.dtype(d).name)
def test_apply_lut_is_a_table_lookup(dtype, shape):
    img = make_image(shape, dtype, seed=3)
    lut = make_image((int(F.value_max(dtype)) + 1,), dtype, seed=4)
    np.testing.assert_array_equal(apply_lut(img, lut), lut[img])
    view = img[::-1, ::2]
    np.testing.assert_array_equal(apply_lut(view, lut), lut[view])


@pytest.mark.parametrize("chunk", [1, 7, 48, None], ids=lambda c: f"chunk={c}")
@pytest.mark.parametrize("shape", [(H, W), (H, W, 3), (1, 50), (300, 301)], ids=str)
def test_apply_lut_uint16_blocks_equal_np_take(shape, chunk, monkeypatch):
    """Large uint16 images are looked up in row blocks (to bound np.take's intp copy of
    the indices); the result is the single np.take it replaced, for any block size."""
    from tanda_transforms import _validate

    if chunk is not None:
        monkeypatch.setattr(_validate, "_LUT_CHUNK", chunk)
    img = make_image(shape, np.uint16, seed=5)
    lut = make_image((65536,), np.uint16, seed=6)
    for view in (img, img[::-1, ::3], np.asfortranarray(img)):
        out = apply_lut(view, lut)
        np.testing.assert_array_equal(out, np.take(lut, view))
        assert out.dtype == np.uint16 and out.shape == view.shape


@pytest.mark.parametrize("factor", [0.0, 0.5, 1.25, 1.5])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_brightness_table_matches_formula(dtype, factor):
    """brightness caches its integer table per factor; results follow the float32 formula."""
    img = make_image((H, W, 3), dtype)
    x = F.to_float32(img) * np.float32(factor)
    expected = F.from_float32(x, dtype)
    for _ in range(2):  # the second call uses the cached table
        np.testing.assert_array_equal(F.brightness(img, factor), expected)


@pytest.mark.parametrize("sigma", [0.7, 1.5, 5.0])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_gaussian_blur_matches_scipy(dtype, sigma):
    img = make_image((H, W, 3), dtype)
    expected = ndi.gaussian_filter(img.astype(np.float64), (sigma, sigma, 0), mode="mirror")
    tol = 1e-5 if dtype == np.float32 else 0.51  # float32 work buffer, rounded once
    assert np.abs(F.gaussian_blur(img, sigma) - expected).max() <= tol


def test_sharpen_leaves_border_and_smooths_inside():
    img = make_image((H, W), np.float32)
    out = F.sharpen(img, 0.0)
    np.testing.assert_array_equal(out[0], img[0])
    np.testing.assert_array_equal(out[:, -1], img[:, -1])
    kernel = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]]) / 13
    expected = ndi.correlate(img.astype(np.float64), kernel)
    np.testing.assert_allclose(out[1:-1, 1:-1], expected[1:-1, 1:-1], atol=1e-6)


def test_gaussian_noise_statistics():
    img = np.full((64, 64), 0.5, np.float32)
    out = F.gaussian_noise(img, 0.1, seed=0)
    assert (out - 0.5).std() == pytest.approx(0.1, rel=0.05)
    assert abs((out - 0.5).mean()) < 0.01
    sat = F.gaussian_noise(np.full((8, 8), 128, np.uint8), 2.0, seed=0)
    assert sat.max() == 255 and sat.min() == 0  # clipped, not wrapped


# Ops that process large images in row strips (see functional/_strips.py).
STRIP_CASES = [
    (F.gaussian_blur, {"sigma": 0.7}),
    (F.gaussian_blur, {"sigma": 3.0}),
    (F.sharpen, {"factor": 0.0}),
    (F.sharpen, {"factor": 2.5}),
    (F.gaussian_noise, {"std": 0.2, "seed": 4}),
]


def strips_everywhere(monkeypatch, strip_pixels):
    """Make every image use strips of about ``strip_pixels`` pixels."""
    monkeypatch.setattr(_strips, "_STRIP_MIN_PIXELS", 0)
    monkeypatch.setattr(_strips, "_STRIP_PIXELS", strip_pixels)


@pytest.mark.parametrize("strip_pixels", [1, 150, 400])
@pytest.mark.parametrize("shape", [(61, 47), (40, 33, 3), (30, 20, 5)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", STRIP_CASES, ids=[op_id(c) for c in STRIP_CASES])
def test_strips_equal_whole_image(case, dtype, shape, strip_pixels, monkeypatch):
    """Blur, sharpen and noise in row strips (with a halo of the filter's reach; noise
    drawn strip after strip) give the whole-image result: exactly for noise (numpy's
    correctly rounded arithmetic), within cv2's rounding for the filters (cv2 may pick
    another SIMD or IPP path for a strip than for the whole image)."""
    fn, kwargs = case
    img = make_image(shape, dtype, seed=8)
    view = img[::-1, ::2]
    whole, whole_view = fn(img, **kwargs), fn(view, **kwargs)
    strips_everywhere(monkeypatch, strip_pixels)
    assert len(_strips.row_strips(shape[0], shape[1], 3)) > 1
    same = np.testing.assert_array_equal if fn is F.gaussian_noise else assert_library_close
    same(check_contract(fn, kwargs, img), whole)
    same(check_contract(fn, kwargs, view), whole_view)


def test_gaussian_noise_strips_draw_the_same_stream(monkeypatch):
    """Strip by strip, noise uses the generator exactly as one draw of the image's shape,
    so a shared Generator continues identically afterwards."""
    img = make_image((45, 31, 3), np.uint16)
    gen = np.random.default_rng(9)
    expected = F.from_float32(
        F.to_float32(img) + gen.standard_normal(img.shape, dtype=np.float32) * np.float32(0.1),
        np.uint16,
    )
    after = gen.random(4)
    strips_everywhere(monkeypatch, 100)
    gen = np.random.default_rng(9)
    np.testing.assert_array_equal(F.gaussian_noise(img, 0.1, seed=gen), expected)
    np.testing.assert_array_equal(gen.random(4), after)


def test_large_blur_and_sharpen_equal_previous_whole_image_formulas():
    """At the default strip size, an image above _STRIP_MIN_PIXELS (so in strips) gives
    what the previous whole-image float32 code gave (within 1 level: cv2 filters a strip
    and the whole image through SIMD paths that may round differently)."""
    import cv2

    shape = (1100, 1000)
    assert shape[0] * shape[1] > _strips._STRIP_MIN_PIXELS
    img = make_image(shape, np.uint16, seed=1)
    assert len(_strips.row_strips(*shape, 5)) > 1
    x = F.to_float32(img)
    reflect = cv2.BORDER_REFLECT_101
    blurred = cv2.GaussianBlur(x, (11, 11), sigmaX=1.2, sigmaY=1.2, borderType=reflect)
    assert_library_close(F.gaussian_blur(img, 1.2), F.from_float32(blurred, np.uint16))
    kernel = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float32) / np.float32(13)
    degenerate = cv2.filter2D(x, -1, kernel, borderType=reflect)
    inner = (slice(1, -1), slice(1, -1))
    diff = x[inner] - degenerate[inner]
    diff *= np.float32(1.5)
    diff += degenerate[inner]
    x[inner] = diff
    assert_library_close(F.sharpen(img, 1.5), F.from_float32(x, np.uint16))


@pytest.mark.parametrize("sigma", [0.0, 1.0, 8.0])
def test_elastic_strips_equal_previous_maps(sigma, monkeypatch):
    """elastic's smoothed noise drawn and blurred in row strips (a rolling window of raw
    rows plus the kernel radius) equals the whole-field formula, and uses the generator
    the same way."""
    shape = (150, 40)
    gen = np.random.default_rng(2)
    expected = _elastic_maps_with_full_grids(shape, 3.0, sigma, gen)
    after = gen.random(3)
    strips_everywhere(monkeypatch, 60)
    assert len(_strips.row_strips(*shape, 32)) > 1
    gen = np.random.default_rng(2)
    warp = F.elastic_warp(shape, 3.0, sigma, seed=gen)
    np.testing.assert_array_equal(warp.map_x, expected[0])
    np.testing.assert_array_equal(warp.map_y, expected[1])
    np.testing.assert_array_equal(gen.random(3), after)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_cutout_clips_rectangle(dtype):
    img = make_image((H, W, 3), dtype)
    out = F.cutout(img, -3, W - 2, 5, 10, fill=1.0)
    expected = img.copy()
    expected[0:2, W - 2 :] = F.value_max(dtype)
    np.testing.assert_array_equal(out, expected)
    half = F.cutout(img, 1, 1, 2, 2, fill=0.5)[1, 1, 0]
    assert half == (0.5 if dtype == np.float32 else np.rint(F.value_max(dtype) / 2))


def test_equalize_matches_pil_on_large_image():
    image, _ = pil()
    from PIL import ImageOps

    rng = np.random.default_rng(0)
    img = (rng.beta(2, 5, (256, 256, 3)) * 255).astype(np.uint8)
    expected = np.asarray(ImageOps.equalize(image.fromarray(img)))
    # PIL rounds its step size down to an integer (we do not), which only matters when
    # the image has few pixels per level; with 65536 pixels it is at most one level.
    assert np.abs(F.equalize(img).astype(int) - expected).max() <= 1


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_equalize_flattens_histogram(dtype):
    rng = np.random.default_rng(1)
    x = rng.beta(2, 8, (64, 64)).astype(np.float32)
    img = F.from_float32(x, dtype)
    out = F.to_float32(F.equalize(img))
    assert out.mean() == pytest.approx(0.5, abs=0.03)
    assert out.max() == 1.0 and out.min() == 0.0
    order = np.argsort(img.ravel(), kind="stable")
    assert np.all(np.diff(out.ravel()[order]) >= 0)  # monotone mapping
    const = np.full((4, 4), img[0, 0], dtype)
    np.testing.assert_array_equal(F.equalize(const), const)


def _uint8_image_with_every_level(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = (rng.beta(2, 6, (40, 40, 3)) * 255).astype(np.uint8)
    img.reshape(-1)[:256] = np.arange(256)  # every level once, the rest skewed low
    return img


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_float_equalize_of_uint8_levels_is_the_uint8_equalize(seed):
    """float32 values go into 256 bins (as torchvision and kornia count float images), with
    k / 255 in bin k: equalising a float image of uint8 levels gives the uint8 result / 255,
    per image and batched (the package's own arithmetic on the same integers: exact)."""
    img = _uint8_image_with_every_level(seed)
    expected = F.to_float32(F.equalize(img))
    np.testing.assert_array_equal(F.equalize(F.to_float32(img)), expected)
    import torch

    from tanda_transforms.batched.photometric import equalize as equalize_batch

    # a [1, C, H, W] view of the H x W x C array: not contiguous, which the kernel accepts
    batch = torch.from_numpy(F.to_float32(img)).permute(2, 0, 1)[None]
    out = equalize_batch(batch)[0].permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(out, expected)


def test_equalize_small_image_uses_full_range():
    img = np.array([[0, 0, 1, 2]], np.uint8)
    np.testing.assert_array_equal(F.equalize(img), [[0, 0, 171, 255]])


def test_autocontrast_matches_pil():
    image, _ = pil()
    from PIL import ImageOps

    rng = np.random.default_rng(0)
    img = (rng.beta(2, 5, (H, W, 3)) * 200 + 20).astype(np.uint8)
    expected = np.asarray(ImageOps.autocontrast(image.fromarray(img)))
    assert np.abs(F.autocontrast(img).astype(int) - expected).max() <= 1


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_autocontrast_per_channel(dtype):
    img = make_image((H, W, 3), dtype) // 2 if dtype != np.float32 else make_image(
        (H, W, 3), dtype
    ) * np.float32(0.5) + np.float32(0.25)
    img[..., 1] = img[0, 0, 1]  # constant channel stays as it is
    out = F.autocontrast(img)
    vmax = F.value_max(dtype)
    for c in (0, 2):
        assert out[..., c].min() == 0 and out[..., c].max() == pytest.approx(vmax)
    np.testing.assert_array_equal(out[..., 1], img[..., 1])


@pytest.mark.parametrize("bits", range(1, 9))
def test_posterize_matches_pil(bits):
    image, _ = pil()
    from PIL import ImageOps

    img = make_image((H, W, 3), np.uint8)
    expected = np.asarray(ImageOps.posterize(image.fromarray(img), bits))
    np.testing.assert_array_equal(F.posterize(img, bits), expected)


def test_posterize_uint16_and_float():
    img16 = np.array([[65535, 1234]], np.uint16)
    np.testing.assert_array_equal(F.posterize(img16, 4), [[0xF000, 0]])
    np.testing.assert_array_equal(F.posterize(img16, 16), img16)
    img = make_image((H, W), np.float32)
    out = F.posterize(img, 3)
    np.testing.assert_array_equal(out * 8, np.floor(out * 8))
    assert len(np.unique(out)) <= 8
    assert np.all(out <= img) and np.all(img - out < 1 / 8)


@pytest.mark.parametrize("threshold", [0, 1, 64, 128, 200, 255])
def test_solarize_matches_pil(threshold):
    image, _ = pil()
    from PIL import ImageOps

    img = make_image((H, W, 3), np.uint8)
    expected = np.asarray(ImageOps.solarize(image.fromarray(img), threshold))
    np.testing.assert_array_equal(F.solarize(img, threshold / 255), expected)


def test_invert_matches_pil():
    image, _ = pil()
    from PIL import ImageOps

    img = make_image((H, W, 3), np.uint8)
    np.testing.assert_array_equal(F.invert(img), np.asarray(ImageOps.invert(image.fromarray(img))))
    img16 = make_image((H, W), np.uint16)
    np.testing.assert_array_equal(F.invert(img16), 65535 - img16)


# --------------------------------------------------------------------------- morphology


@pytest.mark.parametrize("size", [3, 5, 7])
@pytest.mark.parametrize("shape", [(H, W), (H, W, 3), (H, W, 5)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_morphology_matches_scipy(dtype, shape, size):
    img = make_image(shape, dtype)
    footprint = (size, size) + (1,) * (len(shape) - 2)
    np.testing.assert_array_equal(F.erosion(img, size), ndi.grey_erosion(img, size=footprint))
    np.testing.assert_array_equal(F.dilation(img, size), ndi.grey_dilation(img, size=footprint))


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("case", ALL_OPS, ids=ALL_IDS)
def test_every_op_rejects_bad_images(case):
    fn, kwargs = case
    good = make_image((H, W, 3), np.uint8)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        fn(good.tolist(), **kwargs)
    with pytest.raises(TypeError, match="float64"):
        fn(good.astype(np.float64), **kwargs)
    with pytest.raises(TypeError, match="int32"):
        fn(good.astype(np.int32), **kwargs)
    with pytest.raises(ValueError, match="dimensions"):
        fn(good[np.newaxis], **kwargs)
    with pytest.raises(ValueError, match="dimensions"):
        fn(good[0, :, 0], **kwargs)


BAD_ARGS = [
    (F.gaussian_blur, {"sigma": -1.0}, ValueError, "sigma"),
    (F.gaussian_blur, {"sigma": float("nan")}, ValueError, "sigma"),
    (F.posterize, {"bits": 0}, ValueError, "bits"),
    (F.posterize, {"bits": 9}, ValueError, "bits"),
    (F.posterize, {"bits": 2.0}, TypeError, "bits"),
    (F.elastic, {"alpha": 1.0, "sigma": -2.0, "seed": 0}, ValueError, "sigma"),
    (F.elastic, {"alpha": 1.0, "sigma": 2.0, "seed": "x"}, TypeError, "seed"),
    (F.gaussian_noise, {"std": 0.1, "seed": 1.5}, TypeError, "seed"),
    (F.gaussian_noise, {"std": -0.1, "seed": 0}, ValueError, "std"),
    (rotate, {"degrees": 10, "interpolation": "cubic"}, ValueError, "interpolation"),
    (rotate, {"degrees": 10, "border": "wrap"}, ValueError, "border"),
    (rotate, {"degrees": 0, "border": "wrap"}, ValueError, "border"),
    (rotate, {"degrees": "10"}, TypeError, "degrees"),
    (translate, {"dx": 0.1, "dy": 0, "fill": 2.0}, ValueError, "fill"),
    (zoom, {"factor": 0.0}, ValueError, "factor"),
    (shear, {"factor": 0.1, "axis": "z"}, ValueError, "axis"),
    (swirl, {"strength": 1.0, "radius": -1.0}, ValueError, "radius"),
    (pad_and_crop, {"padding": 2, "top": 5, "left": 0}, ValueError, "top"),
    (pad_and_crop, {"padding": -1, "top": 0, "left": 0}, ValueError, "padding"),
    (F.hue_shift, {"shift": 0.7}, ValueError, "shift"),
    (F.brightness, {"factor": -0.5}, ValueError, "factor"),
    (F.contrast, {"factor": float("inf")}, ValueError, "factor"),
    (F.gamma, {"gamma": 0.0}, ValueError, "gamma"),
    (F.solarize, {"threshold": 1.5}, ValueError, "threshold"),
    (F.cutout, {"top": 0, "left": 0, "height": -1, "width": 2}, ValueError, "height"),
    (F.erosion, {"size": 2}, ValueError, "odd"),
    (F.dilation, {"size": 0}, ValueError, "size"),
]


@pytest.mark.parametrize(
    "fn,kwargs,exc,match", BAD_ARGS, ids=[f"{c[0].__name__}-{c[3]}" for c in BAD_ARGS]
)
def test_bad_arguments(fn, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fn(make_image((H, W, 3), np.uint8), **kwargs)


def test_warp_errors():
    img = make_image((H, W), np.uint8)
    with pytest.raises(ValueError, match="warp was built for"):
        F.rotate_warp((H + 1, W), 10).apply(img)
    with pytest.raises(ValueError, match="N x 2"):
        F.rotate_warp((H, W), 10).map_points(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="N x 2"):
        F.swirl_warp((H, W), 1.0).map_points(np.zeros(4))
    with pytest.raises(TypeError, match="float32"):
        F.DenseWarp(np.zeros((H, W)), np.zeros((H, W)))
    with pytest.raises(ValueError, match="invertible"):
        F.AffineWarp(np.zeros((2, 3)), (H, W))


def test_helpers():
    assert F.value_max(np.uint16) == 65535.0
    with pytest.raises(TypeError, match="int32"):
        F.value_max(np.int32)
    img = make_image((H, W, 3), np.uint16)
    x = F.to_float32(img)
    assert x.dtype == np.float32 and x.max() <= 1.0
    np.testing.assert_array_equal(F.from_float32(x, np.uint16), img)
    np.testing.assert_array_equal(
        F.from_float32(np.array([-0.1, 0.5, 1.5], np.float32), np.uint8), [0, 128, 255]
    )
    with pytest.raises(TypeError, match="float32"):
        F.from_float32(np.zeros(3), np.uint8)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_float32_into_equals_from_float32(dtype):
    """The in-place conversion the float32 ops now end with gives from_float32's values
    (rounding half to even, clipping) into the given array."""
    from tanda_transforms._validate import float32_into

    vmax = F.value_max(dtype)
    halves = (np.arange(-3, 8, dtype=np.float32) + np.float32(0.5)) / np.float32(vmax)
    x = np.concatenate([halves, np.linspace(-0.5, 1.5, 101, dtype=np.float32)])
    x = np.stack([x, x[::-1]])
    expected = F.from_float32(x, dtype)
    out = np.empty(x.shape, dtype)
    assert float32_into(x.copy(), out) is out
    np.testing.assert_array_equal(out, expected)
    rows = np.zeros((4,) + x.shape[1:], dtype)
    float32_into(x.copy(), rows[1:3])  # into a slice of a larger array
    np.testing.assert_array_equal(rows[1:3], expected)
    assert not rows[0].any() and not rows[3].any()
