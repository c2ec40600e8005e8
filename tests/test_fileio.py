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


def test_atomic_writes_never_replace_a_folder_or_a_device(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "to_folder").symlink_to(tmp_path / "folder")
    for target, message in [(tmp_path / "folder", "is a folder"), (tmp_path / "to_folder", "is a folder"),
                            ("/dev/null", "not a regular file")]:
        with pytest.raises(DreamganError, match=message):
            with atomic_path(target) as tmp:
                tmp.write_bytes(b"x")
    assert (tmp_path / "folder").is_dir() and os.path.islink(tmp_path / "to_folder")
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null"), "the device node is still a device"
    # a regular file, and a symlink to one, are written as before
    write_bytes_atomic(tmp_path / "file", b"old")
    write_bytes_atomic(tmp_path / "file", b"new")
    assert (tmp_path / "file").read_bytes() == b"new"


def test_a_folder_that_cannot_hold_the_file_is_one_line(tmp_path):
    with pytest.raises(DreamganError, match="cannot write .*missing") as e:
        write_bytes_atomic(tmp_path / "missing" / "x.bin", b"x")
    assert "\n" not in str(e.value)


def test_an_output_that_is_its_own_input_is_refused(tmp_path):
    from dreamgan.fileio import refuse_same_file

    (tmp_path / "clip.mp4").write_bytes(b"source")
    (tmp_path / "link.mp4").symlink_to(tmp_path / "clip.mp4")
    for out in [tmp_path / "clip.mp4", tmp_path / "sub" / ".." / "clip.mp4", tmp_path / "link.mp4"]:
        with pytest.raises(DreamganError, match="would destroy the source"):
            refuse_same_file(out, tmp_path / "clip.mp4")
    refuse_same_file(tmp_path / "other.mp4", tmp_path / "clip.mp4")
