"""The policy file format: a JSON header plus raw little-endian tensors, with a SHA-256.

Layout of format version 2 (all integers little-endian)::

    8 bytes   magic b"TANDAPOL"
    4 bytes   uint32 format version (2)
    8 bytes   uint64 header length in bytes (at most 16 MiB)
    32 bytes  SHA-256 of every other byte of the file (the 20 bytes above, header, data)
    header    UTF-8 JSON object; its "tensors" entry maps each name to {"dtype": "float32" |
              "float64" | "int64", "shape": [...], "offset": int, "nbytes": int}
    data      the tensors' bytes, offsets relative to the start of this section

Version 1 (the gallery files shipped before) is the same without the digest. Without a
digest a flipped byte can load silently as changed weights or TF arguments (50 of 500 byte
flips of the old ``example.tanda`` did), so version-1 files are refused by default;
``decode(blob, allow_unchecked=True)`` (``TANDAPolicy.load(path, allow_unchecked=True)``)
reads an old file you trust, with every check below except the digest. Re-saving a policy
writes version 2.

Reading checks the digest before parsing anything, then every declared size against the bytes
actually present before allocating; it refuses duplicate JSON keys, non-finite numbers
(``NaN``, ``Infinity``, and literals such as ``1e400`` that overflow to infinity), integers
of more than 4300 digits, strings that are not valid Unicode, unknown dtypes and versions,
and never evaluates or unpickles anything: a hostile file can only produce a
:class:`PolicyFileError`. Files larger than :data:`MAX_FILE_BYTES` (1 GiB) and anything but a
regular file (a FIFO, a socket, ``/dev/zero``, a directory) are refused before reading;
reading takes memory for the bytes present, never for the limit.

Why our own format and not safetensors. safetensors is the format PyTorch and Hugging Face
users know, and its parser is audited; we weighed it and kept this one because

- safetensors has no checksum either: a flipped bit in tensor data loads silently there
  too, so the digest would still be ours, stored in its string metadata;
- its metadata is a flat ``str -> str`` map, so our header (TF library, sampler config,
  training history) would travel as JSON inside a JSON string: the same parser, one level
  deeper, plus theirs;
- the tensors alone are of no use to other tools: without the TF library and the sampler
  config they cannot be sampled from, so interoperability gains little;
- it adds a compiled dependency to a package whose reader is 200 lines of standard library
  and numpy, all of whose checks (sizes before allocation, offsets inside the file, strict
  JSON) are in this module and its tests, including a fuzz test of the gallery files;
- old files must stay loadable anyway, so this reader would stay.

A policy saved with a later version of this package is refused with a message naming the
version, never misread.

Examples
--------
>>> import torch
>>> blob = encode({"seq_len": 3}, {"w": torch.arange(4.0)})
>>> header, tensors = decode(blob)
>>> header["seq_len"], tensors["w"].tolist()
(3, [0.0, 1.0, 2.0, 3.0])
>>> decode(blob[:-1] + b"x")
Traceback (most recent call last):
...
tanda_transforms.policy_file.PolicyFileError: policy file checksum mismatch: the file is \
corrupt (changed or damaged after it was written)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
import struct
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tanda_transforms._atomic import write_atomic  # re-exported: it used to live here

__all__ = [
    "PolicyFileError",
    "encode",
    "decode",
    "read_bytes",
    "write_atomic",
    "FORMAT_VERSION",
    "MAGIC",
    "MAX_FILE_BYTES",
]

MAGIC = b"TANDAPOL"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MAX_HEADER_BYTES = 16 * 2**20
MAX_FILE_BYTES = 2**30  # 1 GiB: an LSTM of hidden size 4096 over 10,000 TFs is 0.81 GiB
_PREAMBLE = struct.Struct("<8sIQ")  # magic, version, header length: the same in every version
_DIGEST_BYTES = 32
_DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64}


class PolicyFileError(ValueError):
    """A policy file is corrupt, truncated, of an unknown version, or not a policy file."""


def encode(header: dict[str, Any], tensors: dict[str, torch.Tensor]) -> bytes:
    """Serialise a JSON-able header and named tensors into policy-file bytes (version 2)."""
    table, chunks, offset = {}, [], 0
    for name, tensor in tensors.items():
        array = tensor.detach().cpu().contiguous().numpy()
        dtype = array.dtype.name
        if dtype not in _DTYPES:
            raise TypeError(f"tensor {name!r}: dtype {dtype} not storable; use {sorted(_DTYPES)}")
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        table[name] = {
            "dtype": dtype,
            "shape": list(array.shape),
            "offset": offset,
            "nbytes": len(data),
        }
        chunks.append(data)
        offset += len(data)
    try:
        text = json.dumps({**header, "tensors": table}, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as err:
        raise TypeError(f"policy header must be plain JSON data (finite numbers): {err}") from err
    raw = text.encode("utf-8")
    preamble = _PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(raw))
    data = b"".join(chunks)
    return preamble + _digest(preamble, raw, data) + raw + data


def _digest(*parts: bytes | memoryview) -> bytes:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part)
    return sha.digest()


def decode(
    blob: bytes, *, allow_unchecked: bool = False
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Parse policy-file bytes into (header, tensors); raise PolicyFileError on any problem.

    ``allow_unchecked=True`` also reads version-1 files, which carry no checksum.
    """
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise TypeError(f"expected bytes, got {type(blob).__name__}")
    blob = bytes(blob)
    start, header_len = _check_preamble(blob, allow_unchecked)
    header = _parse_header(blob[start : start + header_len])
    data = memoryview(blob)[start + header_len :]
    tensors = {name: _read_tensor(name, spec, data) for name, spec in header.pop("tensors").items()}
    return header, tensors


