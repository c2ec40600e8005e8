"""Benchmark: the studio's live mirror, frames per second and latency through the page's own
endpoint, at 160, 224 and 299 px, and the flicker of its fixed noise against fresh noise.

    python benchmarks/mirror.py [--frames 40] [--checkpoint RUN] [--runtime auto|torch|onnx]

The studio is served by uvicorn on a loopback port, as `dreamgan serve` serves it (default: the
bundled generator under ONNX Runtime). A camera is replayed: a bundled photo panning 3 px a
frame (`video.py`'s clip), each frame JPEG-encoded at the mirror's size as the page's canvas
does, and POSTed to /api/mirror/{id}/frame one at a time: the next frame leaves when the dream
of the last comes back, as the page sends them. Frames per second = frames / wall time;
latency = one frame's round trip (encode, POST, dream, JPEG back, decode); p50 and p95.

Flicker (uint8 levels, `video.py`'s measure: the mean |change| between consecutive dreams after
undoing the true motion) of the mirror's dreams, which keep one noise seed, against the same
frames dreamed with a fresh seed each, and the camera's own. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import platform
import statistics
import sys
import time
from urllib.parse import urlsplit

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(__file__))
from video import flicker, panning_clip  # noqa: E402  (the clip and the flicker measure of the video benchmark)

SIZES = (160, 224, 299)


def replay(url: str, frames: list[np.ndarray], size: int, seed: int = 0) -> dict:
    """Send `frames` through one mirror of the studio at `url`, one at a time; the timings and the dreams."""
    from dreamgan.studio.mirror import jpeg_bytes

    address = urlsplit(url)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    headers = {"Host": address.netloc, "Origin": url}
    conn.request("POST", "/api/mirror", json.dumps({"size": size, "seed": seed}), {**headers, "Content-Type": "application/json"})
    opened = json.loads(conn.getresponse().read())
    latencies, server_ms, dreams = [], [], []
    began = time.perf_counter()
    for frame in frames:
        sent = time.perf_counter()
        conn.request("POST", opened["frame"], jpeg_bytes(frame, quality=85), {**headers, "Content-Type": "image/jpeg"})
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"frame refused: {response.status} {body[:200]!r}")
        dreams.append(np.asarray(Image.open(io.BytesIO(body)).convert("RGB")))
        latencies.append((time.perf_counter() - sent) * 1000)
        server_ms.append(float(response.getheader("X-Dream-Ms")))
        time.sleep(max(0.0, 1 / 30 - (time.perf_counter() - sent)))  # the page's frame-rate cap
    wall = time.perf_counter() - began
    conn.request("DELETE", f"/api/mirror/{opened['id']}", headers=headers)
    conn.getresponse().read()
    p95 = statistics.quantiles(latencies, n=20)[18] if len(latencies) > 1 else latencies[0]
    return {"fps": round(len(frames) / wall, 2), "latency_ms_p50": round(statistics.median(latencies), 1), "latency_ms_p95": round(p95, 1),
            "server_ms_p50": round(statistics.median(server_ms), 1), "dreams": dreams}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--checkpoint", default=None, help="a run or .pt (default: the bundled generator)")
    ap.add_argument("--runtime", default="auto", help="auto (ONNX Runtime where the generator exports), torch or onnx")
    args = ap.parse_args()
    from dreamgan.fast.loading import default_checkpoint
    from dreamgan.studio.app import create_app
    from dreamgan.studio.server import served

    ckpt = default_checkpoint(args.checkpoint, None)
    rows, flickers = {}, {}
    with served(create_app(str(ckpt) if ckpt else None, runtime=args.runtime)) as url:  # the studio as `dreamgan serve` builds it
        for size in SIZES:
            clip = panning_clip(args.frames + 1, (size, round(size * 3 / 4)))  # a 4:3 camera at the mirror's size
            replay(url, clip[:3], size)  # warm-up: the runtime's first passes at this size
            result = replay(url, clip, size)
            dreams = result.pop("dreams")
            rows[str(size)] = result
            if size == 299:  # the same frames, each through a mirror of its own seed
                fresh = [replay(url, [f], size, seed=i)["dreams"][0] for i, f in enumerate(clip[:12])]
                flickers = {"camera": round(flicker(clip[:12]), 2), "mirror_fixed_seed": round(flicker(dreams[:12]), 2),
                            "fresh_seed_each_frame": round(flicker(fresh), 2)}
                flickers["fixed_vs_fresh"] = round(flickers["mirror_fixed_seed"] / flickers["fresh_seed_each_frame"], 3)
    print(json.dumps({"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(), "threads": torch.get_num_threads(),
                      "runtime": args.runtime, "generator": args.checkpoint or "bundled", "frames": args.frames,
                      "sizes": rows, "flicker_299px_uint8_levels": flickers}, indent=1))


if __name__ == "__main__":
    main()
