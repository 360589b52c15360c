"""Fuzz of everything this package reads back (issue 30): policy files of both format
versions and learner checkpoints, under byte flips, truncations and header mutations.
Nothing may load silently with changed content: each mutated file is refused with the
module's own error, or loads exactly what was written (a mutation that changed nothing).
Bounded: a few thousand cases, seconds on one core."""

import struct

import numpy as np
import pytest
import torch

from tanda_transforms import TF, PolicyFileError, TANDAPolicy, _checkpoint
from tanda_transforms.generators import RecurrentSampler
from tanda_transforms.learn import learn_policy
from tanda_transforms.policy_file import MAGIC

RNG_SEED = 30


def _v1(blob: bytes) -> bytes:
    """The same policy as format 1 (no digest), as files were written before."""
    size = struct.unpack_from("<Q", blob, 12)[0]
    return struct.pack("<8sIQ", MAGIC, 1, size) + blob[52:]


def _lstm_policy() -> TANDAPolicy:
    torch.manual_seed(0)
    sampler = RecurrentSampler(25, 16)
    with torch.no_grad():
        for param in sampler.parameters():
            param.add_(torch.randn_like(param))
    return TANDAPolicy("mnist", sampler, seq_len=6, metadata={"note": "fuzz"}, p=0.8, frame=2)


def _fingerprint(policy: TANDAPolicy) -> tuple:
    state = policy.sampler.state_dict()
    return (policy.library.to_spec(), policy.seq_len, policy.p, policy.frame, policy.metadata,
            policy.sampler.config(), {k: v.tolist() for k, v in state.items()})


def _mutations(blob: bytes, rng: np.random.Generator, header_end: int):
    """(name, mutated bytes): flips anywhere, truncations, and header-field changes."""
    out = bytearray(blob)
    kind = rng.integers(0, 6)
    if kind == 0:  # one to three flipped bytes anywhere
        for position in rng.integers(0, len(blob), int(rng.integers(1, 4))):
            out[position] ^= int(rng.integers(1, 256))
        return "flip", bytes(out)
    if kind == 1:
        return "truncate", blob[: int(rng.integers(0, len(blob)))]
    if kind == 2:  # a flip inside the preamble and the JSON header
        out[int(rng.integers(0, header_end))] ^= int(rng.integers(1, 256))
        return "header flip", bytes(out)
    if kind == 3:  # the version field
        return "version", blob[:8] + struct.pack("<I", int(rng.integers(0, 4))) + blob[12:]
    if kind == 4:  # the header-length field, shifted a little
        size = struct.unpack_from("<Q", blob, 12)[0]
        new = max(0, size + int(rng.integers(-40, 41)))
        return "header length", blob[:12] + struct.pack("<Q", new) + blob[20:]
    # bytes appended or removed at a random place (a shifted layout)
    at = int(rng.integers(0, len(blob)))
    extra = bytes(rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8))
    return "splice", blob[:at] + extra + blob[at:] if rng.random() < 0.5 else blob[:at] + blob[
        at + len(extra):]


@pytest.mark.parametrize("source", ["example", "mnist", "cifar10", "lstm"])
def test_policy_files_never_load_changed_content(source):
    policy = _lstm_policy() if source == "lstm" else TANDAPolicy.load(source)
    blob = policy.to_bytes()
    expected = _fingerprint(TANDAPolicy.from_bytes(blob))
    header_end = 52 + struct.unpack_from("<Q", blob, 12)[0]
    rng = np.random.default_rng([RNG_SEED, len(blob)])
    loaded = refused = 0
    for version_blob, end in ((blob, header_end), (_v1(blob), header_end - 32)):
        for _ in range(300):
            name, mutated = _mutations(version_blob, rng, end)
            try:
                got = TANDAPolicy.from_bytes(mutated)
            except PolicyFileError:
                refused += 1
                continue
            assert mutated == blob, f"{name}: a changed file loaded"
            assert _fingerprint(got) == expected
            loaded += 1
    assert refused > 550  # nearly every mutation changes something
    # every unchanged format-1 file is refused by default too: it carries no checksum
    with pytest.raises(PolicyFileError, match="no checksum"):
        TANDAPolicy.from_bytes(_v1(blob))


def test_checkpoints_never_load_changed_content(tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        path = tmp_path / "run.ckpt"
        data = np.random.default_rng(0).integers(0, 256, (16, 12, 12), dtype=np.uint8)
        learn_policy(data, [TF("rotate", degrees=5), TF("hflip")], generator="lstm", seq_len=2,
                     steps=1, seed=0, batch_size=8, d_width=4, progress=False, checkpoint=path)
    finally:
        torch.set_num_threads(threads)
    blob = path.read_bytes()
    rng = np.random.default_rng(RNG_SEED)
    for _ in range(400):
        name, mutated = _mutations(blob, rng, 44)
        try:
            _checkpoint.decode(mutated, "cpu")
        except _checkpoint.CheckpointError:
            continue
        assert mutated == blob, f"{name}: a changed checkpoint loaded"
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(_checkpoint.CheckpointError, match="checksum"):
        _checkpoint.read(corrupt, "cpu")
