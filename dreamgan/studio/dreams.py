"""What the studio's jobs do: classical and fast dreams of stored images.

Both build on the CLI's own library calls (`DreamEngine`, `fast.fast_dream`) — there is no
second implementation. A job is built in two halves: everything that can be refused (ranges,
backbone, layers, class, channels) is checked when the request arrives, so the page gets a
4xx at once; the returned closure then does the slow work on the queue's worker thread.
"""
from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass, field
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
    video_mp4: bytes | None = field(default=None, repr=False)
    """A zoom's frames as an H.264 mp4 (the dream is its last frame)."""

    @functools.cached_property
    def dream_png(self) -> bytes:
        return png_bytes(self.dream_uint8, self.text)

    def overlay_png(self, alpha: float) -> bytes:
        return png_bytes(overlay_uint8(self.photo_uint8, self.dream_uint8, alpha), self.text)


def request_recipe(req, guide=None):
    """(`DreamConfig`, guide (1, 3, H, W) in [0, 1] or None) of a `DreamRequest` (or a
    `ZoomRequest`); the backbone must be a registered name, never a path on the server."""
    from dreamgan.dream.engine import DreamConfig
    from dreamgan.studio.catalogue import check_backbone

    check_backbone(req.backbone)
    config = DreamConfig(
        backbone=req.backbone, layers=tuple(req.layers), octaves=req.octaves, octave_scale=req.octave_scale,
        steps=req.steps, step_size=req.step_size, jitter=req.jitter,
        channels=tuple(req.channels) if req.channels else None, top_k=req.top_k, top_k_mode=req.top_k_mode,
        class_target=req.class_target or None, guide=f"studio:{guide.id}" if guide else None, seed=req.seed,
    )
    guide_x01 = uint8_to_x01(fit_longest_side(guide.uint8, req.max_side)) if guide else None
    return config, guide_x01


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

    from dreamgan.dream.engine import DreamEngine, octave_sizes
    from dreamgan.dream.files import recipe_text

    config, guide_x01 = request_recipe(req, guide)
    photo_uint8 = fit_longest_side(photo.uint8, req.max_side)
    engine = DreamEngine(config, guide_x01=guide_x01)  # resolves backbone, layers, class, channels and top-k now
    config = engine.config  # and the precision: auto → fp32 or bf16, as the PNG records it
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

    from dreamgan.fast import fast_dream, generator_text

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


def zoom_job(req, photo, guide=None, *, generator=None, ckpt: dict | None = None) -> Callable[[JobContext], DreamResult]:
    """Validate a `ZoomRequest` and return the job that makes the zoom (`video.zoom_frames`):
    every frame is the job's preview as it is made, and the result holds the last frame and
    the whole zoom as an mp4. Fast mode runs the studio's `generator` (with `ckpt`)."""
    from dreamgan.dream.files import png_text
    from dreamgan.video.dreamer import FrameDreamer, ZoomConfig, encode_frames, zoom_frames, zoom_photo

    cfg = ZoomConfig(mode=req.mode, frames=req.frames, zoom=req.zoom, rotate=req.rotate, frame_steps=req.frame_steps,
                     size=None, fps=req.fps, seed=req.seed)
    photo_uint8 = zoom_photo(fit_longest_side(photo.uint8, req.max_side), None)
    h, w = photo_uint8.shape[:2]
    if req.mode == "classical":
        config, guide_x01 = request_recipe(req, guide)
        dreamer = FrameDreamer("classical", (w, h), recipe=config, guide_x01=guide_x01)  # validates the recipe now
        recipe = {"zoom": asdict(cfg), "config": dreamer.recipe.to_dict()}
    else:
        dreamer = FrameDreamer("fast", (w, h), generator=(generator, ckpt), seed=req.seed)
        recipe = {"zoom": asdict(cfg), "generator": str(ckpt["path"]), "step": ckpt.get("step")}
    text = png_text(recipe)

    def run(ctx: JobContext) -> DreamResult:
        start = time.perf_counter()
        ctx.report(0.0, frame=0, frames=cfg.frames)
        frames = []

        done = [0.0]  # classical: the share of the zoom's ascent steps done (frame 0 weighs its whole recipe)

        def on_step(t: int, fraction: float) -> None:  # within a frame: progress, and where a cancel lands
            done[0] = fraction
            ctx.report(fraction, frame=t, frames=cfg.frames)

        for frame, _ in zoom_frames(photo_uint8, cfg, dreamer, on_step=on_step):
            frames.append(frame)
            fraction = done[0] if req.mode == "classical" else len(frames) / cfg.frames
            ctx.report(fraction, preview=png_bytes(frame, compress_level=1), frame=len(frames), frames=cfg.frames)
        seconds = time.perf_counter() - start
        return DreamResult(frames[-1], photo_uint8, text, recipe, seconds, video_mp4=encode_frames(frames, cfg.fps))

    return run
