"""`dreamgan video IN -o OUT.mp4` and `dreamgan zoom IMG -o OUT.mp4`: dreams that move."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dreamgan.cli.options import engine_options
from dreamgan.cli.root import app

Opt = typer.Option
ModeOpt = Annotated[str, Opt(help="classical (the engine on every frame) or fast (the generator: one forward pass a frame).")]
CheckpointOpt = Annotated[Optional[Path], Opt("--checkpoint", "-c", help="fast: a run directory or .pt (default: the bundled generator).")]
RuntimeOpt = Annotated[str, Opt(help="fast: auto (ONNX Runtime when installed), torch or onnx.")]
FramesOpt = Annotated[Optional[Path], Opt("--frames-dir", help="Keep the dreamed frames (PNG) in this folder (default: a hidden folder, removed when done).")]


@app.command("video")
@engine_options
def video_command(
    source: Annotated[Path, typer.Argument(help="A video (mp4, mov, webm, gif, … anything FFmpeg reads) or a folder of frames.")],
    out: Annotated[Path, Opt("--out", "-o", help="The dreamed video: .mp4 (H.264, with the input's audio) or .gif.")] = Path("dream.mp4"),
    mode: ModeOpt = "classical",
    checkpoint: CheckpointOpt = None,
    runtime: RuntimeOpt = "auto",
    blend: Annotated[float, Opt(help="How much of the previous frame's dream is carried onto the next (0 = every frame alone).")] = 0.5,
    flow: Annotated[str, Opt(help="Optical flow the dream is carried along: dis (accurate), farneback, or none.")] = "dis",
    size: Annotated[Optional[int], Opt(help="Longest side of the dreamed frames in px (default: the video's, up to 1080p).")] = None,
    fps: Annotated[Optional[float], Opt(help="Output frame rate (default: the input's; a folder of frames: 25).")] = None,
    start: Annotated[float, Opt(help="Seconds into the video where the dream starts.")] = 0.0,
    duration: Annotated[Optional[float], Opt(help="Seconds of video to dream (default: to the end).")] = None,
    max_frames: Annotated[Optional[int], Opt(help="Dream at most this many frames.")] = None,
    frames_dir: FramesOpt = None,
    recipe=None,
):
    """Dream a video frame by frame, each frame carrying the last one's dream along the optical
    flow (no flicker); Ctrl-C keeps the frames made, and the same command continues."""
    from dreamgan.cli.progress import frame_callbacks, job_progress
    from dreamgan.video import VideoConfig, dream_video

    cfg = VideoConfig(mode=mode, blend=blend, flow=flow, size=size, fps=fps, start=start, duration=duration,
                      max_frames=max_frames, seed=recipe.seed)
    with job_progress() as bar:
        report = dream_video(source, out, cfg, recipe=recipe, checkpoint=checkpoint, runtime=runtime, frames_dir=frames_dir,
                             **frame_callbacks(bar))
    reused = report.frames - report.made
    typer.echo(f"{report.out}: {report.frames} frames at {report.fps:g} fps" + (" with audio" if report.has_audio else "")
               + (f" ({reused} reused from an interrupted run)" if reused else ""))


@app.command("zoom")
@engine_options
def zoom_command(
    image: Annotated[Path, typer.Argument(help="The photo to zoom into.")],
    out: Annotated[Path, Opt("--out", "-o", help="The zoom: .mp4 (H.264) or .gif.")] = Path("zoom.mp4"),
    frames: Annotated[int, Opt(help="Number of frames.")] = 100,
    zoom: Annotated[float, Opt(help="Scale per frame (1.05 = 5 % closer every frame).")] = 1.05,
    rotate: Annotated[float, Opt(help="Degrees per frame, counter-clockwise.")] = 0.0,
    frame_steps: Annotated[int, Opt(help="classical: ascent steps on each zoomed frame after the first, fully dreamed one.")] = 5,
    blend: Annotated[float, Opt(help="fast: keep this much of each zoomed frame unchanged (damps the dream growing on itself).")] = 0.0,
    mode: ModeOpt = "classical",
    checkpoint: CheckpointOpt = None,
    runtime: RuntimeOpt = "auto",
    size: Annotated[int, Opt(help="Longest side in px.")] = 299,
    fps: Annotated[float, Opt(help="Frame rate of the output.")] = 25.0,
    frames_dir: FramesOpt = None,
    recipe=None,
):
    """Google's infinite zoom: dream, zoom in, dream again, repeat; Ctrl-C keeps the frames
    made, and the same command continues (or goes further with a larger --frames)."""
    from dreamgan.cli.progress import frame_callbacks, job_progress
    from dreamgan.video import ZoomConfig, dream_zoom

    cfg = ZoomConfig(mode=mode, frames=frames, zoom=zoom, rotate=rotate, frame_steps=frame_steps, blend=blend, size=size,
                     fps=fps, seed=recipe.seed)
    with job_progress() as bar:
        report = dream_zoom(image, out, cfg, recipe=recipe, checkpoint=checkpoint, runtime=runtime, frames_dir=frames_dir,
                            **frame_callbacks(bar))
    typer.echo(f"{report.out}: {report.frames} frames at {report.fps:g} fps")