def _check_preamble(blob: bytes, allow_unchecked: bool = False) -> tuple[int, int]:
    """Check magic, version, digest and header length; return (header start, its length)."""
    if len(blob) < _PREAMBLE.size or blob[:8] != MAGIC:
        raise PolicyFileError("not a TANDA policy file (missing the b'TANDAPOL' magic)")
    _, version, header_len = _PREAMBLE.unpack_from(blob)
    if version not in READABLE_VERSIONS:
        newer = " (written by a newer tanda-transforms?)" if version > FORMAT_VERSION else ""
        raise PolicyFileError(
            f"unsupported policy format version {version}{newer}; this package reads "
            f"versions {', '.join(map(str, READABLE_VERSIONS))}"
        )
    if version < 2 and not allow_unchecked:
        raise PolicyFileError(
            f"policy format version {version} carries no checksum, so damage cannot be "
            "detected; load an old file you trust with allow_unchecked=True (e.g. "
            "TANDAPolicy.load(path, allow_unchecked=True)) and save it again (version 2)"
        )
    start = _PREAMBLE.size + (_DIGEST_BYTES if version >= 2 else 0)
    if len(blob) < start:
        raise PolicyFileError(f"policy file truncated: {len(blob)} bytes, not even a preamble")
    if version >= 2:
        view = memoryview(blob)
        if _digest(view[: _PREAMBLE.size], view[start:]) != blob[_PREAMBLE.size : start]:
            raise PolicyFileError(
                "policy file checksum mismatch: the file is corrupt (changed or damaged after "
                "it was written)"
            )
    body = len(blob) - start
    if header_len > min(MAX_HEADER_BYTES, body):
        raise PolicyFileError(f"declared header of {header_len} bytes, but {body} bytes follow")
    return start, header_len


def _reject_constant(name: str):
    raise PolicyFileError(f"policy header contains a non-finite number ({name})")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise PolicyFileError(f"policy header contains a number too large for a float ({text:.40})")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        repeated = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise PolicyFileError(f"policy header repeats the key {repeated!r:.80} in one object")
    return obj


