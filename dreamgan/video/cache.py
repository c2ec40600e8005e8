"""The frames of a video job, kept on disk as they are dreamed, so a killed job continues.

A job's folder holds `job.json` (what made the frames: the source, the options, the recipe or
generator) and `frame-000000.png`, … each written atomically. A rerun of the same command
reuses every frame there and dreams the rest; a folder made by other options is refused,
never overwritten.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Iterator

import numpy as np

from dreamgan.fileio import ensure_writable_dir, write_json_atomic
from dreamgan.images import load_image, save_png
from dreamgan.video.io import VideoError


def default_cache_dir(out: str | os.PathLike) -> Path:
    """The hidden folder beside the output where a job keeps its frames: `.NAME.frames/`."""
    out = Path(out)
    return out.parent / f".{out.name}.frames"


class FrameCache:
    """Dreamed frames of one job, by index.

    Args:
        folder: where the frames go (made if needed).
        job: what makes the frames (JSON-able); a folder holding another job's frames is refused.
        keep: keep the folder after the output is written (`--frames DIR`); otherwise `finish`
            removes it.

    Raises:
        VideoError: the folder holds frames of another job, or cannot be written.
    """

    def __init__(self, folder: str | os.PathLike, job: dict, *, keep: bool = False):
        self.folder, self.keep = Path(folder), keep
        job = json.loads(json.dumps(job, sort_keys=True, default=str))
        meta = self.folder / "job.json"
        if meta.is_file():
            try:
                theirs = json.loads(meta.read_text())
            except (OSError, json.JSONDecodeError):
                theirs = None
            if theirs != job:
                raise VideoError(f"{self.folder} holds frames made with other options (see its job.json); delete it, "
                                 "or rerun the command that made them")
        else:
            try:
                ensure_writable_dir(self.folder)
            except Exception as e:
                raise VideoError(str(e)) from None
            write_json_atomic(meta, job)

    def path(self, index: int) -> Path:
        return self.folder / f"frame-{index:06d}.png"

    def get(self, index: int) -> np.ndarray | None:
        """Frame `index` (H, W, 3) uint8 if it was dreamed before, else None."""
        p = self.path(index)
        if not p.is_file():
            return None
        try:
            return load_image(p)
        except Exception:
            return None  # unreadable (another tool touched it): dream it again

    def put(self, index: int, uint8: np.ndarray) -> None:
        save_png(self.path(index), uint8, compress_level=1)  # a working file: speed over size

    def frames(self, count: int) -> Iterator[np.ndarray]:
        for i in range(count):
            yield load_image(self.path(i))

    def finish(self) -> None:
        """The output is written: drop the frames unless they are to be kept."""
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)


__all__ = ["FrameCache", "default_cache_dir"]
