"""Policy files: round trips, the gallery, and files that must not load."""

import hashlib
import json
import os
import pickle
import re
import struct
import time

import numpy as np
import pytest
import torch
from _probe import error_without_blocking

from tanda_transforms import (
    TF,
    MeanFieldSampler,
    PolicyFileError,
    PolicyNotFoundError,
    RecurrentSampler,
    TANDAPolicy,
    gallery_names,
    policy_file,
)
from tanda_transforms._policy_header import MAX_TFS
from tanda_transforms.policy_file import MAGIC, decode, encode

DIGIT = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)


def _trained_like(kind: str) -> TANDAPolicy:
    torch.manual_seed(0)
    sampler = RecurrentSampler(25, 16, cell=kind) if kind != "mean_field" else MeanFieldSampler(25)
    with torch.no_grad():
        for param in sampler.parameters():
            param.add_(torch.randn_like(param))  # not uniform: the weights must survive
    return TANDAPolicy("mnist", sampler, seq_len=6, metadata={"note": "test", "steps": [1, 2]})


@pytest.mark.parametrize("kind", ["mean_field", "lstm", "gru"])
def test_save_load_gives_identical_outputs(tmp_path, kind):
    policy = _trained_like(kind)
    path = tmp_path / "p.tanda"
    policy.save(path)
    loaded = TANDAPolicy.load(path, seed=3)
    policy.manual_seed(3)
    for _ in range(5):
        np.testing.assert_array_equal(policy(DIGIT), loaded(DIGIT))
    assert loaded.library == policy.library and loaded.seq_len == 6
    assert loaded.metadata == {"note": "test", "steps": [1, 2]}
    assert loaded.sampler.config() == policy.sampler.config()


def test_header_names_tfs_as_plain_data(tmp_path):
    path = tmp_path / "p.tanda"
    _trained_like("lstm").save(path)
    header = json.loads(_split(path.read_bytes())[0])
    assert header["library"][0] == {"op": "rotate", "args": {"degrees": -10.0}}
    assert header["format"] == "tanda-policy" and header["package_version"]
    assert header["sampler"]["kind"] == "lstm"


def test_gallery_example_loads_by_name():
    assert "example" in gallery_names()
    policy = TANDAPolicy.load("example", seed=0)
    assert policy(DIGIT).shape == DIGIT.shape


def test_unknown_gallery_name_lists_available():
    with pytest.raises(PolicyNotFoundError, match="example"):
        TANDAPolicy.load("no-such-policy")


def _blob() -> bytes:
    return _trained_like("lstm").to_bytes()


def _split(blob: bytes) -> tuple[bytes, bytes]:
    """(header bytes, data bytes) of a version 1 or 2 file."""
    _, version, size = struct.unpack_from("<8sIQ", blob)
    start = 20 if version == 1 else 52
    return blob[start : start + size], blob[start + size :]


def _signed(raw: bytes, data: bytes, size: int | None = None, version: int = 2) -> bytes:
    """A version 2 file with a valid SHA-256, as a hostile writer could make one."""
    preamble = struct.pack("<8sIQ", MAGIC, version, len(raw) if size is None else size)
    return preamble + hashlib.sha256(preamble + raw + data).digest() + raw + data


def _rewrite_header(blob: bytes, change) -> bytes:
    raw, data = _split(blob)
    header = json.loads(raw)
    change(header)
    return _signed(json.dumps(header).encode(), data)


def _replace_header_text(blob: bytes, old: str, new: str) -> bytes:
    raw, data = _split(blob)
    assert raw.count(old.encode()) == 1, old
    return _signed(raw.replace(old.encode(), new.encode()), data)


def _set(path, value):
    def change(header):
        node = header
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


