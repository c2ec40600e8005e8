"""Benchmark: the noise → dream recipe's training step, whole and by part, at several sizes of
the projected discriminator's input, side by side in one run.

For each `--d-sizes` value the recipe (`TrainConfig.from_preset(arch="dcgan")` with that
`d_size`) runs `--steps` steps of `dcgan_step` on random 64 px crops, with the statistics term on
the default dream recipe's Inception layers, as `dreamgan train` builds it. Then the parts, each
timed alone on the same batch: G forward + backward, one D pass with G's backward through it (the
pass G learns from), and the statistics term forward + backward. Prints one JSON object; every
size carries its step's ratio against the first size's, measured in this run.

    python benchmarks/dcgan_step.py --d-sizes 128,96 --steps 8 --threads 2
"""
from __future__ import annotations

import argparse
import json

import torch
from timing import median_seconds


def main() -> None:
    from dreamgan.backbones import load_backbone
    from dreamgan.checkpoint import build_networks
    from dreamgan.dream.config import DreamConfig
    from dreamgan.gan_config import TrainConfig
    from dreamgan.training.gan import statistics_loss
    from dreamgan.training.losses import GANLoss
    from dreamgan.training.steps import dcgan_step, noise_terms

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d-sizes", default="128,96", help="comma-separated d_size values; the first is the baseline")
    ap.add_argument("--steps", type=int, default=8, help="timed steps per size (after one warm-up step)")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    recipe = DreamConfig()
    backbone = load_backbone(recipe.backbone)
    rows = {}
    for d_size in (int(s) for s in args.d_sizes.split(",")):
        cfg = TrainConfig.from_preset(arch="dcgan", data="benchmark", d_size=d_size)
        torch.manual_seed(cfg.seed)
        g, d = build_networks(cfg)
        stats = statistics_loss(cfg, backbone, recipe.layers)
        terms = noise_terms(stats_loss=stats, lambda_stats=cfg.lambda_stats)
        opt_g = torch.optim.Adam(g.parameters(), cfg.lr, betas=(cfg.beta1, 0.999))
        opt_d = torch.optim.Adam(d.parameters(), cfg.lr, betas=(cfg.beta1, 0.999))
        real = torch.rand(cfg.batch_size, 3, cfg.image_size, cfg.image_size)
        gen = torch.Generator().manual_seed(0)
        gan_loss = GANLoss(cfg.gan_mode)
        step = median_seconds(lambda: dcgan_step(g, d, opt_g, opt_d, real, gan_loss=gan_loss, generator=gen, augment=cfg.augments_d,
                                              terms=terms), args.steps)
        z = torch.randn(g.noise_shape(cfg.batch_size), generator=gen)
        fake = g(z).detach().requires_grad_(True)
        rows[d_size] = {
            "step_s": round(step, 3),
            "g_forward_backward_s": round(median_seconds(lambda: g(z).mean().backward(), 3), 3),
            "d_pass_with_backward_s": round(median_seconds(lambda: d(fake).mean().backward(), 3), 3),
            "stats_term_forward_backward_s": round(median_seconds(lambda: stats(fake, real, generator=gen).backward(), 3), 3),
        }
    base = next(iter(rows.values()))["step_s"]
    for row in rows.values():
        row["step_ratio_vs_first"] = round(row["step_s"] / base, 3)
    print(json.dumps({"threads": args.threads, "batch": cfg.batch_size, "image_size": cfg.image_size,
                      "d_sizes": {str(k): v for k, v in rows.items()}}, indent=2))


if __name__ == "__main__":
    main()
