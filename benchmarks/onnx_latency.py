"""Benchmark: one fast dream under PyTorch against the same generator under ONNX Runtime, side by
side in one run (299×299 and 720p, batch 1, CPU), with the ratio and the pixel difference.

    python benchmarks/onnx_latency.py [--checkpoint RUN] [--repeats 10]

Without --checkpoint it exports and times the bundled generator. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import torch
from timing import median_seconds


def main() -> None:
    from dreamgan.fast import fast_dream, load_generator, load_pix2pix, write_onnx
    from dreamgan.fast.onnx import OnnxGenerator

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args()
    torch.set_grad_enabled(False)
    g = load_generator(args.checkpoint)[0]
    with tempfile.TemporaryDirectory() as tmp:
        og = OnnxGenerator(write_onnx(*load_pix2pix(args.checkpoint), Path(tmp) / "g.onnx"), threads=torch.get_num_threads())
        rows = {}
        for label, (h, w) in {"299px": (299, 299), "720p": (720, 1280)}.items():
            x = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(0))
            t_torch = median_seconds(lambda: fast_dream(g, x, seed=0), args.repeats, warmup=3)
            t_onnx = median_seconds(lambda: fast_dream(og, x, seed=0), args.repeats, warmup=3)
            diff = float((fast_dream(g, x, seed=0) - fast_dream(og, x, seed=0)).abs().max())
            rows[label] = {"pytorch_s": round(t_torch, 4), "onnxruntime_s": round(t_onnx, 4),
                           "onnxruntime_speedup": round(t_torch / t_onnx, 2), "max_abs_diff": diff}
    print(json.dumps({"generator": args.checkpoint or "bundled", "threads": torch.get_num_threads(),
                      "repeats": args.repeats, "batch": 1, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
