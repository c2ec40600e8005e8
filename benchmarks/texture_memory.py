"""Benchmark: the peak memory of one dream from noise, by size.

For each size, a fresh process builds the noise → dream recipe's generator (the texture
generator at the recipe's width; its weights do not change the memory) and draws one texture as
`dreamgan sample` does: its noise map, `models.dcgan.synthesize` part by part, the uint8 image
and its PNG. Prints one JSON object: per size, the peak RSS above the process's baseline (torch
imported, network built), the seconds, and `fast.dreams.noise_dream_bytes`'s estimate, which
`sample` compares with the free memory before it starts.

    python benchmarks/texture_memory.py --sizes 1024x768,2048x2048,4096x4096
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time


def child(size: str) -> None:
    import torch

    from dreamgan.fast.dreams import noise_dream_bytes, parse_size
    from dreamgan.images import save_png, x01_to_uint8
    from dreamgan.models.config import DCGAN_DEFAULTS
    from dreamgan.models.dcgan import TextureGenerator, synthesize

    torch.set_num_threads(2)
    h, w = parse_size(size)
    g = TextureGenerator(DCGAN_DEFAULTS["image_size"], 100, DCGAN_DEFAULTS["ngf"]).eval()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t = time.perf_counter()
    with torch.no_grad():
        z = torch.randn(g.noise_shape(1, h, w), generator=torch.Generator().manual_seed(0))
        image = synthesize(g, z)[0, :, :h, :w]
        with tempfile.TemporaryDirectory() as tmp:
            save_png(f"{tmp}/t.png", x01_to_uint8(image))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"size": size, "seconds": round(time.perf_counter() - t, 1), "peak_gib": round((peak - base) / 2 ** 30, 3),
                      "estimate_gib": round(noise_dream_bytes(g, h, w) / 2 ** 30, 3)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="512x512,1024x768,2048x2048,4096x4096")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child)
    rows = []
    for size in args.sizes.split(","):
        out = subprocess.run([sys.executable, __file__, "--child", size], capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(json.dumps({"machine": platform.processor() or platform.machine(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
