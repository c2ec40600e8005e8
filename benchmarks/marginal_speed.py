"""Benchmark: the marginal cost of one more 299-px dream, fast against classical, side by side.

    python benchmarks/marginal_speed.py [--checkpoint RUN] [--few 12] [--many 72] [--classical-many 24]

What `dreamgan sample` and `dreamgan dream` do per photo, through their library calls
(`write_fast_dreams`, `dream_files`): read the photo, dream it, write the PNG with its recipe.
Start-up costs (loading weights, exporting to ONNX, the first passes) are paid by a warm-up and
cancel out of the marginal time: (time for `many` photos − time for `few`) / (many − few).

The fast rows run the generator (default: the bundled one) under ONNX Runtime and under
PyTorch; the classical row runs the default recipe (precision auto). The photos are 299 × 299
crops of the embedded photos, repeated. Prints one JSON object with the ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image


def photo_files(folder: Path, n: int) -> list[Path]:
    from dreamgan.data.photos import EMBEDDED_PHOTOS, embedded_photo
    from dreamgan.images import resize_uint8

    names = list(EMBEDDED_PHOTOS)
    paths = []
    for i in range(n):
        img = embedded_photo(names[i % len(names)])
        s = min(img.shape[:2])
        path = folder / f"p{i:03d}.png"
        Image.fromarray(resize_uint8(img[:s, :s], (299, 299))).save(path)
        paths.append(path)
    return paths


def seconds(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def marginal(run, paths: list[Path], few: int, many: int, out: Path) -> dict:
    """Seconds per photo beyond the first `few`, after a warm-up on 2 photos."""
    run(paths[:2], out / "warm")
    t_few = seconds(lambda: run(paths[:few], out / f"few{few}"))
    t_many = seconds(lambda: run(paths[:many], out / f"many{many}"))
    return {"few": few, "many": many, "seconds_few": round(t_few, 2), "seconds_many": round(t_many, 2),
            "marginal_s_per_image": round((t_many - t_few) / (many - few), 4)}


def main() -> None:
    from dreamgan.dream import DreamConfig
    from dreamgan.dream.files import dream_files
    from dreamgan.fast import write_fast_dreams

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=None, help="a run or .pt (default: the bundled generator)")
    ap.add_argument("--few", type=int, default=12)
    ap.add_argument("--many", type=int, default=72)
    ap.add_argument("--classical-many", type=int, default=24)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "photos").mkdir()
        paths = photo_files(tmp / "photos", max(args.many, args.classical_many))
        rows = {}
        for runtime in ("onnx", "torch"):
            def fast(ps, out, runtime=runtime):
                written, failed = write_fast_dreams(args.checkpoint, ps, out, runtime=runtime)
                assert not failed, failed
            rows[f"fast_{runtime}"] = marginal(fast, paths, args.few, args.many, tmp / runtime)
        recipe = DreamConfig()
        rows["classical"] = marginal(lambda ps, out: dream_files(ps, out, recipe), paths, args.few, args.classical_many, tmp / "classical")
    classical = rows["classical"]["marginal_s_per_image"]
    for runtime in ("onnx", "torch"):
        rows[f"fast_{runtime}"]["vs_classical"] = round(classical / rows[f"fast_{runtime}"]["marginal_s_per_image"], 1)
    print(json.dumps({"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(), "threads": torch.get_num_threads(),
                      "generator": args.checkpoint or "bundled", "classical_recipe": "default (DreamConfig())", "size": 299,
                      "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
