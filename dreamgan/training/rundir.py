"""Auto-numbered run directories, as in StyleGAN2-ADA: `checkpoints/00003-classifier-NAME/`."""
from __future__ import annotations

import os
import re
from pathlib import Path

from dreamgan.errors import DreamganError
from dreamgan.fileio import ensure_writable_dir

_RUN = re.compile(r"^(\d{5})-([\w.]+)-(.+)$")


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_") or "run"


def new_run_dir(root: str | os.PathLike, kind: str, name: str) -> Path:
    """Create and return `root/NNNNN-kind-name`, numbered one past the highest existing run."""
    root = ensure_writable_dir(root)
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := _RUN.match(p.name))]
    for n in range(max(numbers, default=0) + 1, max(numbers, default=0) + 1000):
        path = root / f"{n:05d}-{_safe(kind)}-{_safe(name)}"
        try:
            path.mkdir()
            return path
        except FileExistsError:  # another process took this number
            continue
    raise DreamganError(f"cannot create a run directory in {root}")


def latest_run_dir(root: str | os.PathLike, kind: str, name: str) -> Path | None:
    """The highest-numbered `root/NNNNN-kind-name` holding a latest.pt, or None."""
    root = Path(root)
    if not root.is_dir():
        return None
    runs = [(int(m.group(1)), p) for p in root.iterdir()
            if (m := _RUN.match(p.name)) and m.group(2) == _safe(kind) and m.group(3) == _safe(name) and (p / "latest.pt").is_file()]
    return max(runs)[1] if runs else None
