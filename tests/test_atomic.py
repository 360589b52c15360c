"""_atomic: one atomic writer for every file the package writes; its leftovers are recognised."""

import os

from tanda_transforms import _atomic
from tanda_transforms._atomic import is_temporary, remove_stale_temporaries, write_atomic


def _killed_write(path, blob, monkeypatch):
    """Leave the state of a process killed after writing the temporary, before the rename."""
    with monkeypatch.context() as patch:
        patch.setattr(_atomic.os, "replace", lambda src, dst: None)
        write_atomic(path, blob)


def test_a_killed_write_leaves_a_recognisable_temporary_that_is_removed(tmp_path, monkeypatch):
    target = tmp_path / "run.ckpt"
    write_atomic(target, b"old")
    _killed_write(target, b"new", monkeypatch)
    other = tmp_path / "run.ckpt.other"
    _killed_write(other, b"x", monkeypatch)
    leftovers = sorted(p for p in tmp_path.iterdir() if p.name not in ("run.ckpt",))
    assert len(leftovers) == 2 and all(is_temporary(p) for p in leftovers)
    assert target.read_bytes() == b"old"
    (tmp_path / ".run.ckpt.tmp").write_bytes(b"the old fixed name")
    removed = remove_stale_temporaries(target)
    assert len(removed) == 2
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names[1:] == ["run.ckpt"] and names[0].startswith(".run.ckpt.other.")  # not ours


def test_written_files_get_the_usual_mode_and_no_temporaries_stay(tmp_path):
    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "sub" / "f.bin", b"1")
    finally:
        os.umask(umask)
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["f.bin"]
    assert (tmp_path / "sub" / "f.bin").stat().st_mode & 0o777 == 0o644
    assert not is_temporary("run.ckpt") and not is_temporary("results.tmp")
    assert remove_stale_temporaries(tmp_path / "missing" / "f.bin") == []
