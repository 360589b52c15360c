"""Domain-specific mammography TFs: Poisson blending, lesion pools, lesion transplant, exposure."""

import os
import subprocess
import sys
import zipfile

import cv2
import numpy as np
import pytest
import torch
from torchvision import tv_tensors

from tanda_transforms import TF, PolicyFileError, TANDAPolicy, TFLibrary, available_ops
from tanda_transforms.data import MiasAbnormality, load_mias
from tanda_transforms.domains import (
    BRIGHTNESS_BOUNDS,
    CONTRAST_BOUNDS,
    LesionPool,
    LesionPoolError,
    LesionPoolNotFoundError,
    clear_lesion_pool_cache,
    domain_mammography_tfs,
    get_lesion_pool,
    lesion_transplant,
    mammo_exposure,
    poisson_blend,
    register_lesion_pool,
    registered_lesion_pools,
    unregister_lesion_pool,
)
from tanda_transforms.domains import poisson as poisson_module
from tanda_transforms.functional import value_max

DTYPES = [np.uint8, np.uint16, np.float32]


def as_dtype(x: np.ndarray, dtype) -> np.ndarray:
    """A float array on the [0, 1] scale as an image of ``dtype``."""
    vmax = value_max(dtype)
    if vmax == 1.0:
        return np.clip(x, 0, 1).astype(np.float32)
    return np.clip(np.rint(x * vmax), 0, vmax).astype(dtype)


def smooth_noise(shape, seed, sigma=3.0):
    rng = np.random.default_rng(seed)
    field = cv2.GaussianBlur(rng.random(shape), (0, 0), sigma)
    return (field - field.min()) / (np.ptp(field) + 1e-12)


def breast(size=256, dtype=np.uint16, seed=0, channel=False):
    """A synthetic mammogram: a textured half-ellipse of tissue on black background."""
    yy, xx = np.mgrid[0:size, 0:size]
    tissue = ((xx / (0.7 * size)) ** 2 + ((yy - size / 2) / (0.45 * size)) ** 2) <= 1
    x = np.where(tissue, 0.35 + 0.3 * smooth_noise((size, size), seed), 0.02)
    img = as_dtype(x, dtype)
    return img[:, :, None] if channel else img


def disc_lesion(radius=8, margin=6, dtype=np.uint8, peak=0.35, base=0.4):
    half = radius + margin
    yy, xx = np.mgrid[-half : half + 1, -half : half + 1]
    r2 = yy**2 + xx**2
    patch = base + peak * np.exp(-r2 / (radius**2)) + 0.03 * smooth_noise(r2.shape, 1, 1.0)
    return as_dtype(patch, dtype), r2 <= radius**2


@pytest.fixture(scope="module")
def pool():
    lesions = [
        disc_lesion(6, 5, np.uint8),
        disc_lesion(9, 6, np.uint16),
        disc_lesion(5, 4, np.float32),
    ]
    return LesionPool([p for p, _ in lesions], [m for _, m in lesions], refs=["a", "b", "c"])


@pytest.fixture(scope="module")
def pool_path(pool, tmp_path_factory):
    path = tmp_path_factory.mktemp("pool") / "pool.npz"
    pool.save(path)
    return str(path)


@pytest.fixture
def registered(pool):
    register_lesion_pool("test-pool", pool, replace=True)
    yield "test-pool"
    unregister_lesion_pool("test-pool")


# --------------------------------------------------------------------------- Poisson


def laplacian(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.float64)
    out = np.zeros_like(a)
    out[1:-1, 1:-1] = 4 * a[1:-1, 1:-1] - a[:-2, 1:-1] - a[2:, 1:-1] - a[1:-1, :-2] - a[1:-1, 2:]
    return out


def blend_case(target_dtype, source_dtype, size=48, radius=9):
    target = as_dtype(0.3 + 0.3 * smooth_noise((size, size), 2), target_dtype)
    yy, xx = np.mgrid[0:30, 0:30]
    source = as_dtype(0.2 + 0.3 * smooth_noise((30, 30), 3, 2.0), source_dtype)
    mask = (yy - 15) ** 2 + (xx - 14) ** 2 <= radius**2
    return target, source, mask, 8, 10


