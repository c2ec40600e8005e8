"""Reading and writing video: PyAV (FFmpeg inside the wheel) for files, PIL for frame folders
and GIFs. The one place for video I/O, as `images.py` is for images.

Frames are (H, W, 3) uint8 RGB. Every reader error (a corrupt, truncated or foreign file, no
video stream, no frames) becomes a one-line `VideoError`. Outputs are written atomically: to a
temporary file beside the target, renamed over it when complete.
"""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image

from dreamgan.errors import DreamganError
from dreamgan.fileio import atomic_path, refuse_non_file

MAX_PIXELS = 1920 * 1088
"""Largest frame dreamed without `--size` (1080p): a bigger video is refused with a hint."""

SEEK_AFTER_S = 2.0
"""A `--start` later than this seeks to the keyframe before it instead of decoding up to it."""

FOLDER_FPS = 25.0
"""Frame rate of a folder of frames when `--fps` is not given."""

_FRAME_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")


class VideoError(DreamganError):
    """A video that cannot be read or written."""


@dataclass(frozen=True)
class VideoInfo:
    """What a video source holds. `frames` is the container's count (None if it does not say)."""

    path: Path
    width: int
    height: int
    fps: Fraction
    frames: int | None
    duration: float | None
    has_audio: bool
    is_folder: bool = False


def _av_error(path: Path, e: Exception) -> VideoError:
    import av

    if isinstance(e, av.EOFError):
        return VideoError(f"{path}: no frames (the file ends before its first frame: empty or truncated)")
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return VideoError(f"{path}: not a readable video ({text[:160]})")


def _folder_frames(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.suffix.lower() in _FRAME_SUFFIXES and not p.name.startswith("."))


def probe_video(path: str | os.PathLike, *, fps: float | None = None) -> VideoInfo:
    """Open a video file (anything FFmpeg reads: mp4, mov, webm, gif, …) or a folder of frames
    and say what it holds.

    Raises:
        VideoError: no such file, not a video, no video stream, or no frames.
    """
    path = Path(path)
    if path.is_dir():
        files = _folder_frames(path)
        if not files:
            raise VideoError(f"{path}: a folder with no frames (png, jpg, webp, …)")
        from dreamgan.images import load_image

        first = load_image(files[0])
        rate = Fraction(fps or FOLDER_FPS).limit_denominator(1001)
        return VideoInfo(path, first.shape[1], first.shape[0], rate, len(files), len(files) / float(rate), False, True)
    if not path.is_file():
        raise VideoError(f"no video at {path}")
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError(f"{path}: no video stream" + (" (audio only)" if container.streams.audio else ""))
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or Fraction(FOLDER_FPS)
            duration = float(stream.duration * stream.time_base) if stream.duration else (
                container.duration / 1e6 if container.duration else None)
            width, height = stream.codec_context.width, stream.codec_context.height
            frames = stream.frames or None
            has_audio = bool(container.streams.audio)
    except VideoError:
        raise
    except (av.FFmpegError, OSError, ValueError) as e:
        raise _av_error(path, e) from None
    if not width or not height:
        raise VideoError(f"{path}: its video stream has no frame size")
    return VideoInfo(path, width, height, Fraction(fps).limit_denominator(1001) if fps else Fraction(rate), frames,
                     duration, has_audio)


def output_size(info: VideoInfo, size: int | None) -> tuple[int, int]:
    """(width, height) of the dreamed frames: the longest side fitted to `size` px (never
    enlarged), both even (H.264's 4:2:0 needs it).

    Raises:
        VideoError: a frame over `MAX_PIXELS` without `size`.
    """
    w, h = info.width, info.height
    if size is None and w * h > MAX_PIXELS:
        raise VideoError(f"{info.path}: {w}x{h} frames are too big to dream ({w * h / 1e6:.1f} MP, the limit is "
                         f"{MAX_PIXELS / 1e6:.1f} MP); scale them down with --size, e.g. --size 1280")
    if size is not None:
        if size < 16:
            raise VideoError(f"--size must be at least 16 px, got {size}")
        scale = min(1.0, size / max(w, h))
        w, h = max(2, round(w * scale)), max(2, round(h * scale))
    return w - w % 2, h - h % 2


