"""`dreamgan video` and `dreamgan zoom`: frame counts and rates, flicker, resume, audio, the
zoom's dreams, and every bad input as one line."""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import skimage.data
from PIL import Image
from typer.testing import CliRunner

from dreamgan.cli.root import app
from dreamgan.dream import DreamConfig
from dreamgan.errors import DreamganError
from dreamgan.video import VideoConfig, ZoomConfig, dream_video, dream_zoom
from dreamgan.video.dreamer import undreamed_zoom
from dreamgan.video.io import VideoError, probe_video, read_frames, read_video, write_mp4

DX, DY = 3, 1  # the clip's true motion, px per frame
TINY = DreamConfig(backbone="tiny", layers=("conv2",), octaves=1, steps=4, tile=0)


def textured_clip(n: int = 10, size=(96, 64)) -> list[np.ndarray]:
    """A photo's texture translating (DX, DY) px a frame: frame t+1 at (x, y) is frame t at (x + DX, y + DY)."""
    tex = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((400, 400)))
    return [np.ascontiguousarray(tex[40 + i * DY:40 + i * DY + size[1], 40 + i * DX:40 + i * DX + size[0]]) for i in range(n)]


def write_clip(path, frames, fps=12, audio_seconds: float | None = None):
    """An H.264 mp4 of `frames`, with a 440 Hz AAC tone if `audio_seconds`."""
    write_mp4(path, iter(frames), Fraction(fps))
    if audio_seconds:
        video = path.with_suffix(".noaudio.mp4")
        path.rename(video)
        with av.open(str(video)) as src, av.open(str(path), "w") as out:
            v_in = src.streams.video[0]
            v_out = out.add_stream_from_template(v_in)
            a_out = out.add_stream("aac", rate=44100)
            a_out.layout = "mono"
            for packet in src.demux(v_in):
                if packet.dts is not None:
                    packet.stream = v_out
                    out.mux(packet)
            t = np.arange(int(44100 * audio_seconds)) / 44100
            frame = av.AudioFrame.from_ndarray((0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None], format="fltp", layout="mono")
            frame.sample_rate = 44100
            for packet in a_out.encode(frame):
                out.mux(packet)
            for packet in a_out.encode(None):
                out.mux(packet)
    return path


def flicker(frames: list[np.ndarray]) -> float:
    """Mean |difference| of consecutive frames after undoing the true motion (interior only)."""
    return float(np.mean([np.abs(frames[t][:-DY, :-DX].astype(float) - frames[t - 1][DY:, DX:].astype(float)).mean()
                          for t in range(1, len(frames))]))


def _frames(folder, n):
    return [np.asarray(Image.open(folder / f"frame-{i:06d}.png")) for i in range(n)]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", textured_clip(10))


def test_fast_video_has_the_frames_and_rate_of_its_input_as_h264(clip, tmp_path):
    report = dream_video(clip, tmp_path / "out.mp4", VideoConfig(mode="fast"))
    frames, fps = read_video(tmp_path / "out.mp4")
    assert report.frames == len(frames) == 10 and fps == 12
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert c.streams.video[0].codec_context.name == "h264" and c.format.name.startswith("mov,mp4")
    photos, _ = read_video(clip)
    assert np.abs(frames[0].astype(float) - photos[0]).mean() > 3, "the frames are dreamed"
    assert not any(tmp_path.glob(".*.frames")), "the hidden frame cache is removed once the video is written"


@pytest.mark.parametrize("mode", ["fast", "classical"])
def test_carrying_the_dream_along_the_flow_cuts_flicker(tmp_path, mode):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, f in enumerate(textured_clip(10)):
        Image.fromarray(f).save(folder / f"{i:03d}.png")
    recipe = TINY if mode == "classical" else None
    result = {}
    for flow in ("dis", "none"):
        out = tmp_path / flow
        dream_video(folder, tmp_path / f"{flow}.mp4", VideoConfig(mode=mode, flow=flow, blend=0.5), recipe=recipe, frames_dir=out)
        result[flow] = flicker(_frames(out, 10))
    independent = tmp_path / "alone"
    dream_video(folder, tmp_path / "alone.mp4", VideoConfig(mode=mode, blend=0.0), recipe=recipe, frames_dir=independent)
    result["alone"] = flicker(_frames(independent, 10))
    assert result["dis"] < 0.75 * result["none"], f"flicker with flow vs without: {result}"
    assert result["dis"] < result["alone"], f"and vs every frame dreamed alone: {result}"


