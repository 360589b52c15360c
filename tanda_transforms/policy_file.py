"""The policy file format: a JSON header plus raw little-endian tensors. Never pickle.

Layout (all integers little-endian)::

    8 bytes   magic b"TANDAPOL"
    4 bytes   uint32 format version (1)
    8 bytes   uint64 header length in bytes (at most 16 MiB)
    header    UTF-8 JSON object; its "tensors" entry maps each name to {"dtype": "float32" |
              "float64" | "int64", "shape": [...], "offset": int, "nbytes": int}
    data      the tensors' bytes, offsets relative to the start of this section

Reading checks every declared size against the bytes actually present before allocating
anything, rejects non-finite JSON constants, unknown dtypes and versions, and never evaluates
or unpickles anything: a hostile file can only produce a :class:`PolicyFileError`.

Examples
--------
>>> import torch
>>> blob = encode({"seq_len": 3}, {"w": torch.arange(4.0)})
>>> header, tensors = decode(blob)
>>> header["seq_len"], tensors["w"].tolist()
(3, [0.0, 1.0, 2.0, 3.0])
"""

from __future__ import annotations

import json
import math
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["PolicyFileError", "encode", "decode", "write_atomic", "FORMAT_VERSION", "MAGIC"]

MAGIC = b"TANDAPOL"
FORMAT_VERSION = 1
MAX_HEADER_BYTES = 16 * 2**20
MAX_FILE_BYTES = 2 * 2**30
_PREAMBLE = struct.Struct("<8sIQ")
_DTYPES = {"float32": np.float32, "float64": np.float64, "int64": np.int64}


class PolicyFileError(ValueError):
    """A policy file is corrupt, truncated, of an unknown version, or not a policy file."""


def encode(header: dict[str, Any], tensors: dict[str, torch.Tensor]) -> bytes:
    """Serialise a JSON-able header and named tensors into policy-file bytes."""
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
    return _PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(raw)) + raw + b"".join(chunks)


def decode(blob: bytes) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Parse policy-file bytes into (header, tensors); raise PolicyFileError on any problem."""
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise TypeError(f"expected bytes, got {type(blob).__name__}")
    blob = bytes(blob)
    if len(blob) < _PREAMBLE.size or blob[:8] != MAGIC:
        raise PolicyFileError("not a TANDA policy file (missing the b'TANDAPOL' magic)")
    _, version, header_len = _PREAMBLE.unpack_from(blob)
    if version != FORMAT_VERSION:
        raise PolicyFileError(
            f"unsupported policy format version {version}; this package reads {FORMAT_VERSION}"
        )
    body = len(blob) - _PREAMBLE.size
    if header_len > min(MAX_HEADER_BYTES, body):
        raise PolicyFileError(f"declared header of {header_len} bytes, but {body} bytes follow")
    header = _parse_header(blob[_PREAMBLE.size : _PREAMBLE.size + header_len])
    data = memoryview(blob)[_PREAMBLE.size + header_len :]
    tensors = {name: _read_tensor(name, spec, data) for name, spec in header.pop("tensors").items()}
    return header, tensors


def _reject_constant(name: str):
    raise PolicyFileError(f"policy header contains a non-finite number ({name})")


def _parse_header(raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
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
    """Read a policy file, refusing anything larger than the format allows."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise PolicyFileError(f"{path}: {size} bytes is larger than a policy file can be")
    return path.read_bytes()


def write_atomic(path: str | os.PathLike, blob: bytes) -> None:
    """Write ``blob`` to ``path`` atomically (a temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes owner-only files; give the usual mode
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
