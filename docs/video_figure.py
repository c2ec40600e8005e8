"""README figures for `dreamgan video` and `dreamgan zoom`: a frame strip of a dreamed clip
(input | classical | fast, every other frame) and a zoom strip plus a small looping GIF.

    python docs/video_figure.py [--frames 12] [--zoom-frames 40]

The clip is a bundled photo (scikit-image's coffee, never trained on) panned 4 px a frame, as a
camera would. Both videos use the default options of `dreamgan video` (DIS flow, blend 0.5);
classical with the default recipe, fast with the bundled generator. The zoom is classical:
the default recipe on the first frame, then 5 steps on each zoomed frame (1.05x, 1 degree).
Writes docs/video_strip.jpg, docs/zoom_strip.jpg, docs/zoom.gif; prints the timings as JSON.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image


def main() -> None:
    import skimage.data

    from dreamgan.images import labelled_grid, load_image, uint8_to_x01
    from dreamgan.video import VideoConfig, ZoomConfig, dream_video, dream_zoom
    from dreamgan.video.io import read_video, write_mp4

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--zoom-frames", type=int, default=40)
    args = ap.parse_args()
    docs = Path(__file__).parent
    photo = np.asarray(Image.fromarray(skimage.data.coffee()).resize((400 + 4 * args.frames, 300), Image.Resampling.LANCZOS))
    clip = [np.ascontiguousarray(photo[:, 4 * i:4 * i + 400]) for i in range(args.frames)]
    timings = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "pan.mp4"
        write_mp4(src, iter(clip), Fraction(12))
        rows, names = [[uint8_to_x01(clip[i]) for i in range(0, args.frames, 2)]], ["input (panning)"]
        for mode in ("classical", "fast"):
            report = dream_video(src, Path(tmp) / f"{mode}.mp4", VideoConfig(mode=mode), frames_dir=Path(tmp) / mode)
            timings[mode] = {"frames": report.frames, "seconds": round(report.seconds, 1)}
            frames = [load_image(Path(tmp) / mode / f"frame-{i:06d}.png") for i in range(0, args.frames, 2)]
            rows.append([uint8_to_x01(f) for f in frames])
            names.append(f"{mode} dream video")
        strip = Image.fromarray(labelled_grid(rows, row_labels=names))
        strip.resize((strip.width // 2, strip.height // 2), Image.Resampling.LANCZOS).save(docs / "video_strip.jpg", quality=85)
        start = Path(tmp) / "coffee.png"
        Image.fromarray(skimage.data.coffee()).save(start)
        cfg = ZoomConfig(frames=args.zoom_frames, zoom=1.05, rotate=1.0, size=299)
        report = dream_zoom(start, Path(tmp) / "zoom.mp4", cfg, frames_dir=Path(tmp) / "zoom")
        timings["zoom"] = {"frames": report.frames, "seconds": round(report.seconds, 1)}
        zoom = [load_image(Path(tmp) / "zoom" / f"frame-{i:06d}.png") for i in range(args.zoom_frames)]
        picks = np.linspace(0, args.zoom_frames - 1, 6).round().astype(int)
        Image.fromarray(labelled_grid([[uint8_to_x01(zoom[i]) for i in picks]])).save(docs / "zoom_strip.jpg", quality=85)
        small = [np.asarray(Image.fromarray(f).resize((200, round(200 * f.shape[0] / f.shape[1])), Image.Resampling.LANCZOS))
                 for f in zoom]
        from dreamgan.video.io import write_gif

        write_gif(docs / "zoom.gif", small, 12)
        assert len(read_video(Path(tmp) / "zoom.mp4")[0]) == args.zoom_frames
    print(json.dumps(timings, indent=1))


if __name__ == "__main__":
    main()
