"""Dream image files into a folder: the library call behind `dreamgan dream`.

Each output is a PNG written atomically (a Ctrl-C or kill never leaves a torn file), with the
recipe as JSON in the PNG text chunk `dreamgan.recipe`. A bad input file is reported and
skipped; the others still complete.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from dreamgan import __version__
from dreamgan.dream.engine import DreamConfig, DreamEngine, Progress
from dreamgan.errors import DreamganError, ImageError
from dreamgan.fileio import ensure_writable_dir, refuse_same_file
from dreamgan.images import load_image, overlay_uint8, save_png, uint8_to_x01, x01_to_uint8

RECIPE_KEY = "dreamgan.recipe"


@dataclass
class DreamFilesReport:
    written: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    """Outputs already there with the same recipe (`skip_existing`)."""


def _made_with(target: Path, meta: dict[str, str]) -> bool | None:
    """Whether the PNG `target` holds a dream made with the recipe in `meta` (its
    RECIPE_KEY, the dreamgan version aside); None when there is no readable PNG there."""
    from dreamgan.images import read_png_text

    try:
        theirs = json.loads(read_png_text(target).get(RECIPE_KEY, "null")) or {}
    except (OSError, ValueError):
        return None
    ours = json.loads(meta.get(RECIPE_KEY, "{}"))

    def strip(r: dict) -> dict:  # the version aside; a recipe as this version reads it (keys added since take their defaults)
        r = {k: v for k, v in r.items() if k != "dreamgan_version"}
        try:
            return {**r, "config": DreamConfig.from_dict(r["config"]).to_dict()} if "config" in r else r
        except (DreamganError, TypeError, ValueError):
            return r

    return strip(theirs) == strip(ours)


def png_text(recipe: dict, **extra: str) -> dict[str, str]:
    """PNG text metadata: `recipe` (plus the dreamgan version) as JSON under RECIPE_KEY, and
    `extra` chunks. The one encoding for classical and fast dreams."""
    text = {RECIPE_KEY: json.dumps({"dreamgan_version": __version__, **recipe}, sort_keys=True),
            "Software": f"dreamgan {__version__}"}
    return {**text, **extra}


def recipe_text(config: DreamConfig, source: str | None = None) -> dict[str, str]:
    """PNG text metadata for a dream made with `config`."""
    return png_text({"config": config.to_dict(), **({"source": source} if source else {})})


def output_names(paths: list[Path]) -> list[str]:
    """Unique output stems: `photo`, or `photo-2` when two inputs share a stem."""
    seen: dict[str, int] = {}
    names = []
    for p in paths:
        n = seen.get(p.stem, 0) + 1
        seen[p.stem] = n
        names.append(p.stem if n == 1 else f"{p.stem}-{n}")
    return names


def write_dreams(paths: list[Path], out_dir: str | os.PathLike, dream_fn: Callable[[Path, np.ndarray], np.ndarray], *,
                 text: Callable[[Path], dict[str, str]], overlay: float | None = None, skip_existing: bool = False,
                 on_skip: Callable[[int], None] | None = None,
                 on_done: Callable[[Path, Path | None, str | None], None] | None = None) -> DreamFilesReport:
    """Dream each file into out_dir/<stem>.png (and <stem>.overlay.png): the loop shared by the
    classical engine and the fast generators.

    Args:
        dream_fn(path, uint8 photo) -> uint8 dream, both (H, W, 3).
        text(path): PNG text metadata of that file's outputs.
        overlay: also write the dream blended over the photo with this opacity in [0, 1].
        skip_existing: keep outputs that are already there with the same recipe (a rerun after
            an interrupt continues); one made with another recipe is refused before any work.
        on_skip(n): called once, before any work, with the number of outputs skipped.
        on_done(path, output or None, error or None): after each file.

    Unreadable files are collected in the report (and passed to on_done), never raised.

    Raises:
        DreamganError: with `skip_existing`, an output made with another recipe; a write that
            fails (a full disk): one line naming the folder and how many dreams were written.
    """
    from dreamgan.errors import DreamganError

    out = ensure_writable_dir(out_dir)
    report = DreamFilesReport()
    jobs = list(zip(paths, output_names(paths)))
    for path, stem in jobs:  # `-o` the photos' own folder must not write a dream over its photo
        refuse_same_file(out / f"{stem}.png", path)
        if overlay is not None:
            refuse_same_file(out / f"{stem}.overlay.png", path)
    if skip_existing:
        todo = []
        for path, stem in jobs:
            target = out / f"{stem}.png"
            same = _made_with(target, text(path)) if target.exists() else None
            if same is False:
                raise DreamganError(f"{target} was dreamed with another recipe; use another --out, or delete it to "
                                    "dream it again with this one")
            if same and (overlay is None or (out / f"{stem}.overlay.png").exists()):
                report.skipped.append(target)
            else:
                todo.append((path, stem))
        jobs = todo
    if on_skip:
        on_skip(len(report.skipped))
    for path, stem in jobs:
        try:
            uint8 = load_image(path)
        except ImageError as e:
            report.failed.append((path, str(e)))
            if on_done:
                on_done(path, None, str(e))
            continue
        dream_uint8 = dream_fn(path, uint8)
        meta = text(path)
        try:  # each write is atomic: a failed one leaves no torn file
            if overlay is not None:
                save_png(out / f"{stem}.overlay.png", overlay_uint8(uint8, dream_uint8, overlay), meta)
            target = save_png(out / f"{stem}.png", dream_uint8, meta)
        except OSError as e:
            raise DreamganError(
                f"cannot write to {out}: {e.strerror or e}; stopped after {len(report.written)} new dream(s) "
                f"({len(report.skipped)} kept from before). Free some space, then rerun with --skip-existing "
                "to continue") from e
        report.written.append(target)
        if on_done:
            on_done(path, target, None)
    return report


def dream_files(paths: list[Path], out_dir: str | os.PathLike, config: DreamConfig, *, overlay: float | None = None,
                engine: DreamEngine | None = None,
                on_start: Callable[[Path, int], None] | None = None,
                on_progress: Callable[[Progress], None] | None = None,
                skip_existing: bool = False, on_skip: Callable[[int], None] | None = None,
                on_done: Callable[[Path, Path | None, str | None], None] | None = None) -> DreamFilesReport:
    """Dream each file of `paths` with the classical engine into `out_dir/<stem>.png`.

    Args:
        paths: image files (see `images.list_images` to expand folders).
        out_dir: created if missing.
        config: the recipe (stored in each PNG, with the precision the engine resolved); the
            engine is built once (validating backbone, layers, class).
        overlay: also write the dream blended over the original with this opacity in [0, 1].
        skip_existing, on_skip: see `write_dreams`.
        on_start(path, total_steps), on_progress(Progress), on_done(path, output or None, error or None):
            callbacks for a progress display.

    Raises:
        DreamganError: bad config, unknown layer/backbone/class, unwritable `out_dir`.
        Per-file image errors are not raised: they are collected in the report.
    """
    ensure_writable_dir(out_dir)  # before the (slower) engine, so a bad folder fails first
    engine = engine or DreamEngine(config)
    config = engine.config  # the recipe as made: precision auto resolved to fp32 or bf16

    def dream_one(path: Path, uint8: np.ndarray) -> np.ndarray:
        if on_start:
            on_start(path, engine.total_steps(*uint8.shape[:2]))
        return x01_to_uint8(engine.run(uint8_to_x01(uint8), on_progress))

    return write_dreams(paths, out_dir, dream_one, text=lambda path: recipe_text(config, source=path.name),
                        overlay=overlay, skip_existing=skip_existing, on_skip=on_skip, on_done=on_done)
