"""Dream videos and infinite zooms, frame after frame, with the motifs carried along the motion.

Per-frame DeepDream flickers: every frame grows different motifs. The fix of DeepDreamVideo
and DeepDreamAnim is to carry the previous dream onto the new frame along the optical flow
between the two input frames. Here the *change* the dream made (dream − photo) is what is
carried, so the old frame's scene never ghosts over the new one:

  classical:  start_t = frame_t + blend · warp(dream_{t-1} − frame_{t-1}),
              dream_t = engine(start_t)                      (every engine option applies)
  fast:       gen_t   = G(frame_t, noise_t),  noise_t = the video's one noise field moved
                                                      along every flow so far (`NoiseField`)
              dream_t = frame_t + (1 − blend) · (gen_t − frame_t)
                                + blend · warp(dream_{t-1} − frame_{t-1})

`--flow none` carries the change without moving it (and leaves the noise in place);
`--blend 0` dreams every frame on its own.

The zoom (Google's infinite zoom) dreams a photo, then repeats: zoom in (and rotate) about the
centre, dream a few more steps (classical) or one more pass (fast) on the zoomed dream.

Frames are kept as they are made (`FrameCache`), so a killed job continues where it stopped;
the carried dream is always the saved uint8 frame, so a continued job makes the same frames.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch

from dreamgan.errors import require
from dreamgan.fileio import refuse_same_file
from dreamgan.images import uint8_to_x01, x01_to_uint8
from dreamgan.video.cache import FrameCache, default_cache_dir
from dreamgan.video.io import VideoError, check_output, output_size, probe_video, read_frames, write_gif, write_mp4
from dreamgan.video.motion import FLOWS, NoiseField, optical_flow, warp, zoom_flow

MODES = ("classical", "fast")
OUTPUTS = (".mp4", ".gif")


@dataclass(frozen=True)
class VideoConfig:
    """How a video is dreamed (the engine's recipe and the generator come separately)."""

    mode: str = "classical"
    """classical (the engine on every frame) or fast (the generator: one forward pass a frame)."""
    blend: float = 0.5
    """How much of the previous frame's dream is carried onto the next, in [0, 1] (0 = none)."""
    flow: str = "dis"
    """dis or farneback (OpenCV optical flows; `motion.optical_flow`) or none (carry the dream without moving it)."""
    size: int | None = None
    """Longest side of the dreamed frames in px (None = the video's, up to 1080p)."""
    fps: float | None = None
    """Frame rate of the output (None = the input's); frames are dropped or repeated to keep time."""
    start: float = 0.0
    """Seconds into the input where the dream starts."""
    duration: float | None = None
    """Seconds of input to dream (None = to the end)."""
    max_frames: int | None = None
    seed: int = 0
    """fast: the noise seed (one noise field per video); the engine's jitter seed is the recipe's."""

    def __post_init__(self):
        checks = [(self.mode in MODES, f"--mode must be one of {', '.join(MODES)}"),
                  (0.0 <= self.blend <= 1.0, f"--blend must be in [0, 1], got {self.blend}"),
                  (self.flow in FLOWS, f"--flow must be one of {', '.join(FLOWS)}"),
                  (self.fps is None or 0 < self.fps <= 240, "--fps must be in (0, 240]"),
                  (self.start >= 0, "--start must be ≥ 0"),
                  (self.duration is None or self.duration > 0, "--duration must be > 0"),
                  (self.max_frames is None or self.max_frames >= 1, "--max-frames must be ≥ 1")]
        require(checks)


@dataclass
class VideoReport:
    out: Path
    frames: int
    fps: float
    made: int = 0
    """Frames dreamed in this run (the others came from the frame cache of an earlier one)."""
    seconds: float = 0.0
    frames_dir: Path | None = None
    has_audio: bool = False


class FrameDreamer:
    """Dreams one frame (1, 3, H, W) in [0, 1]: with the engine (classical) or the generator
    (fast; its noise, if it takes any, is a `NoiseField` that follows the motion)."""

    def __init__(self, mode: str, size: tuple[int, int], *, recipe=None, checkpoint=None, runtime: str = "auto", seed: int = 0,
                 generator: tuple | None = None, guide_x01: torch.Tensor | None = None):
        """`generator` = an already loaded (G, checkpoint dict) for fast (the studio's);
        `guide_x01` = a guide image for a guided recipe (else read from the recipe's path)."""
        self.mode = mode
        self.noise = None
        if mode == "classical":
            from dreamgan.dream.config import DreamConfig
            from dreamgan.dream.engine import DreamEngine

            self.engine = DreamEngine(recipe or DreamConfig(), guide_x01=guide_x01)
            self.recipe = self.engine.config  # precision auto resolved: what job.json records
        else:
            from dreamgan.fast import load_fast_generator

            self.g, self.ckpt = generator if generator is not None else load_fast_generator(checkpoint, runtime=runtime)
            geometry = getattr(self.g, "geometry", None)
            if geometry is not None and any(geometry.noise_per_level):
                self.noise = NoiseField(geometry, size[1], size[0], seed)

    def describe(self) -> dict:
        """What makes the pixels, for the frame cache's job.json."""
        if self.mode == "classical":
            return {"recipe": self.recipe.to_dict()}
        from dreamgan.fileio import sha256_file

        return {"generator": str(self.ckpt["path"]), "generator_sha256": sha256_file(self.ckpt["path"])}

    def move(self, flow: np.ndarray | None) -> None:
        if self.noise is not None:
            self.noise.move(flow)

    @torch.no_grad()
    def generate(self, x01: torch.Tensor) -> torch.Tensor:
        """fast: the generator's dream of x01 with this frame's noise."""
        if self.noise is not None:
            return self.g.dream_with_noise(x01, self.noise.noises())
        return self.g(x01)

    def dream(self, x01: torch.Tensor, engine=None, progress=None) -> torch.Tensor:
        """The dream of x01: the engine (or `engine`, e.g. a few-step one) or the generator.
        `progress(Progress)` is called after every ascent step (classical); what it raises (a
        cancel) stops the dream there."""
        if self.mode == "classical":
            return (engine or self.engine).run(x01, progress)
        return self.generate(x01)

    def step_engine(self, steps: int):
        """classical: an engine of the same recipe with one octave of `steps` steps (the zoom's)."""
        from dreamgan.dream.engine import DreamEngine

        return DreamEngine(self.recipe.replace(octaves=1, steps=steps), objective=self.engine.objective)


def _source_key(path: Path) -> dict:
    from dreamgan.fileio import sha256_file

    if path.is_dir():
        files = sorted((p.name, p.stat().st_size) for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        return {"folder": str(path.resolve()), "files": files}
    return {"file": path.name, "sha256": sha256_file(path)}


def _estimate_frames(info, cfg: VideoConfig) -> int | None:
    rate = float(info.fps)
    n = None
    if cfg.duration is not None:
        n = math.ceil(cfg.duration * rate - 1e-6)
    elif info.duration:
        n = max(1, round((info.duration - cfg.start) * rate))
    if cfg.max_frames is not None:
        n = cfg.max_frames if n is None else min(n, cfg.max_frames)
    return n


def _write(out: Path, frames, fps: float, **audio) -> int:
    if out.suffix.lower() == ".gif":
        return write_gif(out, list(frames), fps)
    from fractions import Fraction

    return write_mp4(out, frames, Fraction(fps).limit_denominator(1001), **audio)


def dream_video(source: str | os.PathLike, out: str | os.PathLike, cfg: VideoConfig, *, recipe=None,
                checkpoint=None, runtime: str = "auto", frames_dir: str | os.PathLike | None = None,
                on_plan: Callable[[int | None, int], None] | None = None,
                on_frame: Callable[[int, bool], None] | None = None) -> VideoReport:
    """Dream a video file (anything FFmpeg reads) or a folder of frames into `out` (.mp4 with
    H.264 and the input's audio, or .gif).

    `recipe` is the engine's `DreamConfig` (classical); `checkpoint` / `runtime` pick the
    generator (fast; None = the bundled one). Frames are kept in `frames_dir` (default: a
    hidden folder beside `out`, removed once `out` is written). `on_plan(total or None,
    already_done)` and `on_frame(frames_done, was_cached)` report progress.

    Raises:
        DreamganError / VideoError: bad options, an output that cannot be written (before any
            dreaming), an unreadable or empty video, frames too big without `size`.
    """
    refuse_same_file(out, source)  # before anything is read: `-o` the source would destroy it
    out = check_output(out, OUTPUTS)
    source = Path(source)
    info = probe_video(source, fps=cfg.fps)
    size = output_size(info, cfg.size)
    dreamer = FrameDreamer(cfg.mode, size, recipe=recipe, checkpoint=checkpoint, runtime=runtime, seed=cfg.seed)
    # the frames of a job depend on everything but how far it goes (duration, max frames)
    job = {"kind": "video", "source": _source_key(source), "size": size, "fps": float(info.fps),
           **{k: v for k, v in asdict(cfg).items() if k not in ("duration", "max_frames", "size", "fps")},
           **dreamer.describe()}
    cache = FrameCache(frames_dir or default_cache_dir(out), job, keep=frames_dir is not None)
    report = VideoReport(out, 0, float(info.fps), frames_dir=cache.folder if cache.keep else None, has_audio=info.has_audio)
    if on_plan:
        on_plan(_estimate_frames(info, cfg), 0)
    t0 = time.perf_counter()
    prev_frame = prev_dream = None
    for t, frame in enumerate(read_frames(info, size, start=cfg.start, duration=cfg.duration, max_frames=cfg.max_frames)):
        cached = cache.get(t)
        flow = None
        if t > 0 and (cached is None or dreamer.noise is not None):
            flow = optical_flow(frame, prev_frame, cfg.flow)
        if cached is not None:
            dreamer.move(flow)  # the noise follows the motion even over frames dreamed before
            dream_uint8 = cached
        else:
            x = uint8_to_x01(frame)
            carried = None
            if t > 0 and cfg.blend > 0:
                carried = warp(uint8_to_x01(prev_dream) - uint8_to_x01(prev_frame), flow)  # the last dream's change, moved
            if cfg.mode == "classical":
                start = x if carried is None else (x + cfg.blend * carried).clamp(0, 1)
                dream = dreamer.dream(start)
            else:
                dreamer.move(flow)
                gen = dreamer.generate(x)
                dream = gen if carried is None else (x + (1 - cfg.blend) * (gen - x) + cfg.blend * carried).clamp(0, 1)
            dream_uint8 = x01_to_uint8(dream)
            cache.put(t, dream_uint8)
            report.made += 1
        prev_frame, prev_dream = frame, dream_uint8
        report.frames = t + 1
        if on_frame:
            on_frame(t + 1, cached is not None)
    report.seconds = time.perf_counter() - t0
    _write(out, cache.frames(report.frames), float(info.fps), audio_from=info if info.has_audio else None,
           start=cfg.start, duration=report.frames / float(info.fps))
    cache.finish()
    return report


@dataclass(frozen=True)
class ZoomConfig:
    """An infinite zoom: how many frames, how much zoom and turn per frame."""

    mode: str = "classical"
    frames: int = 100
    zoom: float = 1.05
    """Scale per frame (> 1 zooms in)."""
    rotate: float = 0.0
    """Degrees per frame, counter-clockwise."""
    frame_steps: int = 5
    """classical: ascent steps (one octave) on each zoomed frame after the first, fully dreamed one."""
    blend: float = 0.0
    """fast: keep this much of the zoomed frame unchanged, in [0, 1] (damps the dream growing on itself)."""
    size: int | None = 299
    """Longest side in px (None = the photo's)."""
    fps: float = 25.0
    seed: int = 0

    def __post_init__(self):
        checks = [(self.mode in MODES, f"--mode must be one of {', '.join(MODES)}"),
                  (self.frames >= 1, "--frames must be ≥ 1"),
                  (0.5 <= self.zoom <= 2.0, "--zoom must be in [0.5, 2] (1.05 zooms in 5 % a frame)"),
                  (abs(self.rotate) <= 45, "--rotate must be within ±45 degrees a frame"),
                  (self.frame_steps >= 1, "--frame-steps must be ≥ 1"),
                  (0.0 <= self.blend < 1.0, "--blend must be in [0, 1)"),
                  (0 < self.fps <= 240, "--fps must be in (0, 240]")]
        require(checks)


def zoom_photo(uint8: np.ndarray, size: int | None) -> np.ndarray:
    """The photo as the zoom's first frame: longest side fitted to `size`, even sides."""
    from dreamgan.images import fit_longest_side, resize_uint8

    if size is not None:
        h, w = uint8.shape[:2]
        scale = size / max(h, w)
        uint8 = resize_uint8(uint8, (max(2, round(w * scale)), max(2, round(h * scale)))) if scale != 1 else uint8
    else:
        uint8 = fit_longest_side(uint8, 4096)
    h, w = uint8.shape[:2]
    return np.ascontiguousarray(uint8[: h - h % 2, : w - w % 2])


def zoom_frames(photo: np.ndarray, cfg: ZoomConfig, dreamer: FrameDreamer,
                cache: FrameCache | None = None, on_step: Callable[[int, float], None] | None = None) -> Iterator[tuple[np.ndarray, bool]]:
    """The zoom's frames one by one, as (frame (H, W, 3) uint8, taken from `cache`): frame 0
    the photo's dream, then zoom, rotate and dream again (see `dream_zoom`). With a cache,
    frames found there are reused and new ones are saved.

    `on_step(frame, fraction)`: after every ascent step of a classical frame, the share of the
    whole zoom's steps done, in [0, 1] (frame 0's full recipe counts its octaves × steps); an
    exception it raises (a cancel) stops the zoom within one step, not one frame."""
    h, w = photo.shape[:2]
    step_engine = dreamer.step_engine(cfg.frame_steps) if cfg.mode == "classical" else None
    first = dreamer.engine.total_steps(h, w) if step_engine is not None else 1
    later = cfg.frame_steps if step_engine is not None else 1
    total = first + (cfg.frames - 1) * later

    def progress_of(t: int):
        if on_step is None:
            return None
        before = 0 if t == 0 else first + (t - 1) * later
        return lambda p: on_step(t, (before + p.step) / total)

    flow = zoom_flow(h, w, cfg.zoom, cfg.rotate)
    prev = None
    for t in range(cfg.frames):
        if t > 0:
            dreamer.move(flow)
        frame = cache.get(t) if cache is not None else None
        was_cached = frame is not None
        if frame is None:
            if t == 0:
                dream = dreamer.dream(uint8_to_x01(photo), progress=progress_of(0))
            else:
                x = warp(uint8_to_x01(prev), flow)
                if cfg.mode == "classical":
                    dream = dreamer.dream(x, step_engine, progress_of(t))
                else:
                    dream = (x + (1 - cfg.blend) * (dreamer.generate(x) - x)).clamp(0, 1)
            frame = x01_to_uint8(dream)
            if cache is not None:
                cache.put(t, frame)
        prev = frame
        yield frame, was_cached


def dream_zoom(image: str | os.PathLike, out: str | os.PathLike, cfg: ZoomConfig, *, recipe=None, checkpoint=None,
               runtime: str = "auto", frames_dir: str | os.PathLike | None = None,
               on_plan: Callable[[int | None, int], None] | None = None,
               on_frame: Callable[[int, bool], None] | None = None) -> VideoReport:
    """Google's infinite zoom of a photo into `out` (.mp4 or .gif): frame 0 is its dream (the
    full recipe, or the generator), then each frame zooms into the last one about the centre
    (`cfg.zoom`, `cfg.rotate`) and dreams on it: `cfg.frame_steps` steps of one octave
    (classical) or one more generator pass with the noise zoomed along (fast).

    Raises:
        DreamganError: bad options, an unreadable photo, an output that cannot be written.
    """
    from dreamgan.fileio import sha256_file
    from dreamgan.images import load_image

    refuse_same_file(out, image)
    out = check_output(out, OUTPUTS)
    photo = zoom_photo(load_image(image), cfg.size)
    h, w = photo.shape[:2]
    dreamer = FrameDreamer(cfg.mode, (w, h), recipe=recipe, checkpoint=checkpoint, runtime=runtime, seed=cfg.seed)
    job = {"kind": "zoom", "source": {"file": Path(image).name, "sha256": sha256_file(image)}, "size": [w, h],
           **{k: v for k, v in asdict(cfg).items() if k not in ("frames", "fps")}, **dreamer.describe()}
    cache = FrameCache(frames_dir or default_cache_dir(out), job, keep=frames_dir is not None)
    report = VideoReport(out, cfg.frames, cfg.fps, frames_dir=cache.folder if cache.keep else None)
    if on_plan:
        on_plan(cfg.frames, 0)
    t0 = time.perf_counter()
    for t, (_, was_cached) in enumerate(zoom_frames(photo, cfg, dreamer, cache)):
        report.made += not was_cached
        if on_frame:
            on_frame(t + 1, was_cached)
    report.seconds = time.perf_counter() - t0
    _write(out, cache.frames(cfg.frames), cfg.fps)
    cache.finish()
    return report


def encode_frames(frames: list[np.ndarray], fps: float, suffix: str = ".mp4") -> bytes:
    """Frames as the bytes of an mp4 (H.264) or gif file (for the studio's downloads)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"video{suffix}"
        _write(path, iter(frames), fps)
        return path.read_bytes()


def undreamed_zoom(image: str | os.PathLike, cfg: ZoomConfig) -> list[np.ndarray]:
    """The same zoom applied to the photo without dreaming: the baseline a zoom's frames beat."""
    from dreamgan.images import load_image

    x = uint8_to_x01(zoom_photo(load_image(image), cfg.size))
    flow = zoom_flow(x.shape[-2], x.shape[-1], cfg.zoom, cfg.rotate)
    frames = []
    for t in range(cfg.frames):
        if t > 0:
            x = uint8_to_x01(x01_to_uint8(warp(x, flow)))
        frames.append(x01_to_uint8(x))
    return frames


__all__ = ["MODES", "FrameDreamer", "VideoConfig", "VideoError", "VideoReport", "ZoomConfig", "dream_video", "dream_zoom",
           "encode_frames", "undreamed_zoom", "zoom_frames"]