@pytest.mark.parametrize("target_dtype", DTYPES)
@pytest.mark.parametrize("source_dtype", DTYPES)
def test_poisson_keeps_dtype_and_leaves_outside_of_region_unchanged(target_dtype, source_dtype):
    target, source, mask, top, left = blend_case(target_dtype, source_dtype)
    before = target.copy()
    out = poisson_blend(target, source, mask, top, left)
    assert out.dtype == target.dtype and out.shape == target.shape
    np.testing.assert_array_equal(target, before)  # input untouched
    placed = np.zeros(target.shape, bool)
    placed[top : top + 30, left : left + 30] = mask
    np.testing.assert_array_equal(out[~placed], target[~placed])  # boundary ring included
    assert (out[placed] != target[placed]).mean() > 0.5


@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_poisson_interior_laplacian_matches_the_source(gain):
    target, source, mask, top, left = blend_case(np.float32, np.float32)
    out = poisson_blend(target, source, mask, top, left, gain=gain)
    placed = np.zeros(target.shape, bool)
    placed[top : top + 30, left : left + 30] = mask
    got = laplacian(out)[placed]
    want = gain * laplacian(source)[mask]
    assert 0.0 < out[placed].min() and out[placed].max() < 1.0  # nothing clipped
    np.testing.assert_allclose(got, want, atol=2e-6)


def test_poisson_superpose_adds_the_source_detail_to_the_target():
    target, source, mask, top, left = blend_case(np.float32, np.float32)
    out = poisson_blend(target, source, mask, top, left, gain=0.5, superpose=True)
    placed = np.zeros(target.shape, bool)
    placed[top : top + 30, left : left + 30] = mask
    np.testing.assert_array_equal(out[~placed], target[~placed])
    want = laplacian(target)[placed] + 0.5 * laplacian(source)[mask]
    np.testing.assert_allclose(laplacian(out)[placed], want, atol=2e-6)
    with pytest.raises(TypeError, match="superpose"):
        poisson_blend(target, source, mask, top, left, superpose="yes")


def test_poisson_integer_result_is_the_rounded_float_result():
    target, source, mask, top, left = blend_case(np.uint16, np.uint16)
    exact = poisson_blend(target.astype(np.float32) / 65535, source, mask, top, left)
    out = poisson_blend(target, source, mask, top, left)
    np.testing.assert_allclose(out.astype(np.float64) / 65535, exact, atol=1.01 / 65535)


def test_poisson_multigrid_path_matches_direct_solve(monkeypatch):
    size, radius = 96, 44
    yy, xx = np.mgrid[0:size, 0:size]
    omega = (yy - 48) ** 2 + (xx - 47) ** 2 <= radius**2
    boundary = smooth_noise((size, size), 5, 1.5)
    direct = poisson_module.solve_dirichlet(omega, boundary)
    monkeypatch.setattr(poisson_module, "DIRECT_MAX_PIXELS", 100)
    monkeypatch.setattr(poisson_module, "_COARSEST_PIXELS", 200)  # three levels
    iterative = poisson_module.solve_dirichlet(omega, np.stack([boundary, 2 * boundary]))
    np.testing.assert_allclose(iterative[0], direct, atol=1e-8)
    np.testing.assert_allclose(iterative[1], 2 * direct, atol=1e-8)
    np.testing.assert_array_equal(iterative[0][~omega], boundary[~omega])


def test_poisson_ceiling_compresses_bright_detail_without_a_seam():
    target = np.full((40, 40), 0.8, np.float32)
    source = np.full((20, 20), 0.2, np.float32)
    source[6:14, 6:14] = 0.7  # +0.5 detail on a 0.8 surround: clips at 1 without a ceiling
    mask = np.zeros((20, 20), bool)
    mask[2:18, 2:18] = True
    clipped = poisson_blend(target, source, mask, 10, 10)
    soft = poisson_blend(target, source, mask, 10, 10, ceiling=0.95)
    assert clipped.max() == 1.0
    assert 0.85 < soft.max() <= 0.95
    placed = np.zeros((40, 40), bool)
    placed[12:28, 12:28] = True
    np.testing.assert_array_equal(soft[~placed], target[~placed])
    # small detail is kept nearly as is
    small = source.copy()
    small[6:14, 6:14] = 0.21
    a = poisson_blend(target, small, mask, 10, 10)
    b = poisson_blend(target, small, mask, 10, 10, ceiling=0.95)
    np.testing.assert_allclose(a, b, atol=2e-3)


