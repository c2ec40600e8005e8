"""What a deterministic photo → dream generator can reach at best, on a dataset split.

A true dream depends on its jitter seed as well as on its photo, so a generator that maps a
photo to one image is scored against a target it cannot know. The best such image under a
pixel (L2) loss is the mean of the photo's true dreams over seeds. This script dreams each
photo K more times with other seeds and scores, against the dataset's true dream, side by side:

  * one more true dream (K = 1: the jitter floor);
  * the mean of K true dreams, for K = 2, 4, ... (the L2-optimal deterministic prediction as
    K grows; its limit is the regression ceiling);

with the same paired dream metrics as `dreamgan evaluate`. Prints JSON.

    python benchmarks/regression_ceiling.py --data data/default --split test --k 4
"""
from __future__ import annotations

import argparse
import json
import time


def main() -> None:
    import torch

    from dreamgan.data.pairs import PairedDreams, read_dataset_meta
    from dreamgan.dream.engine import DreamConfig, DreamEngine
    from dreamgan.metrics import dream_scores
    from dreamgan.training.gan import EVAL_METRICS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/default")
    ap.add_argument("--split", default="test")
    ap.add_argument("--k", type=int, default=4, help="extra true dreams per photo (other jitter seeds)")
    args = ap.parse_args()
    recipe = DreamConfig.from_dict(read_dataset_meta(args.data)["recipe"])
    real_a, real_b = PairedDreams(args.data, args.split, min_pairs=1).all_x01()
    engine = DreamEngine(recipe)
    t = time.perf_counter()
    dreams = [DreamEngine(recipe.replace(seed=recipe.seed + 1 + i)).run(real_a) for i in range(args.k)]
    seconds = time.perf_counter() - t
    keys = (*EVAL_METRICS, "psnr")
    rows = {}
    for k in sorted({1, *[2 ** j for j in range(1, args.k.bit_length())], args.k}):
        mean = torch.stack(dreams[:k]).mean(0)
        scores = dream_scores(real_a, real_b, mean, recipe, engine=engine, fid=False)
        rows["one more true dream (jitter floor)" if k == 1 else f"mean of {k} true dreams"] = {m: scores[m] for m in keys}
    print(json.dumps({"data": args.data, "split": args.split, "n": len(real_a), "k": args.k,
                      "dream_seconds_per_image": seconds / (args.k * len(real_a)), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