@pytest.mark.parametrize("mode", ["fast", "classical"])
def test_a_killed_video_continues_to_the_same_frames(clip, tmp_path, mode):
    recipe = TINY if mode == "classical" else None
    cfg = VideoConfig(mode=mode)
    full = dream_video(clip, tmp_path / "full.mp4", cfg, recipe=recipe, frames_dir=tmp_path / "full")

    def kill_after_4(n, cached):
        if n == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        dream_video(clip, tmp_path / "cut.mp4", cfg, recipe=recipe, on_frame=kill_after_4)
    assert not (tmp_path / "cut.mp4").exists(), "no half-written video"
    cache = tmp_path / ".cut.mp4.frames"
    assert len(list(cache.glob("frame-*.png"))) == 4
    again = dream_video(clip, tmp_path / "cut.mp4", cfg, recipe=recipe, frames_dir=None)
    assert again.made == 6 and again.frames == 10
    b = read_video(tmp_path / "cut.mp4")[0]
    a = read_video(tmp_path / "full.mp4")[0]
    assert all(np.array_equal(x, y) for x, y in zip(a, b)), "the continued video equals the uninterrupted one"
    assert full.made == 10
    # other options never reuse those frames
    dream_video(clip, tmp_path / "k.mp4", VideoConfig(mode=mode, max_frames=3), recipe=recipe, frames_dir=tmp_path / "kept")
    with pytest.raises(VideoError, match="other options"):
        dream_video(clip, tmp_path / "k.mp4", VideoConfig(mode=mode, blend=0.9), recipe=recipe, frames_dir=tmp_path / "kept")


def test_audio_is_kept_and_trimmed_with_the_frames(tmp_path):
    src = write_clip(tmp_path / "with_audio.mp4", textured_clip(12), audio_seconds=1.0)
    assert probe_video(src).has_audio
    report = dream_video(src, tmp_path / "out.mp4", VideoConfig(mode="fast", start=0.25, duration=0.5))
    assert report.frames == 6 and report.has_audio
    with av.open(str(tmp_path / "out.mp4")) as c:
        (audio,) = c.streams.audio
        seconds = sum(f.samples for f in c.decode(audio)) / audio.codec_context.sample_rate
    assert 0.4 < seconds < 0.7, f"audio of the dreamed half second, got {seconds:.2f} s"


def test_start_duration_fps_and_max_frames_pick_the_frames(clip):
    info = probe_video(clip)
    means = lambda it: [int(f[0, 0].sum()) for f in it]  # noqa: E731
    every = means(read_frames(info, (96, 64)))
    assert len(every) == 10
    assert means(read_frames(info, (96, 64), start=0.25, duration=0.25)) == every[3:6]
    assert means(read_frames(info, (96, 64), max_frames=4)) == every[:4]
    assert means(read_frames(probe_video(clip, fps=6), (96, 64))) == every[::2], "half the rate drops every other frame"
    assert len(list(read_frames(probe_video(clip, fps=24), (96, 64)))) == 20, "twice the rate repeats each frame"
    assert next(read_frames(info, (48, 32))).shape == (32, 48, 3)


def test_zoom_makes_n_frames_and_each_is_a_dream(tmp_path):
    photo = tmp_path / "photo.png"
    Image.fromarray(skimage.data.chelsea()).save(photo)
    cfg = ZoomConfig(frames=6, zoom=1.1, rotate=2.0, frame_steps=3, size=64)
    report = dream_zoom(photo, tmp_path / "zoom.gif", cfg, recipe=TINY, frames_dir=tmp_path / "frames")
    assert report.frames == 6
    with Image.open(tmp_path / "zoom.gif") as gif:
        assert gif.n_frames == 6
    from dreamgan.dream.engine import DreamEngine

    engine = DreamEngine(TINY)
    dreamed = _frames(tmp_path / "frames", 6)
    plain = undreamed_zoom(photo, cfg)
    to_x = lambda f: __import__("dreamgan.images", fromlist=["x"]).uint8_to_x01(f)  # noqa: E731
    for i, (d, p) in enumerate(zip(dreamed, plain)):
        assert float(engine.score(to_x(d))) > float(engine.score(to_x(p))), f"frame {i} is no dream"
    # fast zoom, mp4; a larger --frames continues from the frames made
    fast = dream_zoom(photo, tmp_path / "fast.mp4", ZoomConfig(mode="fast", frames=4, size=64), frames_dir=tmp_path / "f")
    assert len(read_video(tmp_path / "fast.mp4")[0]) == 4 and fast.made == 4
    more = dream_zoom(photo, tmp_path / "fast.mp4", ZoomConfig(mode="fast", frames=6, size=64), frames_dir=tmp_path / "f")
    assert more.made == 2 and len(read_video(tmp_path / "fast.mp4")[0]) == 6