def test_poisson_one_channel_and_partly_outside():
    target, source, mask, _, _ = blend_case(np.uint8, np.uint8)
    out = poisson_blend(target[:, :, None], source, mask, -10, 30)
    assert out.shape == target.shape + (1,) and out.dtype == np.uint8
    changed = out[:, :, 0] != target
    assert changed.any() and not changed[:, :31].any() and not changed[-1].any()


def test_poisson_rejects_bad_inputs():
    target, source, mask, top, left = blend_case(np.uint8, np.uint8)
    with pytest.raises(ValueError, match="one-channel"):
        poisson_blend(np.zeros((8, 8, 3), np.uint8), source, mask, 0, 0)
    with pytest.raises(TypeError, match="bool"):
        poisson_blend(target, source, mask.astype(np.uint8), top, left)
    with pytest.raises(ValueError, match="shape"):
        poisson_blend(target, source, mask[:-1], top, left)
    with pytest.raises(TypeError, match="dtype"):
        poisson_blend(target.astype(np.float64), source, mask, top, left)
    with pytest.raises(TypeError, match="int"):
        poisson_blend(target, source, mask, 1.5, left)
    assert np.array_equal(poisson_blend(target, source, mask, 500, 500), target)  # no overlap


# --------------------------------------------------------------------------- exposure


@pytest.mark.parametrize("dtype", DTYPES)
def test_exposure_identity_fixed_points_and_monotone(dtype):
    vmax = value_max(dtype)
    ramp = as_dtype(np.linspace(0, 1, 1001)[None, :], dtype)
    np.testing.assert_array_equal(mammo_exposure(ramp), ramp)
    for contrast in CONTRAST_BOUNDS:
        for brightness in BRIGHTNESS_BOUNDS:
            out = mammo_exposure(ramp, contrast=contrast, brightness=brightness)
            assert out.dtype == ramp.dtype and out.shape == ramp.shape
            assert out[0, 0] == 0 and out[0, -1] == vmax  # black stays black, white white
            assert np.all(np.diff(out[0].astype(np.float64)) >= 0)


def test_exposure_parameters_mean_slope_and_shift_at_mid_grey():
    mid = np.array([[0.5 - 1e-3, 0.5, 0.5 + 1e-3]], np.float32)
    out = mammo_exposure(mid, brightness=0.1)
    assert abs(float(out[0, 1]) - 0.6) < 1e-6
    out = mammo_exposure(mid, contrast=1.25)
    assert abs(float(out[0, 2] - out[0, 0]) / 2e-3 - 1.25) < 1e-2


def test_exposure_float_chunks_agree_with_one_pass(monkeypatch):
    from tanda_transforms.domains import exposure

    img = smooth_noise((70, 50), 8).astype(np.float32)
    whole = mammo_exposure(img, contrast=1.2, brightness=0.05)
    monkeypatch.setattr(exposure, "_FLOAT_CHUNK", 333)  # does not divide 3500
    np.testing.assert_array_equal(mammo_exposure(img, contrast=1.2, brightness=0.05), whole)
    for view in (np.s_[:, ::2], np.s_[::-1]):
        np.testing.assert_array_equal(
            mammo_exposure(img[view], contrast=1.2, brightness=0.05), whole[view]
        )
    np.testing.assert_array_equal(mammo_exposure(img.T, contrast=1.2, brightness=0.05), whole.T)


def test_exposure_integer_lut_agrees_with_float_path():
    x = smooth_noise((64, 64), 7)
    u16 = as_dtype(x, np.uint16)
    f32 = u16.astype(np.float32) / 65535
    a = mammo_exposure(u16, contrast=0.8, brightness=-0.05).astype(np.float64) / 65535
    b = mammo_exposure(f32, contrast=0.8, brightness=-0.05)
    np.testing.assert_allclose(a, b, atol=1e-5)
    rgb = np.repeat(as_dtype(x, np.uint8)[:, :, None], 3, axis=2)
    assert mammo_exposure(rgb, contrast=1.25).shape == rgb.shape


