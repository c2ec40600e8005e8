"""Atomic file writes: a reader never sees a half-written file, even after `kill -9`.

Everything dreamgan writes (PNGs, JSON, checkpoints) goes through `atomic_path`: the data is
written to a temporary file in the same directory, flushed, then renamed over the target
with `os.replace`, which is atomic on POSIX filesystems. Also the reading side every module
shares: JSON lines, safe torch loads (`weights_only=True`, one message per fault), a lock, and
`sha256_file`.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

from dreamgan.errors import DreamganError


def ensure_writable_dir(path: str | os.PathLike) -> Path:
    """Create `path` (and parents) if needed and check that files can be written there.

    Raises:
        DreamganError: if the directory cannot be created or written.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DreamganError(f"output path {path} exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DreamganError(f"cannot create output directory {path}: {e.strerror or e}") from None
    if not path.is_dir():
        raise DreamganError(f"output path {path} exists and is not a directory")
    if not os.access(path, os.W_OK | os.X_OK):
        raise DreamganError(f"output directory {path} is not writable")
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()
"""What `open(path, "w")` would give a new file (mkstemp's temp files are 0600)."""


def refuse_non_file(target: str | os.PathLike) -> None:
    """Refuse to write over anything but a regular file (following symlinks).

    Raises:
        DreamganError: `target` is a folder, a device, a FIFO or a socket.
    """
    target = Path(target)
    if target.exists() and not target.is_file():
        kind = "a folder" if target.is_dir() else "not a regular file (a device, pipe or socket)"
        raise DreamganError(f"output {target} exists and is {kind}; give a file path to write")


def refuse_same_file(output: str | os.PathLike, *inputs: str | os.PathLike) -> None:
    """Refuse an output that is one of the inputs (compared as resolved paths), before anything
    is read, so a command never writes over its own source.

    Raises:
        DreamganError: naming the file and saying to choose another output.
    """
    out = Path(output).resolve()
    for source in inputs:
        if Path(source).resolve() == out:
            raise DreamganError(f"the output {output} is the input {source}: writing it would destroy the source; choose another -o")


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to `target`; on success rename it over `target`.

    On any exception (including KeyboardInterrupt) the temporary file is removed and
    `target` is left untouched.

    Raises:
        DreamganError: `target` exists and is not a regular file (a folder, a device such as
            /dev/full, or a symlink to one: the rename would replace it), or its folder cannot
            hold a new file (missing, not a folder, not writable).
    """
    target = Path(target)
    refuse_non_file(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as e:
        raise DreamganError(f"cannot write {target}: {e.strerror or e} (is {target.parent} a writable folder?)") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp_path, _FILE_MODE)
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive advisory lock on `path` (created if needed) for the block, so processes
    that share a folder take turns; the kernel drops it if the holder is killed. Where there is
    no `fcntl` (Windows) the block runs unlocked."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(path, "a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def write_bytes_atomic(target: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `target` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def append_jsonl(path: str | os.PathLike, row: dict) -> None:
    """Append one JSON line and fsync, so logs and manifests survive a kill."""
    with open(path, "a") as f:
        f.write(json.dumps(row, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """All complete JSON lines of `path`, or [] if it does not exist (a torn last line is skipped)."""
    rows = []
    if Path(path).exists():
        for line in Path(path).read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


def write_json_atomic(target: str | os.PathLike, obj: Any) -> None:
    """Write `obj` as indented JSON to `target` atomically."""
    write_bytes_atomic(target, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def load_torch_file(path: str | os.PathLike, *, error: type[DreamganError] = DreamganError):
    """`torch.load(path, weights_only=True)` on the CPU, with one message for each fault.

    Only tensors and plain containers are unpickled: a file that would run code is refused.
    Torch's own warnings (e.g. about the pickle protocol) are silenced; its long messages are
    never quoted.

    Raises:
        error (a `DreamganError`): no such file; a file that would unpickle code; a file that
            is not a torch weights file, or is truncated.
    """
    import pickle
    import warnings

    import torch

    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: no such weights file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "unsupported global" in str(e).lower():  # torch refused a global: the file would run code
            raise error(f"{path}: not a safe dreamgan/torch weights file (refusing to unpickle code)") from None
        raise error(f"{path}: not a readable dreamgan/torch weights file (truncated, or another format)") from None
    except Exception:  # a truncated zip, not a torch file at all, a file of another format
        raise error(f"{path}: not a readable dreamgan/torch weights file (truncated, or another format)") from None


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """The sha256 of a file's bytes, hex, read `chunk` bytes at a time (any size, bounded memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()
