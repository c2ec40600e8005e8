"""Benchmark: fast dreams (one generator pass) against the classical engine, side by side.

Prints one JSON object, measured in one run on 299×299 photos:
  * speed: classical default-recipe seconds per image vs the generator's batch-1 latency and
    batched throughput, with the ratios (target ≥ 100×); also the hybrid `--refine K` rows;
  * quality (with --checkpoint): the `evaluate` report on the test split — generator, identity,
    equal-time classical and jitter floor rows with the paired dream metrics and FID/KID.

Usage:
  python benchmarks/fast_vs_classical.py                        # speed of the space-to-depth and dream generators
  python benchmarks/fast_vs_classical.py --checkpoint checkpoints/00001-pix2pix-default [--refine 1,3]
"""
from __future__ import annotations

import argparse
import json
import time

import torch

from dreamgan.data.photos import embedded_photo
from dreamgan.dream import DreamConfig, DreamEngine
from dreamgan.images import resize_uint8, uint8_to_x01


def photos(n: int = 4, size: int = 299) -> torch.Tensor:
    names = ["chelsea", "astronaut", "coffee", "rocket"]
    out = []
    for i in range(n):
        img = embedded_photo(names[i % len(names)])
        s = min(img.shape[:2])
        out.append(uint8_to_x01(resize_uint8(img[:s, :s], (size, size))))
    return torch.cat(out)


def best_of(fn, repeats: int = 3) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


GEOMETRIES = {
    "dream": {},  # TrainConfig()'s generator: ngf 16, depth 5, full resolution, 4 noise channels
    # the old speed preset's generator: the U-Net at half resolution on space-to-depth input
    "space-to-depth": dict(ngf=16, depth=4, unshuffle=2, noise=0),
}
"""Generator shapes timed with fresh weights (`--geometries`): `dreamgan train` options."""


def _generators(geometries: list[str], checkpoints: list[str]):
    """(name, G, TrainConfig, recipe dict or None) for each geometry (fresh weights: speed does
    not depend on them) and each trained checkpoint."""
    from dreamgan.models.checkpoint import build_networks
    from dreamgan.models.config import TrainConfig

    for name in geometries:
        cfg = TrainConfig(data="-", **GEOMETRIES[name])
        yield f"geometry {name}", build_networks(cfg)[0].eval(), cfg, None
    for path in checkpoints:
        from dreamgan.fast import load_generator

        g, cfg, ckpt = load_generator(path)
        yield f"checkpoint {ckpt['path']}", g, cfg, ckpt["recipe"]


@torch.inference_mode()
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--geometries", default="space-to-depth,dream", help=f"generator shapes to time (untrained weights): {', '.join(GEOMETRIES)}")
    ap.add_argument("--checkpoint", action="append", default=[], help="a trained run/.pt to time and evaluate (repeatable)")
    ap.add_argument("--refine", default="1,3", help="comma-separated K for hybrid rows")
    ap.add_argument("--images", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-fid", action="store_true")
    ap.add_argument("--no-quality", action="store_true", help="skip the test-split evaluation of checkpoints")
    args = ap.parse_args()
    torch.set_num_threads(2)
    x = photos(args.images)
    recipe = DreamConfig()
    classical = DreamEngine(recipe)
    classical_s = best_of(lambda: classical.run(x[:1]), repeats=2)
    result = {"size": 299, "threads": torch.get_num_threads(), "torch": torch.__version__,
              "classical": {"recipe": recipe.to_dict(), "seconds_per_image": classical_s}, "generators": {}}
    from dreamgan.fast import fast_dream

    for name, g, cfg, ckpt_recipe in _generators([p for p in args.geometries.split(",") if p], args.checkpoint):
        latency = best_of(lambda: g(x[:1]), args.repeats)
        batched = best_of(lambda: g(x), args.repeats) / len(x)
        entry = {"ngf": cfg.ngf, "depth": cfg.depth, "unshuffle": cfg.unshuffle, "generator": cfg.generator,
                 "params": sum(p.numel() for p in g.parameters()),
                 "latency_batch1_s": latency, "seconds_per_image_batched": batched,
                 "speedup_batch1": classical_s / latency, "speedup_batched": classical_s / batched, "hybrid": {}}
        for k in (int(v) for v in args.refine.split(",") if v):
            s = best_of(lambda: fast_dream(g, x[:1], refine=k, recipe=ckpt_recipe or recipe.to_dict()), repeats=1)
            entry["hybrid"][f"refine_{k}"] = {"seconds_per_image": s, "speedup_vs_classical": classical_s / s}
        result["generators"][name] = entry
    if not args.no_quality:
        from dreamgan.metrics.report import evaluate_run

        for path in args.checkpoint:
            report = evaluate_run(path, split="test", fid=not args.no_fid)
            result.setdefault("quality_test_split", {})[path] = report
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
