"""Benchmark: dream-video frames per second, classical against fast, at 299 px and 720p, side
by side in one run, with the ratio.

    python benchmarks/video.py [--classical-frames 3] [--fast-frames 20] [--flicker-frames 8] [--plot docs/video_flicker.png]
    python benchmarks/video.py --from-json result.json --plot docs/video_flicker.png   # redraw a printed result

The clip is made here: a bundled photo's texture panning 3 px a frame (so the optical flow has
real work). Both modes run the whole per-frame job of `dreamgan video`: DIS optical flow,
carrying the last dream along it (blend 0.5), dreaming, and saving the frame; the classical
mode with the default recipe (4 octaves x 10 steps), the fast mode with the bundled generator
(ONNX Runtime when installed, as `dreamgan video` runs it). Encoding the mp4 is timed apart.
Frames/s counts every frame after the first (the first has no flow to follow).

It also measures flicker at 299 px, per mode: the mean absolute difference (uint8 levels)
between consecutive dreamed frames after undoing the clip's true motion, with the dream carried
along DIS flow, along Farneback flow, without flow (`--flow none`), and every frame alone
(`--blend 0`). Prints one JSON object; `--plot PATH` also draws the flicker as grouped bars.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch
from PIL import Image


def panning_clip(n: int, size: tuple[int, int]) -> list[np.ndarray]:
    import skimage.data

    w, h = size
    tex = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((w + 3 * n + 8, h + n + 8), Image.Resampling.LANCZOS))
    return [np.ascontiguousarray(tex[4:4 + h, 3 * i:3 * i + w]) for i in range(n)]  # 3 px a frame, to the right


def frames_per_second(src: Path, out: Path, mode: str, n: int) -> dict:
    from dreamgan.video import VideoConfig, dream_video

    stamps = []
    t0 = time.perf_counter()
    report = dream_video(src, out, VideoConfig(mode=mode, max_frames=n), on_frame=lambda k, cached: stamps.append(time.perf_counter()))
    encode = time.perf_counter() - stamps[-1]
    return {"frames": report.frames, "frames_per_s": round((n - 1) / (stamps[-1] - stamps[0]), 4),
            "first_frame_s": round(stamps[0] - t0, 3), "encode_s": round(encode, 3)}


def flicker(frames: list[np.ndarray], dx: int = 3) -> float:
    """Mean |frame_t − frame_{t−1} moved by the true motion| over the interior, uint8 levels."""
    return float(np.mean([np.abs(frames[t][:, :-dx].astype(float) - frames[t - 1][:, dx:].astype(float)).mean()
                          for t in range(1, len(frames))]))


def flicker_rows(src: Path, tmp: Path, mode: str, n: int) -> dict:
    from dreamgan.images import load_image
    from dreamgan.video import VideoConfig, dream_video

    rows = {}
    for label, options in {"dis": dict(flow="dis"), "farneback": dict(flow="farneback"), "no_flow": dict(flow="none"),
                           "every_frame_alone": dict(blend=0.0)}.items():
        folder = tmp / f"flicker-{mode}-{label}"
        dream_video(src, tmp / f"{mode}-{label}.mp4", VideoConfig(mode=mode, max_frames=n, **options), frames_dir=folder)
        rows[label] = round(flicker([load_image(folder / f"frame-{i:06d}.png") for i in range(n)]), 2)
    rows["dis_vs_no_flow"] = round(rows["dis"] / rows["no_flow"], 3)
    return rows


def main() -> None:
    from dreamgan.video.io import write_mp4

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classical-frames", type=int, default=3)
    ap.add_argument("--fast-frames", type=int, default=20)
    ap.add_argument("--flicker-frames", type=int, default=8)
    ap.add_argument("--plot", default=None, help="write the flicker bars to this PNG")
    ap.add_argument("--from-json", default=None, help="draw --plot from a result this script printed, without measuring")
    args = ap.parse_args()
    if args.from_json:
        plot_flicker(args.plot, json.loads(Path(args.from_json).read_text()))
        return
    rows, flickers = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, size in {"299px": (298, 298), "720p": (1280, 720)}.items():
            src = Path(tmp) / f"{label}.mp4"
            n = max(args.classical_frames, args.fast_frames, args.flicker_frames)
            write_mp4(src, iter(panning_clip(n, size)), Fraction(25))
            classical = frames_per_second(src, Path(tmp) / f"{label}-classical.mp4", "classical", args.classical_frames)
            fast = frames_per_second(src, Path(tmp) / f"{label}-fast.mp4", "fast", args.fast_frames)
            rows[label] = {"size": list(size), "classical": classical, "fast": fast,
                           "fast_vs_classical": round(fast["frames_per_s"] / classical["frames_per_s"], 1)}
            if label == "299px" and args.flicker_frames > 1:
                flickers = {mode: flicker_rows(src, Path(tmp), mode, args.flicker_frames) for mode in ("fast", "classical")}
    from dreamgan.fast.onnx import onnxruntime_installed

    result = {"threads": torch.get_num_threads(), "fast_runtime": "onnxruntime" if onnxruntime_installed() else "torch",
              "classical_recipe": "default (4 octaves x 10 steps, mixed_3 + mixed_5)", "flow": "dis", "blend": 0.5,
              "flicker_frames": args.flicker_frames, "rows": rows, "flicker_299px_uint8_levels": flickers}
    print(json.dumps(result, indent=1))
    if args.plot and flickers:
        plot_flicker(args.plot, result)


def plot_flicker(path: str, result: dict) -> None:
    """The flicker of a printed result as grouped bars: one group per mode, one bar per way of
    carrying the dream."""
    from dreamgan.training.plots import bar_chart

    flickers = result["flicker_299px_uint8_levels"]
    names = {"dis": "DIS flow (default)", "farneback": "Farneback flow", "no_flow": "carried without flow",
             "every_frame_alone": "every frame alone"}
    bar_chart(path, {mode: {names[k]: flickers[mode][k] for k in names} for mode in ("classical", "fast")},
              title=f"flicker of a dreamed clip panning 3 px a frame ({result.get('flicker_frames', 8)} frames, 298 px)",
              ylabel="mean |frame change| after the true motion\n(uint8 levels; lower is steadier)")


if __name__ == "__main__":
    main()
