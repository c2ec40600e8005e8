"""What the pooled dream-statistics term asks for, seen without a generator: 8 images optimised
directly on it (Heitz et al.'s texture synthesis), read plain, through random rolls, through
random enlargements, and through both.

    python docs/stats_robustness_figure.py --data data/debian -o docs/stats_robustness.png

Each variant starts from the same grey images with a little noise and takes `--steps` Adam
steps (lr 0.02) on `DreamStatsLoss(pooled=True)` at the dcgan recipe's layers against 8 fixed
crops of train true dreams, cut as the recipe cuts them (64 px, windows 64–128 px). Read plain,
the term is met by high-frequency pixel noise; through rolls and enlargements (the recipe's
`--stats-shift 64 --stats-scale 1.5`) it is met by eyes, swirls and meshes. Prints the final
losses as JSON. About 1 minute a variant on two CPU cores.
"""
from __future__ import annotations

import argparse
import json

import torch


def main() -> None:
    from dreamgan.backbones import load_backbone
    from dreamgan.data.pairs import open_dataset
    from dreamgan.images import labelled_grid, save_png
    from dreamgan.models.config import TrainConfig
    from dreamgan.training.evals import dream_crops
    from dreamgan.training.gan import stats_layers
    from dreamgan.training.losses import DreamStatsLoss

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/debian")
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("-n", type=int, default=8)
    ap.add_argument("-o", "--out", default="docs/stats_robustness.png")
    args = ap.parse_args()

    cfg = TrainConfig.from_preset(None, data=args.data, arch="dcgan")
    data = open_dataset(args.data)
    true = dream_crops(data.split("train"), cfg, n=args.n)[1]
    backbone = load_backbone(data.recipe.backbone)
    layers = stats_layers(backbone, data.recipe.layers, cfg.stats_layers)
    variants = {"read plain": (0, 1.0), "random rolls": (cfg.stats_shift, 1.0),
                "random enlargements": (0, cfg.stats_scale), "both (the recipe)": (cfg.stats_shift, cfg.stats_scale)}
    rows, losses = [true], {}
    for label, (shift, scale) in variants.items():
        loss = DreamStatsLoss(backbone, layers, pooled=True, shift=shift, scale=scale)
        x = (0.5 + 0.05 * torch.randn(true.shape, generator=torch.Generator().manual_seed(0))).requires_grad_(True)
        opt = torch.optim.Adam([x], lr=0.02)
        gen = torch.Generator().manual_seed(0)
        for _ in range(args.steps):
            opt.zero_grad()
            value = loss(x.clamp(0, 1), true, generator=gen)
            value.backward()
            opt.step()
        losses[label] = float(value)
        rows.append(x.detach().clamp(0, 1))
    grid = labelled_grid([torch.nn.functional.interpolate(r, scale_factor=2, mode="nearest") for r in rows],
                         ["images optimised on the pooled statistics term, 64 px shown at 2x"],
                         row_labels=["true-dream crops", *variants])
    save_png(args.out, grid)
    print(json.dumps({"steps": args.steps, "final_loss": losses}, indent=1))


if __name__ == "__main__":
    main()
