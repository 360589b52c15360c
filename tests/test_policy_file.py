"""Policy files: round trips, the gallery, and files that must not load."""

import json
import pickle
import struct
import time

import numpy as np
import pytest
import torch

from tanda_transforms import (
    TF,
    MeanFieldSampler,
    PolicyFileError,
    PolicyNotFoundError,
    RecurrentSampler,
    TANDAPolicy,
    gallery_names,
)
from tanda_transforms.policy import MAX_TFS
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
    blob = path.read_bytes()
    _, _, size = struct.unpack_from("<8sIQ", blob)
    header = json.loads(blob[20 : 20 + size])
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


def _rewrite_header(blob: bytes, change) -> bytes:
    _, version, size = struct.unpack_from("<8sIQ", blob)
    header = json.loads(blob[20 : 20 + size])
    change(header)
    raw = json.dumps(header).encode()
    return struct.pack("<8sIQ", MAGIC, version, len(raw)) + raw + blob[20 + size :]


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
    "huge header length": lambda b: b[:12] + struct.pack("<Q", 2**62) + b[20:],
    "header not json": lambda b: b[:20] + b"\xff" * (len(b) - 20),
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
