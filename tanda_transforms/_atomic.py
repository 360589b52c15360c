"""Atomic file writing, shared by policy files, learner checkpoints, lesion pools and results.

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
>>> path.read_bytes(), is_temporary(path)
(b'data', False)
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

__all__ = ["write_atomic", "is_temporary", "remove_stale_temporaries"]

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



def _temporary_pattern(name: str) -> re.Pattern[str]:
    """Names of the temporaries of a file ``name`` (``name`` itself a regular expression)."""
    # mkstemp's random part is 8 characters of [a-z0-9_]; ".<name>.tmp" is the old fixed name
    return re.compile(rf"\.{name}(\.[a-z0-9_]{{8}})?{re.escape(_SUFFIX)}")


def is_temporary(path: str | os.PathLike) -> bool:
    """Whether ``path`` is named as :func:`write_atomic`'s temporaries are.

    Also true of ``.<name>.tmp``, the fixed name learner checkpoints used before.

    Examples
    --------
    >>> is_temporary(".run.ckpt.k3j_x9a2.tmp"), is_temporary("run.ckpt")
    (True, False)
    """
    return bool(_temporary_pattern(".+").fullmatch(Path(path).name))


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Delete the temporaries an interrupted :func:`write_atomic` of ``path`` left; return them.

    Only for a target that no other process is writing at the same time (its temporary
    would be deleted too).
    """
    path = Path(path)
    if not path.parent.is_dir():
        return []
    pattern = _temporary_pattern(re.escape(path.name))
    stale = [p for p in path.parent.iterdir() if pattern.fullmatch(p.name) and p.is_file()]
    for tmp in stale:
        tmp.unlink(missing_ok=True)
    return stale
