"""Benchmark: the speed/quality frontier of fast and classical dreams, measured side by side.

On one dataset split (default: the default pipeline's unseen test photo), at 299 px, batch 1:
  * classical: the dataset's recipe with 1 octave × 1 step, then its octaves with 1, 2, 5
    and 10 steps each (the full recipe: 4 × 10 = 40 steps);
  * each generator checkpoint given (one forward pass, seed 0), and hybrids (+K classical steps);
  * the jitter floor (a second true dream) for scale.
Quality is the dream-statistics ratio on Inception and on EfficientNet-Lite0 (0 = the true
dream, 1 = the photo; see `metrics.stats_ratio`) and attainment. Prints one JSON object and
draws `--plot` (quality against seconds per image on a log axis, each point labelled).

Usage:
  python benchmarks/frontier.py --data data/default --checkpoint NAME=RUN [--checkpoint ...] --plot docs/frontier.png
"""
from __future__ import annotations

import argparse
import json
import time

import torch


def _per_image_seconds(fn, x: torch.Tensor) -> tuple[torch.Tensor, float]:
    fn(x[:1])  # warm-up
    t = time.perf_counter()
    out = torch.cat([fn(x[i:i + 1]) for i in range(len(x))])
    return out, (time.perf_counter() - t) / len(x)


@torch.no_grad()
def main() -> None:
    from dreamgan.data.pairs import PairedDreams, read_dataset_meta
    from dreamgan.dream import DreamConfig, DreamEngine
    from dreamgan.fast import fast_dream, load_generator
    from dreamgan.metrics import paired_dream_metrics

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/default")
    ap.add_argument("--split", default="test")
    ap.add_argument("--checkpoint", action="append", default=[], help="NAME=RUN (repeatable)")
    ap.add_argument("--refine", default="1,3")
    ap.add_argument("--images", type=int, default=4, help="photos of the split to use")
    ap.add_argument("--plot", default=None)
    args = ap.parse_args()
    torch.set_num_threads(2)
    recipe = DreamConfig.from_dict(read_dataset_meta(args.data)["recipe"])
    real_a, real_b = PairedDreams(args.data, args.split).all_x01()
    real_a, real_b = real_a[:args.images], real_b[:args.images]
    engine = DreamEngine(recipe)
    points: dict[str, dict] = {}

    def score(name: str, group: str, fake: torch.Tensor, seconds: float) -> None:
        m = paired_dream_metrics(real_a, real_b, fake, engine=engine)
        points[name] = {"group": group, "seconds_per_image": seconds,
                        **{k: m[k] for k in ("stats_ratio", "stats_ratio_effnet", "attainment", "feature_ratio")}}
        print(json.dumps({name: points[name]}), flush=True)

    # 1. classical, cut down to the full recipe
    for octaves, steps in ((1, 1), (recipe.octaves, 1), (recipe.octaves, 2), (recipe.octaves, 5), (recipe.octaves, recipe.steps)):
        cfg = recipe.replace(octaves=octaves, steps=steps)
        fake, s = _per_image_seconds(DreamEngine(cfg).run, real_a)
        score(f"classical {octaves}×{steps}", "classical", fake, s)
    floor, s = _per_image_seconds(DreamEngine(recipe.replace(seed=recipe.seed + 1)).run, real_a)
    score("jitter floor", "floor", floor, s)
    # 2. generators and hybrids
    for spec in args.checkpoint:
        name, _, run = spec.partition("=")
        g, _, ckpt = load_generator(run or name)
        fake, s = _per_image_seconds(lambda x: fast_dream(g, x), real_a)
        score(name, "generator", fake, s)
        for k in (int(v) for v in args.refine.split(",") if v):
            fake, s = _per_image_seconds(lambda x: fast_dream(g, x, refine=k, recipe=ckpt["recipe"]), real_a)
            score(f"{name} + {k} step{'s' if k > 1 else ''}", f"hybrid {name}", fake, s)
    print(json.dumps({"data": args.data, "split": args.split, "n": len(real_a), "threads": torch.get_num_threads(),
                      "points": points}, indent=2))
    if args.plot:
        from dreamgan.training.plots import scatter_chart

        groups: dict[str, list] = {}
        for name, p in points.items():
            groups.setdefault(p["group"], []).append((p["seconds_per_image"], p["stats_ratio"], name))
        scatter_chart(args.plot, groups, title="speed/quality frontier (lower and further left is better)", logx=True,
                      xlabel="seconds per image (299 px, batch 1, 2-core CPU; log scale)",
                      ylabel="dream-statistics ratio, Inception (0 = true dream)",
                      hlines={"photo": 1.0, "jitter floor": points["jitter floor"]["stats_ratio"]})


if __name__ == "__main__":
    main()