def read_frames(info: VideoInfo, size: tuple[int, int], *, start: float = 0.0, duration: float | None = None,
                max_frames: int | None = None) -> Iterator[np.ndarray]:
    """The frames of `info` from `start` seconds for `duration` seconds (at most `max_frames`),
    resized to `size` = (width, height): (H, W, 3) uint8 each. With a frame rate other than the
    file's (`probe_video(fps=)`), frames are dropped or repeated to keep time.

    Raises:
        VideoError: the file breaks while decoding (corrupt or truncated), or no frame is in
            the range.
    """
    end = None if duration is None else start + duration
    rate = float(info.fps)
    count = 0

    def fit(frame) -> np.ndarray:
        if not isinstance(frame, np.ndarray):  # a decoded PyAV frame: converted only if it is shown
            frame = frame.to_ndarray(format="rgb24")
        if (frame.shape[1], frame.shape[0]) == size:
            return frame
        return np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.LANCZOS))

    def timed() -> Iterator[tuple[float, np.ndarray]]:
        if info.is_folder:
            from dreamgan.images import load_image

            for i, p in enumerate(_folder_frames(info.path)):
                yield i / rate, load_image(p)
            return
        import av

        try:
            with av.open(str(info.path)) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                origin = stream.start_time or 0  # times count from the stream's first frame
                if start > SEEK_AFTER_S:  # jump to the keyframe before start instead of decoding up to it
                    container.seek(origin + int((start - 1.0) / stream.time_base), stream=stream, backward=True)
                for i, frame in enumerate(container.decode(stream)):
                    t = float((frame.pts - origin) * stream.time_base) if frame.pts is not None else None
                    if t is None and start > SEEK_AFTER_S:
                        raise VideoError(f"{info.path}: its frames carry no timestamps, so --start cannot find "
                                         f"{start:g} s; cut the video first or use --start ≤ {SEEK_AFTER_S:g}")
                    yield (i / rate if t is None else t), frame
        except VideoError:
            raise
        except (av.FFmpegError, OSError, ValueError) as e:
            raise _av_error(info.path, e) from None

    # Output frame k shows the newest input frame at or before start + k / rate (times from the
    # stream's first frame): the same frames at the file's rate, dropped or repeated at another.
    eps = 0.1 / rate

    def done(k: int) -> bool:
        return (end is not None and start + k / rate >= end - 1e-9) or (max_frames is not None and k >= max_frames)

    held, held_t, period = None, 0.0, 1 / rate
    for t, frame in timed():
        while held is not None and t > start + count / rate + eps:
            if done(count):
                return
            yield fit(held)
            count += 1
        if done(count):
            return
        if held is not None and t > held_t:
            period = t - held_t  # the input's frame period, for how long the last frame lasts
        held, held_t = frame, t
    # the last frame shows until its own period is over
    while held is not None and not done(count) and start + count / rate < held_t + period - eps:
        yield fit(held)
        count += 1
    if count == 0:
        raise VideoError(f"{info.path}: no frames" + (f" from {start:g} s (is --start past the end?)" if start else ""))


def write_mp4(path: str | os.PathLike, frames: Iterator[np.ndarray], fps: Fraction, *,
              audio_from: VideoInfo | None = None, start: float = 0.0, duration: float | None = None,
              crf: int = 18) -> int:
    """Encode frames ((H, W, 3) uint8, even sizes) as H.264 (yuv420p) in an mp4 at `fps`,
    atomically; with `audio_from`, its audio track from `start` for `duration` seconds (AAC).
    Returns the number of frames written.

    Raises:
        VideoError: the output cannot be encoded or written.
    """
    import av

    path = Path(path)
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise VideoError(f"{path}: no frames to write")
    written = 0
    try:
        with atomic_path(path) as tmp:
            with av.open(str(tmp), "w", format="mp4") as out:
                # every stream is added before the first packet is muxed
                stream = out.add_stream("libx264", rate=fps)
                stream.width, stream.height = first.shape[1], first.shape[0]
                stream.pix_fmt = "yuv420p"
                # mbtree off: its float lookahead depends on the CPU's denormal mode, which torch
                # changes, so the same frames would not always encode to the same video
                stream.options = {"crf": str(crf), "preset": "medium", "x264-params": "mbtree=0"}
                audio = _AudioCopy(out, audio_from.path, start, duration) if audio_from is not None and audio_from.has_audio else None
                for frame in itertools.chain([first], frames):
                    for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                        out.mux(packet)
                    written += 1
                out.mux(stream.encode(None))
                if audio is not None:
                    audio.copy()
    except VideoError:
        raise
    except (av.FFmpegError, OSError, ValueError) as e:
        raise VideoError(f"cannot write {path}: {str(e).splitlines()[0][:160]}") from None
    return written


