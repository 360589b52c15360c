"""Learner checkpoints on disk: a checksummed ``torch.save`` payload, read as policy files are.

Layout (integers little-endian)::

    8 bytes   magic b"TANDACKP"
    4 bytes   uint32 checkpoint version (1)
    32 bytes  SHA-256 of the payload
    payload   ``torch.save`` of the learner's state, read back with ``weights_only=True``

A flipped byte in a bare ``torch.save`` file was accepted by ``torch.load`` (24 of 24 tries)
and most resumed silently to another policy: the digest refuses it. The path is read like
a policy file (:func:`tanda_transforms.policy_file.read_bytes`: a regular file only, so a
FIFO never blocks; memory for the bytes present). The state also records the run's
settings, and resuming under other settings (``seq_len``, ``batch_size``, the generator...)
is refused, naming them; what may change on resume is :data:`RESUMABLE` (how long to run,
how often to log and save).

Examples
--------
>>> blob = encode({"step_index": 3})
>>> decode(blob, "cpu")["step_index"]
3
>>> decode(blob[:-1] + bytes([blob[-1] ^ 1]), "cpu")
Traceback (most recent call last):
...
tanda_transforms._checkpoint.CheckpointError: checkpoint checksum mismatch: the file is \
corrupt (changed or damaged after it was written)
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import struct
from typing import Any

import torch

from tanda_transforms import policy_file
from tanda_transforms._learn_config import ADDED_FIELDS

__all__ = ["CheckpointError", "encode", "decode", "read", "check_settings", "RESUMABLE",
           "ADDED_FIELDS"]

MAGIC = b"TANDACKP"
VERSION = 1
_PREAMBLE = struct.Struct("<8sI")
_DIGEST = 32
#: Config fields a resumed run may change: its length, its logging, and the p the learned
#: policy is saved with (learning ignores it).
RESUMABLE = frozenset({"steps", "epochs", "log_every", "checkpoint_every", "apply_p"})



class CheckpointError(ValueError):
    """A checkpoint is corrupt, not a checkpoint, or was made under other settings."""


def encode(state: dict[str, Any]) -> bytes:
    """The bytes of a checkpoint holding ``state``."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = buffer.getvalue()
    return _PREAMBLE.pack(MAGIC, VERSION) + hashlib.sha256(payload).digest() + payload


def decode(blob: bytes, device: torch.device | str) -> dict[str, Any]:
    """The state in a checkpoint's bytes, checked against its digest first."""
    start = _PREAMBLE.size + _DIGEST
    if len(blob) < start or blob[:8] != MAGIC:
        raise CheckpointError(
            "not a tanda-transforms checkpoint (no b'TANDACKP' magic; checkpoints written "
            "before checksums were added cannot be checked: start the run again)"
        )
    version = _PREAMBLE.unpack_from(blob)[1]
    if version != VERSION:
        raise CheckpointError(f"unsupported checkpoint version {version}; this package reads "
                              f"version {VERSION}")
    payload = memoryview(blob)[start:]
    if hashlib.sha256(payload).digest() != blob[_PREAMBLE.size : start]:
        raise CheckpointError(
            "checkpoint checksum mismatch: the file is corrupt (changed or damaged after it "
            "was written)"
        )
    try:
        state = torch.load(io.BytesIO(payload), map_location=device, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as err:
        raise CheckpointError(f"checkpoint payload unreadable: {err}") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint holds a {type(state).__name__}, not a state dict")
    return state


def read(path: str | os.PathLike, device: torch.device | str) -> dict[str, Any]:
    """The state of the checkpoint at ``path`` (a regular file; see the module docstring)."""
    try:
        blob = policy_file.read_bytes(path)
    except policy_file.PolicyFileError as err:
        raise CheckpointError(str(err).replace("policy file", "checkpoint")) from None
    return decode(blob, device)


def check_settings(saved: Any, current: dict[str, Any]) -> None:
    """Refuse a checkpoint whose settings differ from this run's (but :data:`RESUMABLE`)."""
    if not isinstance(saved, dict):
        raise CheckpointError("checkpoint records no run settings (written by an older "
                              "version?): start the run again")
    saved = {**ADDED_FIELDS, **saved}
    keys = (set(saved) | set(current)) - RESUMABLE
    differ = sorted(k for k in keys if saved.get(k, "<absent>") != current.get(k, "<absent>"))
    if differ:
        changes = ", ".join(f"{k}: {saved.get(k, '<absent>')!r} -> {current.get(k, '<absent>')!r}"
                            for k in differ)
        raise CheckpointError(
            f"checkpoint was made with other settings ({changes}); resume with the settings "
            f"it was made with (only {sorted(RESUMABLE)} may change)"
        )
