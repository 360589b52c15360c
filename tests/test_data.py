"""Tests for ``tanda_transforms.data``.

Every test builds its own small fixture in the real on-disk format under ``tmp_path``; the
tests marked ``real_data`` additionally check counts on the full datasets and are skipped
where ``/work/shared/data`` (or ``$TANDA_DATA``) is absent.
"""

from __future__ import annotations

import doctest
import gzip
import importlib
import io
import os
import pickle
import pkgutil
import struct
import tarfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from tanda_transforms import data
from tanda_transforms.data import (
    CIFAR10_CLASSES,
    MiasAbnormality,
    MiasDataset,
    MiasRecord,
    lesion_mask,
    load_cifar10,
    load_image_folder,
    load_mias,
    load_mnist,
    load_mnist_sample,
    parse_mias_info,
    read_idx,
)

REAL_DATA = Path(os.environ.get("TANDA_DATA", "/work/shared/data"))

# --------------------------------------------------------------------------------------------
# helpers writing the real formats
# --------------------------------------------------------------------------------------------


def write_idx(path: Path, array: np.ndarray, *, gz: bool = False, type_code: int = 0x08) -> Path:
    dtype = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}[type_code]
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=dtype).tobytes()
    if gz:
        payload = gzip.compress(payload)
    path.write_bytes(payload)
    return path


def digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(
        np.uint8
    )


def make_mnist(folder: Path, *, gz: bool, dotted: bool = False) -> dict[str, tuple]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for split, prefix, n in (("train", "train", 7), ("test", "t10k", 3)):
        images, labels = digits(n, seed=n)
        suffix = ".gz" if gz else ""
        sep = "." if dotted else "-"
        write_idx(folder / f"{prefix}-images{sep}idx3-ubyte{suffix}", images, gz=gz)
        write_idx(folder / f"{prefix}-labels{sep}idx1-ubyte{suffix}", labels, gz=gz)
        out[split] = (images, labels)
    return out


def encode(rgb: np.ndarray, ext: str) -> bytes:
    ok, buf = cv2.imencode(ext, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return buf.tobytes()


def cifar_members(seed: int = 0) -> dict[str, np.ndarray]:
    """A few 32 x 32 RGB images per split/class, keyed by tar member name."""
    rng = np.random.default_rng(seed)
    members = {}
    for split, classes in (("train", ("truck", "airplane", "cat")), ("test", ("dog",))):
        for cls in classes:
            for name in ("0002", "0000", "0001"):  # deliberately not sorted
                members[f"{split}/{cls}/{name}.png"] = rng.integers(
                    0, 256, (32, 32, 3), dtype=np.uint8
                )
    return members


def expected_cifar(members: dict[str, np.ndarray], split: str) -> tuple[np.ndarray, np.ndarray]:
    keys = sorted(
        (k for k in members if k.startswith(split + "/")),
        key=lambda k: (CIFAR10_CLASSES.index(k.split("/")[1]), k.split("/")[2]),
    )
    labels = [CIFAR10_CLASSES.index(k.split("/")[1]) for k in keys]
    return np.stack([members[k] for k in keys]), np.array(labels, dtype=np.int64)


def make_cifar_tar(path: Path, members: dict[str, np.ndarray], prefix: str = "") -> Path:
    with tarfile.open(path, "w") as tf:
        for name, rgb in members.items():
            raw = encode(rgb, ".png")
            info = tarfile.TarInfo(prefix + name)
            info.size = len(raw)
            tf.addfile(info, io.BytesIO(raw))
    return path


def make_cifar_batches(folder: Path, *, protocol: int = 2, meta: bool = True) -> dict:
    """Fake ``cifar-10-batches-py``: five train batches of 2 images and a test batch of 3."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    out = {}
    for name, n in [(f"data_batch_{i}", 2) for i in range(1, 6)] + [("test_batch", 3)]:
        flat = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, n).tolist()
        batch = {b"batch_label": name.encode(), b"data": flat, b"labels": labels}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=protocol))
        out[name] = (flat, labels)
    if meta:
        names = [c.encode() for c in CIFAR10_CLASSES]
        (folder / "batches.meta").write_bytes(
            pickle.dumps({b"label_names": names, b"num_vis": 3072}, protocol=protocol)
        )
    return out


INFO_TXT = """\
              MAMMOGRAPHIC IMAGE ANALYSIS SOCIETY
                  MiniMammographic Database

mdb-like prose is not a row; neither is this line.
3) Coordinate system origin is the bottom-left corner.
=================================================================