HOSTILE = {
    "random bytes": lambda b: np.random.default_rng(0).bytes(500),
    "empty": lambda b: b"",
    "truncated": lambda b: b[: len(b) // 2],
    "truncated header": lambda b: b[:30],
    "pickle": lambda b: pickle.dumps({"library": []}),
    "torch.save zip": lambda b: b"PK\x03\x04" + b[4:],
    "unknown version": lambda b: b[:8] + struct.pack("<I", 99) + b[12:],
    "huge header length": lambda b: _signed(*_split(b), size=2**62),
    "header not json": lambda b: _signed(b"\xff" * len(_split(b)[0]), _split(b)[1]),
    "unknown op": lambda b: _rewrite_header(b, _set(["library", 0, "op"], "os_system")),
    "op arg code": lambda b: _rewrite_header(
        b, _set(["library", 0, "args"], {"degrees": "__import__('os')"})
    ),
    "absurd shape": lambda b: _rewrite_header(
        b, _set(["tensors", "sampler.head.bias", "shape"], [10**12, 10**12])
    ),
    "offset out of file": lambda b: _rewrite_header(
        b, _set(["tensors", "sampler.head.bias", "offset"], 10**9)
    ),
    "bad dtype": lambda b: _rewrite_header(
        b, _set(["tensors", "sampler.head.bias", "dtype"], "object")
    ),
    "seq_len absurd": lambda b: _rewrite_header(b, _set(["seq_len"], 10**9)),
    "hidden size absurd": lambda b: _rewrite_header(b, _set(["sampler", "hidden_size"], 10**8)),
    "sampler kind": lambda b: _rewrite_header(b, _set(["sampler", "kind"], "exec")),
    "n_tfs mismatch": lambda b: _rewrite_header(b, _set(["sampler", "n_tfs"], 3)),
    "missing weights": lambda b: _rewrite_header(
        b, lambda h: h["tensors"].pop("sampler.head.bias")
    ),
    "wrong format": lambda b: _rewrite_header(b, _set(["format"], "other")),
    "library not list": lambda b: _rewrite_header(b, _set(["library"], {"op": "rotate"})),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_raise_policy_file_error(tmp_path, name):
    path = tmp_path / "bad.tanda"
    path.write_bytes(HOSTILE[name](_blob()))
    with pytest.raises(PolicyFileError):
        TANDAPolicy.load(path)


def test_nan_weights_are_rejected():
    policy = _trained_like("mean_field")
    with torch.no_grad():
        policy.sampler.logits[0] = float("nan")
    with pytest.raises(PolicyFileError, match="NaN"):
        TANDAPolicy.from_bytes(policy.to_bytes())


def test_encode_rejects_non_json_metadata():
    with pytest.raises(TypeError, match="plain JSON"):
        encode({"x": object()}, {})
    with pytest.raises(TypeError, match="plain JSON"):
        encode({"x": float("inf")}, {})
    header, tensors = decode(encode({"a": [1, "b"]}, {"t": torch.arange(3)}))
    assert header == {"a": [1, "b"]} and tensors["t"].tolist() == [0, 1, 2]


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path):
    policy = TANDAPolicy([TF("hflip")], seq_len=1)
    policy.save(tmp_path / "sub" / "p.tanda")
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["p.tanda"]


def test_saved_file_gets_the_usual_permissions(tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        TANDAPolicy([TF("hflip")], seq_len=1).save(tmp_path / "p.tanda")
    finally:
        os.umask(umask)
    assert (tmp_path / "p.tanda").stat().st_mode & 0o777 == 0o644


def _library_file(n_tfs: int) -> bytes:
    specs = [{"op": "rotate", "args": {"degrees": i * 1e-3}} for i in range(n_tfs)]
    return TANDAPolicy(specs, seq_len=1).to_bytes()


def test_ten_thousand_tfs_load_fast_and_more_are_refused():
    # issue 13 item 2: loading was O(n^2) in the number of TFs; files are capped at MAX_TFS
    start = time.perf_counter()
    assert len(TANDAPolicy.from_bytes(_library_file(MAX_TFS)).library) == MAX_TFS
    assert time.perf_counter() - start < 5.0
    with pytest.raises(PolicyFileError, match=f"1..{MAX_TFS} TF specs"):
        TANDAPolicy.from_bytes(_library_file(MAX_TFS + 1))


@pytest.mark.parametrize(
    "spec",
    [
        {"op": "shear", "args": {"factor": 1e300}},
        {"op": "translate", "args": {"dx": 1e7}},
        {"op": "elastic", "args": {"alpha": 1e30, "sigma": 1.0}},
        {"op": "gaussian_blur", "args": {"sigma": 1e6}},
        {"op": "erosion", "args": {"size": 10**9 + 1}},
        {"op": "rotate", "args": {"degrees": 10**400}},
    ],
    ids=lambda spec: spec["op"],
)
def test_small_file_with_unbounded_tf_argument_is_refused(spec):
    # issue 13 item 1: these loaded, then hung or ran out of memory when applied
    blob = _rewrite_header(_blob(), _set(["library", 0], spec))
    start = time.perf_counter()
    with pytest.raises(PolicyFileError, match=f"TF {spec['op']}: argument .* must be in"):
        TANDAPolicy.from_bytes(blob)
    assert time.perf_counter() - start < 1.0


# --- issue 13 item 5: content that loaded silently -------------------------------------------


def test_byte_flips_in_tensor_data_are_caught_by_the_checksum():
    # 42 of 300 flips in tensor data loaded without error before the format had a checksum
    blob = _blob()
    raw, data = _split(blob)
    data_start = len(blob) - len(data)
    rng = np.random.default_rng(0)
    for position in rng.integers(data_start, len(blob), 300):
        flipped = bytearray(blob)
        flipped[position] ^= int(rng.integers(1, 256))
        with pytest.raises(PolicyFileError, match="checksum mismatch"):
            TANDAPolicy.from_bytes(bytes(flipped))


SILENT = {
    "duplicate key": ('"seq_len": 6', '"seq_len": 6, "seq_len": 1000', "repeats the key 'seq_len'"),
    "1e400 in metadata": ('"steps": [1, 2]', '"steps": [1e400, 2]', "too large for a float"),
    "huge integer": ('"steps": [1, 2]', '"steps": [' + "9" * 5000 + "]", "not valid UTF-8 JSON"),
    "lone surrogate": ('"note": "test"', '"note": "\\ud800"', "not valid UTF-8 JSON"),
    "seq_len true": ('"seq_len": 6', '"seq_len": true', "'seq_len' must be an int"),
    "training not a dict": ('"note": "test"', '"note": "test", "training": 5', "training' must be"),
    "history of strings": (
        '"note": "test"',
        '"note": "test", "training": {"history": {"step": ["a"]}}',
        "metadata.training.history' has the wrong type",
    ),
    "unknown header key": ('"seq_len": 6', '"seq_len": 6, "exec": "rm -rf /"', "unknown keys"),
    "package_version not str": (
        '"package_version": "0.1.0"',
        '"package_version": 1',
        "'package_version' must be a string",
    ),
    # p and frame (the merged rendering rewrite) are known keys, validated as strictly
    "p true": ('"p": 1.0', '"p": true', "p must be a probability in [0, 1]"),
    "p a string": ('"p": 1.0', '"p": "0.5"', "p must be a probability in [0, 1]"),
    "p above 1": ('"p": 1.0', '"p": 1.5', "p must be a probability in [0, 1]"),
    "p negative": ('"p": 1.0', '"p": -0.1', "p must be a probability in [0, 1]"),
    "frame true": ('"frame": 0', '"frame": true', "frame must be an int in [0, 4096]"),
    "frame a float": ('"frame": 0', '"frame": 1.5', "frame must be an int in [0, 4096]"),
    "frame negative": ('"frame": 0', '"frame": -1', "frame must be an int in [0, 4096]"),
    "frame too large": ('"frame": 0', '"frame": 4097', "frame must be an int in [0, 4096]"),
}


def test_header_p_and_frame_are_accepted_and_default_when_absent():
    header, tensors = decode(_blob())
    header["p"], header["frame"] = 0, 4096  # the closed bounds; an int p is fine
    policy = TANDAPolicy.from_bytes(encode(header, tensors))
    assert (policy.p, policy.frame) == (0.0, 4096)
    del header["p"], header["frame"]  # written before p and frame existed
    policy = TANDAPolicy.from_bytes(encode(header, tensors))
    assert (policy.p, policy.frame) == (1.0, 0)


@pytest.mark.parametrize("name", sorted(SILENT))
def test_silently_accepted_content_is_refused_at_load_time(name):
    old, new, message = SILENT[name]
    with pytest.raises(PolicyFileError, match=re.escape(message)):
        TANDAPolicy.from_bytes(_replace_header_text(_blob(), old, new))


def test_newer_format_version_is_named_in_the_error():
    raw, data = _split(_blob())
    with pytest.raises(
        PolicyFileError, match="version 3 .*newer tanda-transforms.*reads versions 1, 2"
    ):
        TANDAPolicy.from_bytes(_signed(raw, data, version=3))


def _v1(blob: bytes) -> bytes:
    """The same policy in format version 1 (no checksum), as files were written before."""
    raw, data = _split(blob)
    return struct.pack("<8sIQ", MAGIC, 1, len(raw)) + raw + data


def _same_policy(a: TANDAPolicy, b: TANDAPolicy) -> bool:
    state_a, state_b = a.sampler.state_dict(), b.sampler.state_dict()
    return (
        a.library == b.library
        and a.seq_len == b.seq_len
        and a.metadata == b.metadata
        and a.sampler.config() == b.sampler.config()
        and state_a.keys() == state_b.keys()
        and all(torch.equal(state_a[k], state_b[k]) for k in state_a)
    )


def test_version_1_files_load_only_when_allowed_and_resave_as_version_2(tmp_path):
    """Format 1 carries no checksum: refused by default, read with allow_unchecked=True."""
    policy = _trained_like("lstm")
    v1 = _v1(policy.to_bytes())
    with pytest.raises(PolicyFileError, match="no checksum.*allow_unchecked=True"):
        TANDAPolicy.from_bytes(v1)
    path = tmp_path / "old.tanda"
    path.write_bytes(v1)
    with pytest.raises(PolicyFileError, match="no checksum"):
        TANDAPolicy.load(path)
    old = TANDAPolicy.load(path, allow_unchecked=True)
    assert _same_policy(old, policy)
    resaved = old.to_bytes()
    assert struct.unpack_from("<8sI", resaved)[1] == 2
    assert _same_policy(TANDAPolicy.from_bytes(resaved), policy)


def test_gallery_ships_checked_files_only():
    """Every shipped policy is format 2 (with its SHA-256), so loads by default."""
    for name in gallery_names():
        assert struct.unpack_from("<8sI", policy_file.read_bytes(_gallery_path(name)))[1] == 2
        assert _same_policy(TANDAPolicy.from_bytes(TANDAPolicy.load(name).to_bytes()),
                            TANDAPolicy.load(name))


def _gallery_path(name: str):
    from importlib import resources

    return resources.files("tanda_transforms") / "gallery" / f"{name}.tanda"


def test_fuzz_gallery_files_load_identically_or_raise_quickly():
    """Random byte changes and truncations of every gallery policy, as this package writes it
    (version 2), and truncations of the shipped files: each either loads a policy
    identical to the original or raises PolicyFileError, within a time bound."""
    rng = np.random.default_rng(13)
    cases = 0
    for name in gallery_names():
        original = TANDAPolicy.load(name)
        shipped = policy_file.read_bytes(_gallery_path(name))
        for blob, flips in ((original.to_bytes(), True), (shipped, False)):
            for _ in range(50 if flips else 25):
                corrupt = _corrupt(blob, rng, flip=flips and rng.random() < 0.7)
                start = time.perf_counter()
                try:
                    loaded = TANDAPolicy.from_bytes(corrupt)
                except PolicyFileError:
                    pass
                else:
                    assert _same_policy(loaded, original), name
                assert time.perf_counter() - start < 1.0, name
                cases += 1
    assert cases == 75 * len(gallery_names())


def _corrupt(blob: bytes, rng: np.random.Generator, flip: bool) -> bytes:
    if not flip:
        return blob[: int(rng.integers(0, len(blob)))]
    out = bytearray(blob)
    for position in rng.integers(0, len(blob), int(rng.integers(1, 4))):
        out[position] ^= int(rng.integers(1, 256))
    return bytes(out)


# --- issue 13 item 3: sizes are checked before anything is allocated -------------------------

ALLOCATING = {
    # a 270-byte file made the loader allocate 3.8 GB for 15 s before refusing it
    "mean-field n_tfs 5e8": ("mean_field", ["sampler", "n_tfs"], 500_000_000, "n_tfs=500000000"),
    # these raised a raw RuntimeError from the allocator
    "mean-field n_tfs 1e12": ("mean_field", ["sampler", "n_tfs"], 10**12, "n_tfs=1000000000000"),
    "n_tfs true": ("mean_field", ["sampler", "n_tfs"], True, "n_tfs=True"),
    "large lstm": ("lstm", ["sampler", "hidden_size"], 1024, "expected torch.float32 (26, 1024)"),
}


@pytest.mark.parametrize("name", sorted(ALLOCATING))
def test_sampler_sizes_are_checked_before_allocating(name):
    kind, path, value, message = ALLOCATING[name]
    blob = _rewrite_header(_trained_like(kind).to_bytes(), _set(path, value))
    start = time.perf_counter()
    with pytest.raises(PolicyFileError, match=re.escape(message)):
        TANDAPolicy.from_bytes(blob)
    assert time.perf_counter() - start < 0.5  # building the real sampler takes seconds


def test_a_tiny_mean_field_file_with_a_huge_sampler_is_refused():
    header = {
        "format": "tanda-policy",
        "library": [{"op": "hflip", "args": {}}],
        "sampler": {"kind": "mean_field", "n_tfs": 500_000_000},
        "seq_len": 1,
    }
    blob = encode(header, {"sampler.logits": torch.zeros(1)})
    assert len(blob) < 400
    with pytest.raises(PolicyFileError, match="library's 1 TFs"):
        TANDAPolicy.from_bytes(blob)


# --- issue 13 item 7: only regular files, of bounded size ------------------------------------


def test_device_and_directory_are_refused_without_reading():
    # /dev/zero was read until MemoryError
    for path in ("/dev/zero", "/"):
        with pytest.raises(PolicyFileError, match="not a regular file|is a directory"):
            TANDAPolicy.load(path)


def test_fifo_is_refused_without_blocking(tmp_path):
    # a FIFO blocked forever, waiting for a writer
    fifo = tmp_path / "p.tanda"
    os.mkfifo(fifo)
    error = error_without_blocking(lambda: TANDAPolicy.load(fifo), PolicyFileError)
    assert "not a regular file" in str(error)


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.tanda"
    with open(path, "wb") as handle:
        handle.truncate(policy_file.MAX_FILE_BYTES + 1)  # sparse: no disk used
    start = time.perf_counter()
    with pytest.raises(PolicyFileError, match="larger than a policy file may be"):
        TANDAPolicy.load(path)
    assert time.perf_counter() - start < 1.0
