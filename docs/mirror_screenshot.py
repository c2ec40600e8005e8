"""Make docs/mirror.jpg, the README's screenshot of the studio's live mirror (needs Debian's chromium).

    python docs/mirror_screenshot.py [--checkpoint RUN] [--out docs/mirror.jpg]

Starts the studio on a free port as `dreamgan serve` does (the bundled generator under ONNX
Runtime, unless --checkpoint), gives headless Chromium a fake camera playing the bundled
`astronaut` photo panning slowly (a YUV4MPEG2 clip made here), starts the mirror, waits for a
dozen dreamed frames and saves the mirror panel with its fps counter.
"""
from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path

from PIL import Image
from studio_screenshot import CHROMIUM_ARGS


def camera_clip(path: Path, frames: int = 40, size: tuple[int, int] = (400, 300)) -> Path:
    """The astronaut photo panning 2 px a frame, as a fake camera's YUV4MPEG2 clip."""
    import numpy as np
    import skimage.data

    from dreamgan.video.io import write_y4m

    w, h = size
    tex = np.asarray(Image.fromarray(skimage.data.astronaut()).resize((w + 2 * frames, h), Image.Resampling.LANCZOS))
    return write_y4m(path, [np.ascontiguousarray(tex[:, 2 * i:2 * i + w]) for i in range(frames)])


def main() -> None:
    from playwright.sync_api import sync_playwright

    from dreamgan.fast.loading import default_checkpoint
    from dreamgan.studio.app import create_app
    from dreamgan.studio.server import served

    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--out", default=str(Path(__file__).with_name("mirror.jpg")))
    args = ap.parse_args()
    app = create_app(str(default_checkpoint(args.checkpoint, None)), runtime="auto")
    with served(app) as url, tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        clip = camera_clip(Path(tmp) / "camera.y4m")
        camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={clip}"]
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS + camera)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.wait_for_function("!document.getElementById('mirror-start').disabled")
        page.click("#mirror-start")
        page.wait_for_function("Number(document.getElementById('mirror-stats').dataset.frames) >= 12", timeout=120_000)
        png = page.locator("#mirror").screenshot()
        browser.close()
    Image.open(io.BytesIO(png)).convert("RGB").save(args.out, quality=85)
    print(args.out)


if __name__ == "__main__":
    main()