mdb001 G CIRC B 5 4 2
mdb002 D NORM \n\
mdb003 F CIRC B 3 10 1 \n\
mdb003 F SPIC M 12 2 2
mdb004 F CIRC B
mdb005 D CALC M *NOTE 3* \n\

=================================================================
"""


def make_mias(root: Path, layout: str = "png-folder") -> Path:
    """Tiny mini-MIAS: 16 x 16 films, mixed PNG / PGM as ``layout`` says."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Info.txt").write_text(INFO_TXT)
    for i in range(1, 6):
        image = np.full((16, 16), 10 * i, dtype=np.uint8)
        if layout == "png-folder":
            (root / "png").mkdir(exist_ok=True)
            path = root / "png" / f"mdb00{i}.png"
        elif layout == "mixed":
            path = root / f"mdb00{i}.{'pgm' if i % 2 else 'png'}"
        else:
            raise AssertionError(layout)
        assert cv2.imwrite(str(path), image)
    return root


# --------------------------------------------------------------------------------------------
# IDX
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_images_and_labels(tmp_path: Path, gz: bool) -> None:
    images, labels = digits(5)
    got = read_idx(write_idx(tmp_path / "i", images, gz=gz))
    assert got.dtype == np.uint8 and got.shape == (5, 28, 28)
    np.testing.assert_array_equal(got, images)
    got[0, 0, 0] = 1  # writable
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "l", labels, gz=gz)), labels)


def test_read_idx_gzip_detected_from_content_not_name(tmp_path: Path) -> None:
    images, _ = digits(2)
    write_idx(tmp_path / "no-suffix", images, gz=True)
    np.testing.assert_array_equal(read_idx(tmp_path / "no-suffix"), images)


def test_read_idx_other_types_native_byte_order(tmp_path: Path) -> None:
    values = np.arange(-3, 3, dtype=np.int32).reshape(2, 3)
    got = read_idx(write_idx(tmp_path / "i32", values, type_code=0x0C))
    assert got.dtype == np.dtype("int32") and got.dtype.isnative
    np.testing.assert_array_equal(got, values)
    floats = np.linspace(0, 1, 4, dtype=np.float32)
    np.testing.assert_array_equal(
        read_idx(write_idx(tmp_path / "f32", floats, type_code=0x0D)), floats
    )


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_truncated_and_trailing(tmp_path: Path, gz: bool) -> None:
    images, _ = digits(3)
    raw = bytes([0, 0, 8, 3]) + struct.pack(">III", 3, 28, 28) + images.tobytes()
    for name, payload, message in (
        ("short", raw[:-10], "truncated"),
        ("long", raw + b"xyz", "3 more bytes"),
        ("header", raw[:9], "header truncated"),
    ):
        path = tmp_path / name
        path.write_bytes(gzip.compress(payload) if gz else payload)
        with pytest.raises(ValueError, match=message):
            read_idx(path)


def test_read_idx_bad_magic_and_corrupt_gzip(tmp_path: Path) -> None:
    (tmp_path / "pickle").write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(ValueError, match="not an IDX file.*2051"):
        read_idx(tmp_path / "pickle")
    (tmp_path / "tiny").write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="too short"):
        read_idx(tmp_path / "tiny")
    good = gzip.compress(bytes([0, 0, 8, 1]) + struct.pack(">I", 100) + bytes(100))
    (tmp_path / "bad.gz").write_bytes(good[:-12])  # cut inside the gzip stream
    with pytest.raises(ValueError, match="gzip|truncated"):
        read_idx(tmp_path / "bad.gz")
    with pytest.raises(FileNotFoundError, match="missing"):
        read_idx(tmp_path / "missing")


# --------------------------------------------------------------------------------------------
# MNIST
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gz", "dotted", "sub"),
    [(True, False, ""), (False, False, ""), (True, False, "MNIST/raw"), (False, True, "")],
)
def test_load_mnist_layouts(tmp_path: Path, gz: bool, dotted: bool, sub: str) -> None:
    expected = make_mnist(tmp_path / sub if sub else tmp_path, gz=gz, dotted=dotted)
    for split in ("train", "test"):
        images, labels = load_mnist(tmp_path, split)
        assert images.dtype == np.uint8 and images.shape[1:] == (28, 28)
        assert labels.dtype == np.int64
        np.testing.assert_array_equal(images, expected[split][0])
        np.testing.assert_array_equal(labels, expected[split][1])