def _zero_frames(path):
    """A Matroska file with a video stream and no frame in it."""
    with av.open(str(path), "w", format="matroska") as out:
        s = out.add_stream("libx264", rate=12)
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
        out.start_encoding()
    return path


def _audio_only(path):
    with av.open(str(path), "w", format="mp4") as out:
        a = out.add_stream("aac", rate=44100)
        a.layout = "mono"
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 4410), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 44100
        for p in [*a.encode(frame), *a.encode(None)]:
            out.mux(p)
    return path


def test_bad_inputs_are_one_line_errors_before_any_dreaming(clip, tmp_path):
    data = clip.read_bytes()
    (tmp_path / "truncated.mp4").write_bytes(data[: len(data) // 3])
    (tmp_path / "corrupt.mp4").write_bytes(np.random.default_rng(0).integers(0, 255, 5000, dtype=np.uint8).tobytes())
    (tmp_path / "notes.txt").write_text("not a video")
    cases = {"truncated.mp4": "not a readable video", "corrupt.mp4": "not a readable video", "notes.txt": "not a readable video",
             "zero.mkv": "no frames", "audio.mp4": "no video stream", "missing.mp4": "no video at"}
    _zero_frames(tmp_path / "zero.mkv")
    _audio_only(tmp_path / "audio.mp4")
    for name, message in cases.items():
        with pytest.raises(DreamganError, match=message) as e:
            dream_video(tmp_path / name, tmp_path / "out.mp4", VideoConfig(mode="fast"))
        assert "\n" not in str(e.value), name
    assert not (tmp_path / "out.mp4").exists()
    # a huge video is refused without --size and dreamed with it
    big = write_clip(tmp_path / "big.mp4", [np.zeros((1200, 2000, 3), np.uint8)] * 2)
    with pytest.raises(VideoError, match="too big.*--size"):
        dream_video(big, tmp_path / "big_out.mp4", VideoConfig(mode="fast"))
    assert dream_video(big, tmp_path / "big_out.mp4", VideoConfig(mode="fast", size=128)).frames == 2
    assert read_video(tmp_path / "big_out.mp4")[0][0].shape == (76, 128, 3)
    # an output that cannot be written: refused before the video is even read
    (tmp_path / "a_file").write_text("x")
    for bad, message in [(tmp_path / "a_file" / "out.mp4", "cannot|not a directory|exists"), (tmp_path / "out.avi", "must end in")]:
        with pytest.raises(DreamganError, match=message):
            dream_video(tmp_path / "missing.mp4", bad, VideoConfig(mode="fast"))
    with pytest.raises(DreamganError, match="--blend"):
        VideoConfig(blend=2)


def test_cli_video_and_zoom(clip, tmp_path, capsys):
    from dreamgan.cli import main

    runner = CliRunner()
    r = runner.invoke(app, ["video", str(clip), "-o", str(tmp_path / "v.mp4"), "--mode", "fast", "--max-frames", "3"])
    assert r.exit_code == 0 and "3 frames at 12 fps" in r.output, r.output
    r = runner.invoke(app, ["video", str(clip), "-o", str(tmp_path / "c.mp4"), "--backbone", "tiny", "--layers", "conv2",
                            "--octaves", "1", "--steps", "2", "--max-frames", "2", "--frames-dir", str(tmp_path / "kept")])
    assert r.exit_code == 0, r.output
    job = json.loads((tmp_path / "kept" / "job.json").read_text())
    assert job["recipe"]["backbone"] == "tiny" and job["recipe"]["steps"] == 2, "every engine option reaches the engine"
    photo = tmp_path / "p.png"
    Image.fromarray(skimage.data.coffee()).save(photo)
    r = runner.invoke(app, ["zoom", str(photo), "-o", str(tmp_path / "z.mp4"), "--mode", "fast", "--frames", "3", "--size", "64"])
    assert r.exit_code == 0 and "3 frames" in r.output, r.output
    with pytest.raises(SystemExit) as e:
        main(["video", str(tmp_path / "nothing.mp4"), "-o", str(tmp_path / "x.mp4"), "--mode", "fast"])
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 1 and len(err) == 1 and "no video at" in err[0]


_KILLED_VIDEO = """
import os, signal, sys
import dreamgan.video.cache as cache
real, n = cache.FrameCache.put, [0]
def put(self, index, uint8):
    real(self, index, uint8)
    n[0] += 1
    if n[0] == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # a kill -9 right after the 3rd frame is saved
cache.FrameCache.put = put
from dreamgan.cli import main
main(sys.argv[1:])
"""


@pytest.mark.slow
def test_kill_9_then_the_same_command_gives_the_same_video(clip, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    args = ["video", str(clip), "--mode", "fast", "--runtime", "torch"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "dreamgan", *args, "-o", str(tmp_path / "ref.mp4")], check=True, env=env, capture_output=True)
    killed = subprocess.run([sys.executable, "-c", _KILLED_VIDEO, *args, "-o", str(tmp_path / "out.mp4")], env=env, capture_output=True)
    assert killed.returncode == -signal.SIGKILL and not (tmp_path / "out.mp4").exists()
    rerun = subprocess.run([sys.executable, "-m", "dreamgan", *args, "-o", str(tmp_path / "out.mp4")], env=env,
                           capture_output=True, text=True)
    assert rerun.returncode == 0 and "3 reused" in rerun.stdout, rerun.stdout + rerun.stderr
    a, b = read_video(tmp_path / "ref.mp4")[0], read_video(tmp_path / "out.mp4")[0]
    assert len(a) == len(b) == 10 and all(np.array_equal(x, y) for x, y in zip(a, b))


def test_a_late_start_seeks_and_picks_the_frames_decoding_would(tmp_path, monkeypatch):
    import dreamgan.video.io as vio

    frames = [np.full((48, 64, 3), 4 * i, np.uint8) for i in range(60)]  # 5 s at 12 fps, frame i has level 4i
    path = tmp_path / "long.mp4"
    with av.open(str(path), "w") as out:  # a keyframe every second, so the seek lands mid-file
        s = out.add_stream("libx264", rate=12)
        s.width, s.height, s.pix_fmt, s.gop_size = 64, 48, "yuv420p", 12
        for f in frames:
            for packet in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(packet)
        out.mux(s.encode(None))
    info = probe_video(path)
    decodes = []
    real_decode = av.container.InputContainer.decode
    monkeypatch.setattr(av.container.InputContainer, "decode",
                        lambda self, *a, **k: (decodes.append(1) or f for f in real_decode(self, *a, **k)))
    levels = lambda it: [round(float(f.mean()) / 4) for f in it]  # noqa: E731
    seeked = levels(read_frames(info, (64, 48), start=3.5, duration=0.5))
    n_seeked = len(decodes)
    monkeypatch.setattr(vio, "SEEK_AFTER_S", 1e9)  # decode from the first frame instead
    decoded = levels(read_frames(info, (64, 48), start=3.5, duration=0.5))
    assert seeked == decoded == list(range(42, 48))
    assert n_seeked <= 26 and len(decodes) - n_seeked >= 48, f"the seek skipped the first 2 s ({n_seeked} frames decoded)"


def test_an_output_that_is_the_input_is_refused_before_anything_is_read(clip, tmp_path):
    import shutil

    source = shutil.copy(clip, tmp_path / "clip.mp4")
    before = Path(source).read_bytes()
    with pytest.raises(DreamganError, match="would destroy the source"):
        dream_video(source, tmp_path / "." / "clip.mp4", VideoConfig(mode="fast"))
    assert Path(source).read_bytes() == before
    gif = tmp_path / "photo.gif"
    Image.fromarray(skimage.data.coffee()[:64, :64]).save(gif)
    before = gif.read_bytes()
    with pytest.raises(DreamganError, match="would destroy the source"):
        dream_zoom(gif, gif, ZoomConfig(mode="fast", frames=2, size=64))
    assert gif.read_bytes() == before
    (tmp_path / "device.mp4").symlink_to("/dev/null")  # an output that is a device is never replaced
    with pytest.raises(DreamganError, match="not a regular file"):
        dream_video(source, tmp_path / "device.mp4", VideoConfig(mode="fast"))
    assert (tmp_path / "device.mp4").is_symlink()
