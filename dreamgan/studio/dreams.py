"""What the studio's jobs do: classical and fast dreams of stored images.

Both build on the CLI's own library calls (`DreamEngine`, `sample.fast_dream`) — there is no
second implementation. A job is built in two halves: everything that can be refused (ranges,
backbone, layers, class, channels) is checked when the request arrives, so the page gets a
4xx at once; the returned closure then does the slow work on the queue's worker thread.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from dreamgan.images import fit_longest_side, overlay_uint8, png_bytes, uint8_to_x01, x01_to_uint8
from dreamgan.studio.jobs import JobContext


@dataclass
class DreamResult:
    """A finished dream. Arrays are (H, W, 3) uint8 of the same size."""

    dream_uint8: np.ndarray = field(repr=False)
    photo_uint8: np.ndarray = field(repr=False)
    text: dict[str, str]
    """PNG text metadata (the recipe) embedded in every PNG of this dream."""
    recipe: dict
    seconds: float
    """Compute time of the dream itself (queueing excluded)."""

    @functools.cached_property
    def dream_png(self) -> bytes:
        return png_bytes(self.dream_uint8, self.text)

    def overlay_png(self, alpha: float) -> bytes:
        return png_bytes(overlay_uint8(self.photo_uint8, self.dream_uint8, alpha), self.text)


def classical_job(req, photo, guide=None, *, preview_every: int = 2) -> Callable[[JobContext], DreamResult]:
    """Validate a `DreamRequest` and return the job that dreams it.

    Args:
        req: the studio's `DreamRequest`.
        photo, guide: `StoredImage`s; both are shrunk to `req.max_side`.
        preview_every: steps between intermediate images.

    Raises:
        DreamganError: bad ranges, unknown backbone, layer or class, channels out of range.
    """
    import torch

    from dreamgan.dream.engine import DreamConfig, DreamEngine, octave_sizes
    from dreamgan.dream.files import recipe_text
    from dreamgan.studio.catalogue import check_backbone

    check_backbone(req.backbone)  # registered names only: never a path on the server
    config = DreamConfig(
        backbone=req.backbone, layers=tuple(req.layers), octaves=req.octaves, octave_scale=req.octave_scale,
        steps=req.steps, step_size=req.step_size, jitter=req.jitter,
        channels=tuple(req.channels) if req.channels else None, top_k=req.top_k, top_k_mode=req.top_k_mode,
        class_target=req.class_target or None, guide=f"studio:{guide.id}" if guide else None, seed=req.seed,
    )
    photo_uint8 = fit_longest_side(photo.uint8, req.max_side)
    guide_x01 = uint8_to_x01(fit_longest_side(guide.uint8, req.max_side)) if guide else None
    engine = DreamEngine(config, guide_x01=guide_x01)  # resolves backbone, layers, class, channels and top-k now
    h, w = photo_uint8.shape[:2]
    # Work per step grows with the octave's area: the ETA weighs steps by it.
    areas = [a * b for a, b in reversed(octave_sizes(h, w, config.octaves, config.octave_scale, engine.min_side))]
    total_work = sum(areas) * config.steps
    text = recipe_text(config, source=photo.source)

    def run(ctx: JobContext) -> DreamResult:
        start = time.perf_counter()

        def on_step(p) -> None:
            in_octave = p.step - (p.octave - 1) * config.steps
            work = sum(areas[: p.octave - 1]) * config.steps + in_octave * areas[p.octave - 1]
            preview = png_bytes(x01_to_uint8(p.image01)) if p.image01 is not None else None
            ctx.report(work / total_work, preview=preview, octave=p.octave, octaves=p.octaves, step=p.step,
                       steps=p.total, size=list(p.size), objective=round(p.objective, 5))

        ctx.report(0.0, octave=1, octaves=len(areas), step=0, steps=len(areas) * config.steps)
        with torch.no_grad():
            out = engine.run(uint8_to_x01(photo_uint8), on_step, preview_every=preview_every)
        return DreamResult(x01_to_uint8(out), photo_uint8, text, config.to_dict(), time.perf_counter() - start)

    return run


def fast_job(generator, ckpt: dict, req, photo) -> Callable[[JobContext], DreamResult]:
    """The job for a `FastRequest`: one generator pass (+ `req.refine` classical steps)."""
    import torch

    from dreamgan.sample import fast_dream, generator_text

    photo_uint8 = fit_longest_side(photo.uint8, req.max_side)
    text = generator_text(ckpt, req.refine, req.seed)

    def run(ctx: JobContext) -> DreamResult:
        ctx.report(0.0, step=0, steps=1)
        start = time.perf_counter()
        with torch.no_grad():
            out = fast_dream(generator, uint8_to_x01(photo_uint8), refine=req.refine, recipe=ckpt.get("recipe"), seed=req.seed)
        seconds = time.perf_counter() - start
        recipe = {"generator": str(ckpt["path"]), "step": ckpt.get("step"), "seed": req.seed, "refine": req.refine}
        return DreamResult(x01_to_uint8(out), photo_uint8, text, recipe, seconds)

    return run


def describe_checkpoint(ckpt: dict | None) -> dict | None:
    """What the page shows about the loaded generator."""
    if ckpt is None:
        return None
    cfg = ckpt.get("config", {})
    recipe = ckpt.get("recipe") or {}
    return {"path": str(ckpt["path"]), "name": checkpoint_name(ckpt["path"]), "arch": ckpt.get("arch"), "step": ckpt.get("step"),
            "image_size": cfg.get("image_size"), "generator": cfg.get("generator"),
            "dataset_layers": recipe.get("layers"), "dataset_backbone": recipe.get("backbone")}


def checkpoint_name(path) -> str:
    """What the page calls a generator: its run's name (`00002-pix2pix-default/best.pt`), or
    `bundled generator` for the one in the package; never the server's full path."""
    from pathlib import Path

    from dreamgan.bundled import BUNDLED_GENERATOR

    path = Path(path)
    if path.resolve() == BUNDLED_GENERATOR.resolve():
        return "bundled generator"
    return f"{path.parent.name}/{path.name}" if path.suffix == ".pt" else path.name