def test_load_mnist_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        load_mnist(tmp_path, "train")
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and "MNIST/raw" in message
    with pytest.raises(ValueError, match="split"):
        load_mnist(tmp_path, "validation")

    images, labels = digits(4)
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels[:3])
    with pytest.raises(ValueError, match="4 images .* 3 labels"):
        load_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", images)  # images where labels belong
    with pytest.raises(ValueError, match="2049"):
        load_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((4, 32, 32), np.uint8))
    with pytest.raises(ValueError, match="28 x 28"):
        load_mnist(tmp_path)


def test_mnist_sample_shipped() -> None:
    images, labels = load_mnist_sample()
    assert images.shape == (500, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (500,) and labels.dtype == np.int64
    assert labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # MNIST's first train labels
    assert set(np.unique(labels)) == set(range(10))
    assert images.max() == 255 and 0.08 < images.mean() / 255 < 0.2


# --------------------------------------------------------------------------------------------
# CIFAR-10
# --------------------------------------------------------------------------------------------


def check_batches(images, labels, batches, names) -> None:
    flat = np.concatenate([batches[n][0] for n in names])
    assert images.shape == (len(flat), 32, 32, 3) and images.dtype == np.uint8
    assert labels.dtype == np.int64
    assert labels.tolist() == [label for n in names for label in batches[n][1]]
    # official layout: each row is the R plane, then G, then B (1024 values each)
    np.testing.assert_array_equal(images[:, :, :, 0].reshape(len(flat), -1), flat[:, :1024])
    np.testing.assert_array_equal(images[:, :, :, 2].reshape(len(flat), -1), flat[:, 2048:])


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_cifar_python_batches(tmp_path: Path, protocol: int) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    batches = make_cifar_batches(folder, protocol=protocol)
    train_names = [f"data_batch_{i}" for i in range(1, 6)]
    for root in (folder, tmp_path):  # the batches folder or its parent
        images, labels = load_cifar10(root, "train")
        check_batches(images, labels, batches, train_names)
    images, labels = load_cifar10(tmp_path, "test")
    check_batches(images, labels, batches, ["test_batch"])


def test_cifar_batches_missing_and_wrong_meta(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    make_cifar_batches(folder)
    (folder / "data_batch_3").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_3"):
        load_cifar10(folder, "train")
    assert load_cifar10(folder, "test")[0].shape == (3, 32, 32, 3)
    names = [c.encode() for c in reversed(CIFAR10_CLASSES)]
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": names}))
    with pytest.raises(ValueError, match="label_names"):
        load_cifar10(folder, "test")


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo should-not-run",))


def test_cifar_batch_unpickler_refuses_other_globals(tmp_path: Path) -> None:
    folder = tmp_path / "cifar-10-batches-py"
    make_cifar_batches(folder)
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": _Evil(), b"labels": []}))
    with pytest.raises(ValueError, match="refusing to load global .*system"):
        load_cifar10(folder, "test")
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": np.zeros((2, 10), np.uint8)}))
    with pytest.raises(ValueError, match="b'labels'"):
        load_cifar10(folder, "test")


def test_cifar_tar_sorted_by_class_then_name(tmp_path: Path) -> None:
    members = cifar_members()
    tar = make_cifar_tar(tmp_path / "cifar10-png.tar", members)
    for split in ("train", "test"):
        images, labels = load_cifar10(tar, split)
        want_images, want_labels = expected_cifar(members, split)
        assert images.dtype == np.uint8 and labels.dtype == np.int64
        np.testing.assert_array_equal(images, want_images)  # PNG: lossless, RGB order kept
        np.testing.assert_array_equal(labels, want_labels)
    # airplane(0) first, then cat(3), then truck(9)
    assert load_cifar10(tar)[1].tolist() == [0] * 3 + [3] * 3 + [9] * 3


def test_cifar_jpeg_tar_in_folder_with_leading_dir(tmp_path: Path) -> None:
    rgb = np.zeros((32, 32, 3), np.uint8)
    rgb[..., 0] = 200  # strongly red: catches a missing BGR -> RGB conversion
    raw = encode(rgb, ".jpg")
    with tarfile.open(tmp_path / "cifar10-jpeg.tar", "w") as tf:
        for name in ("data/train/frog/0000.jpg", "data/train/bird/0000.jpg", "data/README"):
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tf.addfile(info, io.BytesIO(raw))
    images, labels = load_cifar10(tmp_path, "train")
    assert labels.tolist() == [2, 6]
    assert images.shape == (2, 32, 32, 3)
    expected = cv2.cvtColor(cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR), 4)
    np.testing.assert_array_equal(images[0], expected)  # 4 = cv2.COLOR_BGR2RGB
    assert images[..., 0].mean() > 150 and images[..., 2].mean() < 50
    with pytest.raises(ValueError, match="no CIFAR-10 test images"):
        load_cifar10(tmp_path, "test")


def test_cifar_official_python_tarball(tmp_path: Path) -> None:
    batches = make_cifar_batches(tmp_path / "src" / "cifar-10-batches-py")
    tarball = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(tarball, "w:gz") as tf:
        tf.add(tmp_path / "src" / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    images, labels = load_cifar10(tarball, "test")
    check_batches(images, labels, batches, ["test_batch"])


def test_cifar_extracted_folder(tmp_path: Path) -> None:
    members = cifar_members(seed=3)
    for name, rgb in members.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode(rgb, ".png"))
    images, labels = load_cifar10(tmp_path, "train")
    want_images, want_labels = expected_cifar(members, "train")
    np.testing.assert_array_equal(images, want_images)
    np.testing.assert_array_equal(labels, want_labels)


def test_cifar_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="data_batch_1.*tar"):
        load_cifar10(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_cifar10(tmp_path / "nowhere")
    bad = make_cifar_tar(
        tmp_path / "a.tar", {"train/lion/0000.png": np.zeros((32, 32, 3), np.uint8)}
    )
    with pytest.raises(ValueError, match="unknown CIFAR-10 class folder 'lion'"):
        load_cifar10(bad)
    big = make_cifar_tar(tmp_path / "b.tar", {"train/cat/0.png": np.zeros((40, 32, 3), np.uint8)})
    with pytest.raises(ValueError, match="32 x 32 x 3"):
        load_cifar10(big)
    with pytest.raises(ValueError, match="several tar files"):
        load_cifar10(tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_cifar10(big, "val")


# --------------------------------------------------------------------------------------------
# image folders
# --------------------------------------------------------------------------------------------


def test_image_folder_stacks_sorted_and_keeps_depth(tmp_path: Path) -> None:
    a = np.arange(12, dtype=np.uint16).reshape(3, 4) * 5000
    cv2.imwrite(str(tmp_path / "b.png"), a)
    cv2.imwrite(str(tmp_path / "a.tif"), a[::-1].copy())
    cv2.imwrite(str(tmp_path / "c.PGM"), a + 1)
    (tmp_path / "notes.txt").write_text("ignored")
    (tmp_path / "sub").mkdir()
    cv2.imwrite(str(tmp_path / "sub" / "d.png"), a)  # sub-folders are not read
    images, names = load_image_folder(tmp_path)
    assert names == ["a.tif", "b.png", "c.PGM"]
    assert isinstance(images, np.ndarray) and images.dtype == np.uint16
    np.testing.assert_array_equal(images, np.stack([a[::-1], a, a + 1]))


def test_image_folder_colour_is_rgb_and_grayscale_options(tmp_path: Path) -> None:
    rgb = np.zeros((5, 6, 3), np.uint8)
    rgb[..., 0] = 255  # red
    cv2.imwrite(str(tmp_path / "red.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(tmp_path / "gray.bmp"), np.full((5, 6), 7, np.uint8))
    images, names = load_image_folder(tmp_path)  # shapes differ -> list
    assert names == ["gray.bmp", "red.png"] and isinstance(images, list)
    assert images[0].shape == (5, 6) and images[1].shape == (5, 6, 3)
    np.testing.assert_array_equal(images[1], rgb)
    gray, _ = load_image_folder(tmp_path, grayscale=True)
    assert isinstance(gray, np.ndarray) and gray.shape == (2, 5, 6)
    assert gray[1, 0, 0] == 76  # 0.299 * 255: weights applied to red, so channels were RGB
    colour, _ = load_image_folder(tmp_path, grayscale=False)
    assert isinstance(colour, np.ndarray) and colour.shape == (2, 5, 6, 3)
    assert (colour[0] == 7).all()


def test_image_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"\.png.*\.tiff"):
        load_image_folder(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_image_folder(tmp_path / "absent")
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match="broken.jpg"):
        load_image_folder(tmp_path)


# --------------------------------------------------------------------------------------------
# mini-MIAS
# --------------------------------------------------------------------------------------------


def test_parse_mias_info(tmp_path: Path) -> None:
    path = tmp_path / "Info.txt"
    path.write_text(INFO_TXT)
    records = parse_mias_info(path)
    assert [r.ref for r in records] == ["mdb001", "mdb002", "mdb003", "mdb004", "mdb005"]
    assert [r.tissue for r in records] == ["G", "D", "F", "F", "D"]
    assert [r.label for r in records] == ["benign", "normal", "malignant", "benign", "malignant"]
    assert records[0].abnormalities == (MiasAbnormality("CIRC", "B", 5, 4, 2),)
    assert records[1].abnormalities == ()
    assert [a.kind for a in records[2].abnormalities] == ["CIRC", "SPIC"]
    assert records[3].abnormalities == (MiasAbnormality("CIRC", "B", None, None, None),)
    assert records[4].abnormalities == (MiasAbnormality("CALC", "M", None, None, None),)
    assert not any(a.located for r in records[3:] for a in r.abnormalities)


def test_parse_mias_info_errors(tmp_path: Path) -> None:
    path = tmp_path / "Info.txt"
    for text, message in (
        ("mdb001 G\n", "expected 'mdbNNN"),
        ("mdb001 X NORM\n", "tissue"),
        ("mdb001 G LUMP B 1 2 3\n", "abnormality class"),
        ("mdb001 G NORM\nmdb001 F CIRC B 1 1 1\n", "tissue 'F' here but 'G'"),
    ):
        path.write_text(text)
        with pytest.raises(ValueError, match=message):
            parse_mias_info(path)
    with pytest.raises(FileNotFoundError):
        parse_mias_info(tmp_path / "nope.txt")


def test_mias_geometry_origin_bottom_left() -> None:
    a = MiasAbnormality("CIRC", "B", x=3, y=0, radius=0)
    assert a.center(1024) == (1023, 3) and a.center(10) == (9, 3)
    mask = lesion_mask((10, 12), [a])
    assert mask.shape == (10, 12) and mask.dtype == bool
    assert np.argwhere(mask).tolist() == [[9, 3]]  # y = 0 is the bottom row
    disc = lesion_mask((20, 20), [MiasAbnormality("CALC", "M", 10, 9, 3)])
    assert disc.sum() == 29  # lattice points with dx^2 + dy^2 <= 9
    assert disc[10, 10] and disc[10, 13] and not disc[10, 14]
    # clipped at the border, and a disc wholly outside adds nothing
    edge = lesion_mask((6, 6), [MiasAbnormality("CIRC", "B", 0, 0, 2)])
    assert np.argwhere(edge).tolist() == [[3, 0], [4, 0], [4, 1], [5, 0], [5, 1], [5, 2]]
    assert not lesion_mask((6, 6), [MiasAbnormality("CIRC", "B", 50, -40, 3)]).any()
    unlocated = MiasAbnormality("CALC", "M", None, None, None)
    assert unlocated.center() is None
    assert not lesion_mask((5, 5), [unlocated]).any()
    assert MiasRecord("mdb9", "F", (unlocated,)).label == "malignant"


@pytest.mark.parametrize("layout", ["png-folder", "mixed"])
def test_load_mias(tmp_path: Path, layout: str) -> None:
    films = load_mias(make_mias(tmp_path, layout))
    assert isinstance(films, MiasDataset) and len(films) == 5
    assert films.labels == ["benign", "normal", "malignant", "benign", "malignant"]
    item = films[2]
    assert set(item) == {"image", "mask", "label", "ref", "record"}
    assert item["ref"] == "mdb003" and item["label"] == "malignant"
    assert item["image"].shape == (16, 16) and item["image"].dtype == np.uint8
    assert (item["image"] == 30).all()
    # mdb003: CIRC at x=3, y=10, r=1 and SPIC at x=12, y=2, r=2, in the 16-row image's grid
    expected = lesion_mask((16, 16), item["record"].abnormalities)
    np.testing.assert_array_equal(item["mask"], expected)
    assert item["mask"][16 - 1 - 10, 3] and item["mask"][16 - 1 - 2, 12]
    assert item["mask"].sum() == 5 + 13
    assert not films[1]["mask"].any() and not films[3]["mask"].any()
    assert films[-1]["ref"] == "mdb005"
    with pytest.raises(IndexError):
        films[5]


def test_load_mias_16_bit_and_resize(tmp_path: Path) -> None:
    root = make_mias(tmp_path, "mixed")
    deep = np.arange(256, dtype=np.uint16).reshape(16, 16) * 200
    cv2.imwrite(str(root / "mdb001.pgm"), deep)  # replaces nothing: mdb001 is .pgm in "mixed"
    item = load_mias(root)[0]
    assert item["image"].dtype == np.uint16
    np.testing.assert_array_equal(item["image"], deep)
    small = load_mias(root, size=8)[0]
    assert small["image"].shape == (8, 8) and small["image"].dtype == np.uint16
    assert small["mask"].shape == (8, 8) and small["mask"].dtype == bool
    assert small["image"][0, 0] == deep[:2, :2].mean()  # INTER_AREA averages 2 x 2 blocks
    # mdb001 CIRC x=5, y=4, r=2 -> (5.5 / 2 - 0.5, 4.5 / 2 - 0.5) = (2.25, 1.75) -> (2, 2), r=1
    assert small["record"].abnormalities[0] == MiasAbnormality("CIRC", "B", 2, 2, 1)
    assert small["record"].ref == "mdb001"
    full_mask = item["mask"]
    np.testing.assert_array_equal(small["mask"], full_mask[::2, ::2])  # nearest neighbour
    with pytest.raises(ValueError, match="size"):
        load_mias(root, size=0)


def test_load_mias_missing_files(tmp_path: Path) -> None:
    root = make_mias(tmp_path)
    (root / "png" / "mdb004.png").unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_mias(root)
    assert "png/mdb004.png" in str(info.value) and "mdb004.pgm" in str(info.value)
    (root / "Info.txt").unlink()
    with pytest.raises(FileNotFoundError, match="Info.txt"):
        load_mias(root)


def test_mias_dataset_with_torch_dataloader(tmp_path: Path) -> None:
    torch_data = pytest.importorskip("torch.utils.data")
    films = load_mias(make_mias(tmp_path))
    batches = list(torch_data.DataLoader(films, batch_size=2, collate_fn=list))
    assert [len(b) for b in batches] == [2, 2, 1]
    assert batches[0][1]["ref"] == "mdb002"


# --------------------------------------------------------------------------------------------
# docstring examples
# --------------------------------------------------------------------------------------------


def test_docstring_examples_run() -> None:
    # ``data`` is a package with one module per dataset, and doctest.testmod only collects a
    # module's own functions and classes, not ones it re-exports: run every submodule.
    modules = [
        importlib.import_module(f"{data.__name__}.{info.name}")
        for info in pkgutil.iter_modules(data.__path__)
    ]
    results = [doctest.testmod(m, optionflags=doctest.ELLIPSIS) for m in (data, *modules)]
    assert sum(r.attempted for r in results) > 10
    assert sum(r.failed for r in results) == 0


# --------------------------------------------------------------------------------------------
# the real datasets (skipped where absent)
# --------------------------------------------------------------------------------------------


def real(path: str) -> Path:
    full = REAL_DATA / path
    if not full.exists():
        pytest.skip(f"real dataset not available: {full}")
    return full


def test_real_mnist_counts() -> None:
    root = real("mnist")
    images, labels = load_mnist(root, "train")
    assert images.shape == (60000, 28, 28) and labels.shape == (60000,)
    assert labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert np.bincount(labels).tolist()[:3] == [5923, 6742, 5958]
    test_images, test_labels = load_mnist(root, "test")
    assert test_images.shape == (10000, 28, 28) and np.bincount(test_labels)[1] == 1135
    sample_images, sample_labels = load_mnist_sample()
    np.testing.assert_array_equal(sample_images, images[:500])
    np.testing.assert_array_equal(sample_labels, labels[:500])


def test_real_cifar_counts() -> None:
    tar = real("cifar10/cifar10-jpeg.tar")
    with tarfile.open(tar) as tf:
        names = [m.name for m in tf if m.isfile()]
    assert sum(n.startswith("train/") and n.endswith(".jpg") for n in names) == 50000
    images, labels = load_cifar10(tar.parent, "test")
    assert images.shape == (10000, 32, 32, 3) and np.bincount(labels).tolist() == [1000] * 10


def test_real_mias_info() -> None:
    records = parse_mias_info(real("mini-mias/Info.txt"))
    assert len(records) == 322
    assert sum(len(r.abnormalities) for r in records) == 123
    assert [r.label for r in records].count("normal") == 207
    unlocated = [r.ref for r in records for a in r.abnormalities if not a.located]
    assert unlocated == ["mdb059", "mdb216", "mdb233", "mdb245"]
