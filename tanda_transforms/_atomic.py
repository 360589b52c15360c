"""Atomic file writing, shared by policy files, lesion pools and evaluation results.

A file is written to a temporary sibling, flushed to disk, then renamed over the target, so a
reader sees the old file or the new one, never half of one. A process killed between the two
(``kill -9``, a power cut) leaves the temporary behind: it is named ``.<name>.<random>.tmp``
(hidden, and never the target's name), and :func:`remove_stale_temporaries` deletes such
leftovers of one target.

Examples
--------
>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "out.bin"
>>> write_atomic(path, b"data")
>>> path.read_bytes()
b'data'
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]

_SUFFIX = ".tmp"


def write_atomic(path: str | os.PathLike, blob: bytes) -> None:
    """Write ``blob`` to ``path`` atomically (a temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_SUFFIX, dir=path.parent)
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