@pytest.mark.parametrize(
    "kwargs",
    [{"contrast": 0.79}, {"contrast": 1.26}, {"brightness": 0.11}, {"brightness": -0.2}],
)
def test_exposure_rejects_values_outside_the_bounds(kwargs):
    img = np.zeros((4, 4), np.uint8)
    with pytest.raises(ValueError, match="must be in"):
        mammo_exposure(img, **kwargs)
    # the op's declared bounds refuse the TF itself, so no policy file can hold it
    with pytest.raises(ValueError, match="TF mammo_exposure: argument .* must be in"):
        TF("mammo_exposure", **kwargs)
    with pytest.raises(TypeError):
        mammo_exposure(img, contrast=True)


# --------------------------------------------------------------------------- pools


def test_pool_registry(pool):
    register_lesion_pool("reg-test", pool)
    try:
        assert "reg-test" in registered_lesion_pools()
        assert get_lesion_pool("reg-test") is pool
        register_lesion_pool("reg-test", pool)  # same object: fine
        with pytest.raises(ValueError, match="replace=True"):
            register_lesion_pool("reg-test", LesionPool(pool.patches[:1], pool.masks[:1]))
        with pytest.raises(ValueError, match="non-empty string"):
            register_lesion_pool("", pool)
        with pytest.raises(TypeError):
            register_lesion_pool("y", [pool])
    finally:
        unregister_lesion_pool("reg-test")
    assert "reg-test" not in registered_lesion_pools()


def test_missing_pool_error_says_how_to_build_one(tmp_path):
    for name in ("no-such-pool", str(tmp_path / "missing.npz")):
        with pytest.raises(LesionPoolNotFoundError) as err:
            get_lesion_pool(name)
        message = str(err.value)
        assert "LesionPool.from_mias" in message and "save" in message
        if not name.endswith(".npz"):
            assert "register_lesion_pool" in message
        tf = TF("lesion_transplant", pool=name)  # building the TF does not look the pool up
        with pytest.raises(LesionPoolNotFoundError):
            tf(breast(64), np.random.default_rng(0))


def test_pool_file_round_trip_and_cache(pool, pool_path):
    loaded = get_lesion_pool(pool_path)
    assert get_lesion_pool(pool_path) is loaded  # cached
    assert len(loaded) == len(pool) and loaded.refs == pool.refs
    for (p, m), (q, n) in zip(loaded, pool, strict=True):
        assert p.dtype == q.dtype and np.array_equal(p, q) and np.array_equal(m, n)
        assert not p.flags.writeable
    clear_lesion_pool_cache()
    assert get_lesion_pool(pool_path) is not loaded


def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


def good_arrays():
    patch, mask = disc_lesion(4, 3)
    return {"patch_0": patch, "mask_0": mask}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("mask_0"), "mask_0"),
        (lambda a: a.update(patch_0=a["patch_0"].astype(np.int32)), "dtype"),
        (lambda a: a.update(mask_0=a["mask_0"].astype(np.uint8)), "bool"),
        (lambda a: a.update(mask_0=a["mask_0"][:-1]), "shape"),
        (lambda a: a.update(mask_0=np.zeros_like(a["mask_0"])), "empty"),
        (lambda a: a.update(patch_0=np.full(a["mask_0"].shape, 2.0, np.float32)), r"\[0, 1\]"),
        (lambda a: a.update(patch_0=np.zeros(9, np.uint8)), "2-D"),
        (lambda a: a.update(extra=np.zeros(3)), "unexpected"),
        (lambda a: a.update(patch_1=a["patch_0"]), "mask_"),
        (lambda a: a.update(refs=np.array([1, 2])), "refs"),
        (lambda a: a.update(format=np.array("something else")), "format"),
        (lambda a: a.update(mask_0=np.array([{"evil": 1}], dtype=object)), "dtype"),
        (lambda a: a.clear(), "empty pool"),
    ],
)
def test_bad_pool_files_fail_clearly(tmp_path, change, message):
    arrays = good_arrays()
    change(arrays)
    path = tmp_path / "bad.npz"
    if arrays:
        np.savez(path, **arrays)
    else:
        zipfile.ZipFile(path, "w").close()
    with pytest.raises(LesionPoolError, match=message):
        LesionPool.load(path)