class _AudioCopy:
    """`source`'s first audio track between start and start + duration, re-encoded as AAC into
    the open output container `out` (AAC plays in every mp4 player; the source may be Opus, …).
    The stream is added on construction, before anything is muxed."""

    def __init__(self, out, source: Path, start: float, duration: float | None):
        import av

        self.out, self.source, self.start = out, source, start
        self.end = None if duration is None else start + duration
        with av.open(str(source)) as container:
            ctx = container.streams.audio[0].codec_context
            self.rate = ctx.sample_rate or 44100
            self.layout = ctx.layout.name if ctx.layout else "stereo"
        self.stream = out.add_stream("aac", rate=self.rate)
        self.stream.layout = self.layout
        self.resampler = av.AudioResampler(format="fltp", layout=self.layout, rate=self.rate)

    def copy(self) -> None:
        import av

        with av.open(str(self.source)) as container:
            audio = container.streams.audio[0]
            first_t = None
            for frame in container.decode(audio):
                t = float(frame.pts * audio.time_base) if frame.pts is not None else 0.0
                first_t = t if first_t is None else first_t
                t -= first_t  # times from the track's start, as the video's frames are
                if t + frame.samples / self.rate <= self.start:
                    continue
                if self.end is not None and t >= self.end:
                    break
                for resampled in self.resampler.resample(frame):
                    resampled.pts = None
                    for packet in self.stream.encode(resampled):
                        self.out.mux(packet)
        for packet in self.stream.encode(None):
            self.out.mux(packet)


def write_gif(path: str | os.PathLike, frames: list[np.ndarray], fps: float) -> int:
    """Frames as a looping GIF (PIL; 256 colours per frame), atomically. Returns the count."""
    path = Path(path)
    if not frames:
        raise VideoError(f"{path}: no frames to write")
    images = [Image.fromarray(f) for f in frames]
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
    return len(images)


def write_y4m(path: str | os.PathLike, frames: list[np.ndarray], fps: int = 10) -> Path:
    """Frames (H, W, 3) uint8 RGB, H and W even → a YUV4MPEG2 file (4:2:0, full-range BT.601,
    `C420jpeg`): what Chromium's fake camera plays (`--use-file-for-fake-video-capture`), for the
    mirror's browser test and README's screenshot. Written atomically."""
    h, w = frames[0].shape[:2]
    if h % 2 or w % 2 or any(f.shape != (h, w, 3) or f.dtype != np.uint8 for f in frames):
        raise DreamganError(f"y4m frames must all be (H, W, 3) uint8 with even H and W, got {frames[0].shape}")
    with atomic_path(Path(path)) as tmp, open(tmp, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            ycbcr = np.asarray(Image.fromarray(frame).convert("YCbCr"))
            chroma = ycbcr[..., 1:].reshape(h // 2, 2, w // 2, 2, 2).astype(np.float32).mean(axis=(1, 3)).round().astype(np.uint8)
            f.write(b"FRAME\n" + ycbcr[..., 0].tobytes() + chroma[..., 0].tobytes() + chroma[..., 1].tobytes())
    return Path(path)


def check_output(path: str | os.PathLike, suffixes: tuple[str, ...] = (".mp4",)) -> Path:
    """`path` as an output file: a known suffix, and a folder that exists (or can be made) and
    takes files. Checked before any dreaming starts.

    Raises:
        VideoError: another suffix, or a folder that cannot be written.
    """
    from dreamgan.fileio import ensure_writable_dir

    path = Path(path)
    if path.suffix.lower() not in suffixes:
        raise VideoError(f"{path}: the output must end in {' or '.join(suffixes)}")
    if path.is_dir():
        raise VideoError(f"{path} is a folder; give a file name such as {path / ('dream' + suffixes[0])}")
    refuse_non_file(path)
    try:
        ensure_writable_dir(path.parent)
    except DreamganError as e:
        raise VideoError(str(e)) from None
    return path


def read_video(path: str | os.PathLike) -> tuple[list[np.ndarray], Fraction]:
    """All frames of a (small) video and its frame rate: for tests and checks."""
    info = probe_video(path)
    return list(read_frames(info, (info.width, info.height))), info.fps


__all__ = ["FOLDER_FPS", "MAX_PIXELS", "VideoError", "VideoInfo", "check_output", "output_size", "probe_video",
           "read_frames", "read_video", "write_gif", "write_mp4"]
