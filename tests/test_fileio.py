"""Atomic writes: an interrupted write never leaves a torn or half-written target."""
from __future__ import annotations

import os

import pytest

from dreamgan.errors import DreamganError
from dreamgan.fileio import atomic_path, ensure_writable_dir, write_bytes_atomic


def test_interrupted_write_keeps_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out.png"
    write_bytes_atomic(target, b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.png"]


def test_unwritable_directory_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DreamganError, match="cannot create output directory|not a directory"):
        ensure_writable_dir(blocker / "sub")
    with pytest.raises(DreamganError, match="not a directory"):
        ensure_writable_dir(blocker)


def test_atomic_writes_get_the_usual_file_mode_not_the_temp_files_0600(tmp_path):
    write_bytes_atomic(tmp_path / "a.png", b"x")
    with open(tmp_path / "b.png", "wb") as f:  # what a plain write gives under this umask
        f.write(b"x")
    mode = (tmp_path / "a.png").stat().st_mode & 0o777
    assert mode == (tmp_path / "b.png").stat().st_mode & 0o777 and mode & 0o044, "others can read it, as usual"
