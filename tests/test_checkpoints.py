"""Learner checkpoints (issue 30 item 12): a digest, a settings check, and the path read as a
policy file is (a FIFO is refused, never waited on)."""

import os

import numpy as np
import pytest
import torch
from _probe import error_without_blocking

from tanda_transforms import TF, _checkpoint
from tanda_transforms._checkpoint import CheckpointError
from tanda_transforms.learn import learn_policy

TFS = [TF("rotate", degrees=5), TF("hflip"), TF("zoom", factor=1.1)]
ARGS = {"generator": "lstm", "seq_len": 2, "seed": 0, "batch_size": 8, "d_width": 4,
        "progress": False}
DATA = np.random.default_rng(0).integers(0, 256, (16, 12, 12), dtype=np.uint8)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "run.ckpt"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        learn_policy(DATA, TFS, steps=1, checkpoint=path, **ARGS)
    finally:
        torch.set_num_threads(threads)
    return path


@pytest.mark.parametrize(("name", "value"), [("seq_len", 3), ("batch_size", 4),
                                             ("generator", "gru"), ("d_lr", 1e-3)])
def test_resuming_under_other_settings_is_refused(ckpt, name, value):
    with pytest.raises(CheckpointError, match=f"{name if name != 'generator' else 'sampler'}"):
        learn_policy(DATA, TFS, steps=2, resume=ckpt, **{**ARGS, name: value})


def test_resuming_with_more_steps_is_allowed(ckpt):
    policy = learn_policy(DATA, TFS, steps=2, resume=ckpt, **ARGS)
    assert policy.metadata["training"]["steps"] == 2


def test_a_flipped_byte_anywhere_is_refused(ckpt):
    """A bare torch.save file accepted 24 of 24 one-byte flips (20 resumed silently)."""
    blob = ckpt.read_bytes()
    rng = np.random.default_rng(1)
    for position in rng.integers(0, len(blob), 40):
        corrupt = bytearray(blob)
        corrupt[position] ^= int(rng.integers(1, 256))
        with pytest.raises(CheckpointError):
            _checkpoint.decode(bytes(corrupt), "cpu")
    assert _checkpoint.decode(blob, "cpu")["step_index"] == 1


def test_a_bare_torch_save_file_is_refused(ckpt, tmp_path):
    bare = tmp_path / "bare.ckpt"
    torch.save(_checkpoint.decode(ckpt.read_bytes(), "cpu"), bare)
    with pytest.raises(CheckpointError, match="not a tanda-transforms checkpoint"):
        learn_policy(DATA, TFS, steps=2, resume=bare, **ARGS)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    """resume= a FIFO hung > 60 s waiting for a writer."""
    fifo = tmp_path / "run.ckpt"
    os.mkfifo(fifo)
    error = error_without_blocking(lambda: _checkpoint.read(fifo, "cpu"), CheckpointError)
    assert "not a regular file" in str(error)


def test_apply_p_may_change_on_resume_and_is_what_the_policy_is_saved_with(ckpt):
    # learning ignores apply_p (the saved policy's p), so a resumed run may choose another
    policy = learn_policy(DATA, TFS, steps=2, resume=ckpt, apply_p=1.0, **ARGS)
    assert policy.p == 1.0


def test_a_field_added_later_reads_as_the_value_older_checkpoints_were_made_under():
    current = {"seq_len": 2, "size": None, "d_kernel": 5, "d_norm": "group",
               "label_weight": 1.0, "label_steps": 200}
    _checkpoint.check_settings({"seq_len": 2}, current)  # written before those fields existed
    with pytest.raises(CheckpointError, match=r"d_kernel: 5 -> 3"):
        _checkpoint.check_settings({"seq_len": 2}, {**current, "d_kernel": 3})
    # a checkpoint of the lean 3 x 3 D made before its one-group norm
    with pytest.raises(CheckpointError, match=r"d_norm: 'group' -> 'layer'"):
        _checkpoint.check_settings({"seq_len": 2, "d_kernel": 3},
                                   {**current, "d_kernel": 3, "d_norm": "layer"})
