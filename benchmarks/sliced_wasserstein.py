"""Benchmark: the sliced Wasserstein distance of the noise → dream recipe's statistics term,
forward + backward, in the library's layout against the row layout it replaced, side by side in
one run.

The term compares the batch's feature vectors at the dream recipe's Inception layers (pooled:
16 samples of 64 px, read enlarged to `--side` px, as `DreamStatsLoss` reads them) through 64
random directions, and sorts each direction's projections. `metrics.stats.sliced_wasserstein`
projects to (B, K, H·W) and sorts each contiguous row with NumPy's vectorised sorts (`_sorted`);
the baseline projects to (B, H·W, K) and sorts along the middle axis with `torch.sort`, as the
library did until 2026-12-06. Both give the same values; `same_gradient` is false where
equal projections (ties: repeated feature vectors, as the all-zero ones of a ReLU layer) take
their gradients in another order, which is as valid a matching.

    python benchmarks/sliced_wasserstein.py --repeats 5 --threads 2
"""
from __future__ import annotations

import argparse
import json

import torch
from timing import median_seconds


def _rows_layout(x: torch.Tensor, y: torch.Tensor, proj: torch.Tensor) -> torch.Tensor:
    """The former layout: (B, H·W, K) projections sorted along the positions (the middle axis)."""
    px = (x.flatten(2).transpose(1, 2) @ proj).sort(dim=1).values
    py = (y.flatten(2).transpose(1, 2) @ proj).sort(dim=1).values
    return (px - py).pow(2).flatten(1).mean(1)


def main() -> None:
    from dreamgan.backbones import load_backbone
    from dreamgan.dream.config import DreamConfig
    from dreamgan.metrics.stats import one_set, sliced_wasserstein, unit_projections
    from dreamgan.models.config import TrainConfig
    from dreamgan.training.gan import statistics_loss

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--side", type=int, default=80, help="the side the backbone reads the 64 px samples at (the recipe: 64–96)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    recipe = DreamConfig()
    cfg = TrainConfig.from_preset(arch="dcgan", data="benchmark")
    stats = statistics_loss(cfg, load_backbone(recipe.backbone), recipe.layers)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        feats = stats.net(torch.rand(2 * cfg.batch_size, 3, args.side, args.side, generator=gen), stats.layers)
    rows, totals = {}, {"rows_layout_s": 0.0, "library_s": 0.0}
    for layer, f in feats.items():
        x, y = one_set(f[:cfg.batch_size]).requires_grad_(True), one_set(f[cfg.batch_size:])
        proj = unit_projections(x.shape[1], cfg.stats_projections, generator=gen)
        grads = []
        for name, fn in (("rows_layout_s", _rows_layout), ("library_s", sliced_wasserstein)):
            x.grad = None
            fn(x, y, proj).sum().backward()
            grads.append(x.grad.clone())
            seconds = median_seconds(lambda: fn(x, y, proj).sum().backward(), args.repeats)
            rows.setdefault(layer, {"vectors": x.shape[-2] * x.shape[-1], "channels": x.shape[1]})[name] = round(seconds, 4)
            totals[name] += seconds
        rows[layer]["same_gradient"] = bool(torch.equal(*grads))
    print(json.dumps({"threads": args.threads, "batch": cfg.batch_size, "side": args.side, "projections": cfg.stats_projections,
                      "layers": rows, "total_rows_layout_s": round(totals["rows_layout_s"], 4),
                      "total_library_s": round(totals["library_s"], 4),
                      "library_vs_rows_layout": round(totals["library_s"] / totals["rows_layout_s"], 3)}, indent=2))


if __name__ == "__main__":
    main()