def _parse_header(raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(
            raw.decode("utf-8"),
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
        json.dumps(header, ensure_ascii=False).encode("utf-8")  # lone surrogates ("\ud800")
    except PolicyFileError:
        raise
    except (UnicodeError, ValueError, RecursionError) as err:  # ValueError: JSON, huge ints
        raise PolicyFileError(f"policy header is not valid UTF-8 JSON: {err}") from None
    if not isinstance(header, dict) or not isinstance(header.get("tensors"), dict):
        raise PolicyFileError("policy header must be a JSON object with a 'tensors' table")
    return header


def _read_tensor(name: str, spec: Any, data: memoryview) -> torch.Tensor:
    if not isinstance(spec, dict) or spec.get("dtype") not in _DTYPES:
        raise PolicyFileError(f"tensor {name!r}: dtype must be one of {sorted(_DTYPES)}")
    shape, offset, nbytes = spec.get("shape"), spec.get("offset"), spec.get("nbytes")
    if not isinstance(shape, list) or len(shape) > 8 or not all(_is_count(d) for d in shape):
        raise PolicyFileError(f"tensor {name!r}: shape must be a list of <= 8 non-negative ints")
    if not (_is_count(offset) and _is_count(nbytes)) or offset + nbytes > len(data):
        raise PolicyFileError(
            f"tensor {name!r}: declares bytes [{offset}, {offset}+{nbytes}) beyond the "
            f"{len(data)} data bytes in the file (truncated or corrupt)"
        )
    dtype = np.dtype(_DTYPES[spec["dtype"]]).newbyteorder("<")
    if math.prod(shape) * dtype.itemsize != nbytes:
        raise PolicyFileError(f"tensor {name!r}: shape {shape} does not match {nbytes} bytes")
    array = np.frombuffer(data[offset : offset + nbytes], dtype=dtype).reshape(shape)
    return torch.from_numpy(array.astype(dtype.newbyteorder("="), copy=True))


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_FILE_BYTES


def read_bytes(path: str | os.PathLike) -> bytes:
    """Read a policy file: a regular file of at most :data:`MAX_FILE_BYTES`.

    Anything else (a FIFO, which would block, a socket, a device such as ``/dev/zero``,
    which never ends, a directory) raises :class:`PolicyFileError` before a byte is read.
    Memory grows with the bytes actually read, never with the limit.
    """
    path = Path(path)
    _check_regular_and_small(path, os.stat(path))  # a socket cannot even be opened
    try:  # O_NONBLOCK: if the path became a FIFO since, opening must not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except (FileNotFoundError, PermissionError):
        raise
    except OSError as err:
        raise PolicyFileError(f"{path}: cannot be read as a policy file ({err})") from None
    with os.fdopen(fd, "rb", buffering=0) as handle:
        info = os.fstat(fd)
        _check_regular_and_small(path, info)
        return _read_bounded(handle, path, info.st_size)


def _read_bounded(handle, path: Path, size: int) -> bytes:
    """The file's bytes, read in pieces: at most MAX_FILE_BYTES (it may grow while read)."""
    chunks, total = [], 0
    piece = max(1, min(size, MAX_FILE_BYTES) + 1)
    while chunk := handle.read(min(piece, MAX_FILE_BYTES + 1 - total) or 1):
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_FILE_BYTES:
            raise PolicyFileError(
                f"{path}: larger than a policy file may be ({MAX_FILE_BYTES} bytes)"
            )
        piece = 2**20
    return b"".join(chunks)


def _check_regular_and_small(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise PolicyFileError(
            f"{path}: {kind} (a policy file is read from a regular file on disk)"
        )
    if info.st_size > MAX_FILE_BYTES:
        raise PolicyFileError(
            f"{path}: {info.st_size} bytes, larger than a policy file may be ({MAX_FILE_BYTES})"
        )