def test_not_a_zip_and_wrong_suffix(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"not a zip file at all")
    with pytest.raises(LesionPoolError, match="not a readable .npz"):
        get_lesion_pool(str(path))
    with pytest.raises(ValueError, match=".npz"):
        LesionPool([np.zeros((4, 4), np.uint8)], [np.eye(4, dtype=bool)]).save(tmp_path / "p.npy")


def test_pool_constructor_validation():
    patch, mask = disc_lesion(4, 3)
    with pytest.raises(LesionPoolError, match="1.."):
        LesionPool([], [])
    with pytest.raises(LesionPoolError, match="masks"):
        LesionPool([patch, patch], [mask])
    with pytest.raises(LesionPoolError, match="white_levels"):
        LesionPool([patch], [mask], white_levels=[0.0])
    with pytest.raises(LesionPoolError, match="refs"):
        LesionPool([patch], [mask], refs=[3])
    with pytest.raises(LesionPoolError, match="dtype|uint8"):
        LesionPool([patch.astype(np.float64)], [mask])


# --------------------------------------------------------------------------- mini-MIAS fixture


@pytest.fixture
def mias_root(tmp_path):
    """A tiny mini-MIAS folder: three 128 x 128 films and an Info.txt in the real format."""
    (tmp_path / "png").mkdir()
    size = 128
    info = [
        "MIAS database: Info.txt",
        "1st column: MIAS database reference number.",
        "",
    ]
    films = {
        "mdb001": ("G", [("CIRC", "B", 40, 80, 10)]),  # centre row = 127 - 80 = 47, col 40
        "mdb002": ("F", []),
        "mdb003": ("D", [("SPIC", "M", 90, 30, 6), ("CALC", "M", None, None, None)]),
    }
    for ref, (tissue, lesions) in films.items():
        img = breast(size, np.uint8, seed=int(ref[-1]))
        for _, _, x, y, r in lesions:
            if x is not None:
                yy, xx = np.mgrid[0:size, 0:size]
                disc = (yy - (size - 1 - y)) ** 2 + (xx - x) ** 2 <= r * r
                img[disc] = 230
        cv2.imwrite(str(tmp_path / "png" / f"{ref}.png"), img)
        if not lesions:
            info.append(f"{ref} {tissue} NORM ")
        for kind, severity, x, y, r in lesions:
            where = "*NOTE 3* " if x is None else f"{x} {y} {r} "
            info.append(f"{ref} {tissue} {kind} {severity} {where}")
    (tmp_path / "Info.txt").write_text("\n".join(info) + "\n")
    return tmp_path


def test_pool_from_mias_cuts_located_abnormalities(mias_root):
    pool = LesionPool.from_mias(mias_root, margin=0.5)
    assert pool.refs == ("mdb001 CIRC B", "mdb003 SPIC M")
    films = load_mias(mias_root)
    film = films[0]["image"]
    patch, mask = pool[0]
    half = int(np.ceil(10 * 1.5)) + 2
    assert patch.shape == (2 * half + 1, 2 * half + 1) and patch.dtype == np.uint8
    np.testing.assert_array_equal(patch, film[47 - half : 47 + half + 1, 40 - half : 40 + half + 1])
    crop = (slice(47 - half, 47 + half + 1), slice(40 - half, 40 + half + 1))
    np.testing.assert_array_equal(mask, films[0]["mask"][crop])
    rows, cols = np.nonzero(mask)
    assert (rows.mean(), cols.mean()) == (half, half)
    assert np.all(patch[mask] == 230)
    assert all(0 < w <= 1 for w in pool.white_levels)
    # a dataset works as well, at its own size, and kinds filter
    small = LesionPool.from_mias(load_mias(mias_root, size=64), kinds=["SPIC"])
    assert small.refs == ("mdb003 SPIC M",) and small[0][1].sum() < mask.sum()
    with pytest.raises(ValueError, match="no located"):
        LesionPool.from_mias(mias_root, kinds=["ARCH"])
    with pytest.raises(ValueError, match="unknown"):
        LesionPool.from_mias(mias_root, kinds=["TUMOUR"])


