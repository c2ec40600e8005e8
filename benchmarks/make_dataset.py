"""Benchmark: dataset mass production (dreams per minute) at 299×299 with the default recipe.

Prints one JSON object, measured in one run on the embedded photos:
  * dreams/min of `make_dataset` at --batch 1 and at each other batch size tried, with the best;
  * the engine's own seconds per dream (no I/O, no cropping) as the baseline, and the ratio of
    the pipeline's throughput to it (1.0 = no overhead).

Usage: python benchmarks/make_dataset.py [--count 8] [--batches 1,2,4]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time

import torch

from dreamgan.data.dataset import make_dataset
from dreamgan.data.photos import embedded_photo
from dreamgan.dream import DreamConfig, DreamEngine
from dreamgan.images import resize_uint8, uint8_to_x01


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=8)
    ap.add_argument("--batches", default="1,2,4")
    ap.add_argument("--size", type=int, default=299)
    args = ap.parse_args()
    torch.set_num_threads(2)
    recipe = DreamConfig()
    # baseline: the engine alone on one 299×299 photo
    engine = DreamEngine(recipe)
    x = uint8_to_x01(resize_uint8(embedded_photo("chelsea")[:, 75:375], (args.size, args.size)))
    engine.run(x)  # warm-up
    t = time.perf_counter()
    engine.run(x)
    engine_s = time.perf_counter() - t
    result = {"size": args.size, "count": args.count, "recipe": recipe.to_dict(), "threads": torch.get_num_threads(),
              "engine_seconds_per_dream": engine_s, "engine_dreams_per_min": 60 / engine_s, "batches": {}}
    for b in (int(v) for v in args.batches.split(",")):
        with tempfile.TemporaryDirectory() as d:
            report = make_dataset(f"{d}/ds", count=args.count, size=args.size, recipe=recipe, batch=b, val=0.25, test=0.25)
            per_min = report.made / report.seconds * 60
            result["batches"][str(b)] = {"dreams_per_min": per_min, "seconds": report.seconds,
                                          "ratio_vs_engine_alone": per_min / result["engine_dreams_per_min"]}
    best = max(result["batches"], key=lambda k: result["batches"][k]["dreams_per_min"])
    result["best_batch"] = int(best)
    result["best_vs_batch1"] = result["batches"][best]["dreams_per_min"] / result["batches"]["1"]["dreams_per_min"]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