def test_mias_fixture_matches_lesion_mask_convention(mias_root):
    films = load_mias(mias_root)
    item = films[0]
    assert item["record"].abnormalities[0] == MiasAbnormality("CIRC", "B", 40, 80, 10)
    assert np.all(item["image"][item["mask"]] == 230)


# --------------------------------------------------------------------------- transplant


@pytest.mark.parametrize("dtype", DTYPES)
def test_transplant_changes_one_region_on_tissue(registered, dtype):
    img = breast(160, dtype, seed=3)
    tissue = img > 0.1 * value_max(dtype)
    for seed in range(6):
        out = lesion_transplant(img, registered, rng=np.random.default_rng(seed))
        assert out.dtype == img.dtype and out.shape == img.shape
        changed = out != img
        assert changed.any()
        rows, cols = np.nonzero(changed)
        assert np.ptp(rows) < 40 and np.ptp(cols) < 40  # one lesion-sized region
        assert tissue[changed].all()  # inside the breast
        assert out[changed].astype(np.float64).mean() > img[changed].astype(np.float64).mean()


def test_transplant_is_deterministic_given_the_rng(registered):
    img = breast(128, np.uint16)
    a = lesion_transplant(img, registered, rng=np.random.default_rng(7))
    b = lesion_transplant(img, registered, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    others = [lesion_transplant(img, registered, rng=np.random.default_rng(s)) for s in range(3)]
    assert any(not np.array_equal(a, o) for o in others)


def test_transplant_arguments_one_channel_and_odd_images(registered):
    img = breast(96, np.float32, channel=True)
    out = lesion_transplant(
        img, registered, max_degrees=0.0, scale_range=0.0, rng=np.random.default_rng(0)
    )
    assert out.shape == img.shape and out.dtype == np.float32
    assert 0 <= out.min() and out.max() <= 1
    with pytest.raises(ValueError, match="one-channel"):
        lesion_transplant(np.zeros((32, 32, 3), np.uint8), registered, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="max_degrees"):
        lesion_transplant(img, registered, max_degrees=270.0, rng=np.random.default_rng(0))
    out = lesion_transplant(img, registered, blend="superpose", rng=np.random.default_rng(0))
    assert out.shape == img.shape and (out != img).any()
    with pytest.raises(ValueError, match="blend"):
        lesion_transplant(img, registered, blend="paste", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="scale_range"):
        lesion_transplant(img, registered, scale_range=1.5, rng=np.random.default_rng(0))
    # no tissue at all, and an image smaller than the lesion: still a valid image
    blank = np.zeros((40, 40), np.uint8)
    assert lesion_transplant(blank, registered, rng=np.random.default_rng(1)).shape == (40, 40)
    tiny = breast(20, np.uint8)
    out = lesion_transplant(tiny, registered, rng=np.random.default_rng(2))
    rows, cols = np.nonzero(out != tiny)
    assert len(rows) == 0 or (np.ptp(rows) <= 12 and np.ptp(cols) <= 12)  # shrunk to half the side


def test_transplant_contrast_follows_the_image_range(registered):
    full = breast(128, np.uint16, seed=4)
    twelve_bit = (full // 16).astype(np.uint16)  # 12-bit data in a 16-bit container
    rng_state = 11
    a = lesion_transplant(full, registered, rng=np.random.default_rng(rng_state))
    b = lesion_transplant(twelve_bit, registered, rng=np.random.default_rng(rng_state))
    delta_full = (a.astype(np.int64) - full).max()
    delta_12 = (b.astype(np.int64) - twelve_bit).max()
    assert delta_full > 0 and abs(delta_12 * 16 / delta_full - 1) < 0.1
    assert b.max() <= 4095 * 1.1


# --------------------------------------------------------------------------- library


def test_domain_tfs_and_the_ddsm_style_library(pool_path):
    tfs = domain_mammography_tfs(pool_path)
    assert [tf.op for tf in tfs].count("lesion_transplant") == 3
    assert all(tf.kind == "photometric" for tf in tfs)
    lib = TFLibrary.pack("mammography") + tfs
    assert len(lib) == len(TFLibrary.pack("mammography")) + len(tfs)
    assert TFLibrary.from_spec(lib.to_spec()) == lib
    with pytest.raises(TypeError):
        domain_mammography_tfs(3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_pack_and_domain_tf_keeps_dtype(pool_path, dtype):
    img = breast(256, dtype, seed=1)
    lib = TFLibrary.pack("mammography") + domain_mammography_tfs(pool_path)
    for i, tf in enumerate(lib):
        out = tf(img, np.random.default_rng(i))
        assert out.dtype == img.dtype and out.shape == img.shape, tf
        if dtype == np.float32:
            assert 0.0 <= out.min() and out.max() <= 1.0, tf


def test_policy_with_domain_tfs_saves_names_only(tmp_path, pool_path):
    lib = TFLibrary.pack("mammography") + domain_mammography_tfs(pool_path)
    policy = TANDAPolicy(lib, seq_len=4, seed=0)
    img = tv_tensors.Image(torch.from_numpy(breast(128, np.uint16))[None])
    mask = tv_tensors.Mask(torch.zeros((1, 128, 128), dtype=torch.bool))
    out, out_mask = policy(img, mask)
    assert out.dtype == torch.uint16 and out.shape == img.shape and out_mask.dtype == torch.bool
    # a policy file stores the pool's name; loading it never reads the pool
    saved = TANDAPolicy(domain_mammography_tfs("not-registered-yet"), seq_len=1, seed=0)
    restored = TANDAPolicy.from_bytes(saved.to_bytes(), seed=0)
    assert restored.library == saved.library
    with pytest.raises(LesionPoolNotFoundError, match="not a registered pool name"):
        restored.apply_sequence(breast(64), ["lesion_transplant(pool='not-registered-yet')"])


@pytest.mark.parametrize("where", ["relative", "absolute", "missing"])
def test_policy_file_may_only_name_registered_pools(tmp_path, pool_path, where):
    # issue 13 item 7: a policy file resolved "../" and absolute .npz paths on load
    pool = {
        "relative": os.path.relpath(pool_path),
        "absolute": str(pool_path),
        "missing": "../../etc/pool.npz",
    }[where]
    blob = TANDAPolicy(domain_mammography_tfs(pool), seq_len=1).to_bytes()
    with pytest.raises(PolicyFileError, match="may only name registered lesion pools"):
        TANDAPolicy.from_bytes(blob)
    path = tmp_path / "p.tanda"
    path.write_bytes(blob)
    with pytest.raises(PolicyFileError, match="register_lesion_pool"):
        TANDAPolicy.load(path)
    # a pipeline pickled by this process (DataLoader workers) may keep the path
    assert TANDAPolicy.from_bytes(blob, trusted=True).library[0].args == (("pool", pool),)
    if where == "missing":
        return
    # registering the pool file under the path the policy names is the explicit opt-in
    register_lesion_pool(pool, LesionPool.load(pool))
    try:
        restored = TANDAPolicy.load(path, seed=0)
        out = restored.apply_sequence(breast(64), [0])
        assert out.shape == (64, 64) and (out != breast(64)).any()
    finally:
        unregister_lesion_pool(pool)


def test_pickled_albumentations_step_keeps_a_pool_path(pool_path):
    import pickle

    from tanda_transforms.albumentations import TANDA

    step = TANDA(TANDAPolicy(domain_mammography_tfs(pool_path), seq_len=1))
    assert pickle.loads(pickle.dumps(step)).tanda_policy.library == step.tanda_policy.library


def test_importing_domains_registers_ops_in_a_fresh_process():
    code = (
        "import tanda_transforms.domains\n"
        "from tanda_transforms import TF, available_ops\n"
        "ops = set(available_ops())\n"
        "assert {'lesion_transplant', 'mammo_exposure', 'rotate', 'elastic'} <= ops, ops\n"
        "TF('lesion_transplant', pool='anything')\n"
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
    assert {"lesion_transplant", "mammo_exposure"} <= set(available_ops())
