"""Benchmark: the noise → dream recipe's training step, whole and by part, in several variants
of the recipe, side by side in one run.

For each `--variants` entry (comma-separated `key=value` overrides of the recipe,
`TrainConfig.from_preset(arch="dcgan", **overrides)`; `recipe` for none) the recipe runs
`--steps` steps of `dcgan_step` on random 64 px crops, with the statistics term on
the default dream recipe's Inception layers, as `dreamgan train` builds it. Then the parts, each
timed alone on the same batch: G forward + backward, one D pass with G's backward through it (the
pass G learns from), and the statistics term forward + backward. `g_precision=bf16` (or auto)
autocasts G's pass as training does, `stats_precision=bf16` the statistics term's backbone passes. Prints one JSON object; every
variant carries its step's ratio against the first variant's, measured in this run.

    python benchmarks/dcgan_step.py --variants d_size=128 recipe stats_scale=2.5 --steps 8 --threads 2
    python benchmarks/dcgan_step.py --variants g_precision=fp32 g_precision=bf16 --steps 8 --threads 2
    python benchmarks/dcgan_step.py --variants stats_precision=fp32 stats_precision=bf16 --steps 8 --threads 2
"""
from __future__ import annotations

import argparse
import json

import torch
from timing import median_seconds


def _overrides(variant: str) -> dict:
    """'d_size=128,stats_scale=2.5,noise_d=patch' → {"d_size": 128, "stats_scale": 2.5, "noise_d": "patch"};
    'recipe' → {}. Values are read as JSON numbers or booleans, else kept as strings."""
    if variant == "recipe":
        return {}

    def value(text: str):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text

    pairs = (item.split("=", 1) for item in variant.split(","))
    return {key: value(text) for key, text in pairs}


def main() -> None:
    from dreamgan.backbones import load_backbone
    from dreamgan.devices import autocast_dtype, autocast_to
    from dreamgan.dream.config import DreamConfig
    from dreamgan.models.checkpoint import build_networks
    from dreamgan.models.config import TrainConfig
    from dreamgan.training.gan import resolved_precisions, statistics_loss
    from dreamgan.training.losses import GANLoss
    from dreamgan.training.steps import dcgan_step, noise_terms

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", nargs="+", default=["d_size=128", "recipe"],
                    help="recipe overrides per variant, e.g. d_size=128,stats_scale=2.5 ('recipe': none); the first is the baseline")
    ap.add_argument("--steps", type=int, default=8, help="timed steps per variant (after one warm-up step)")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    recipe = DreamConfig()
    backbone = load_backbone(recipe.backbone)
    rows = {}
    for variant in args.variants:
        cfg = TrainConfig.from_preset(arch="dcgan", data="benchmark", **_overrides(variant))
        torch.manual_seed(cfg.seed)
        g, d = build_networks(cfg)
        stats = statistics_loss(cfg, backbone, recipe.layers)
        terms = noise_terms({"stats": cfg.lambda_stats}, stats_loss=stats)
        opt_g = torch.optim.Adam(g.parameters(), cfg.lr, betas=(cfg.beta1, 0.999))
        opt_d = torch.optim.Adam(d.parameters(), cfg.lr, betas=(cfg.beta1, 0.999))
        real = torch.rand(cfg.batch_size, 3, cfg.image_size, cfg.image_size)
        gen = torch.Generator().manual_seed(0)
        gan_loss = GANLoss(cfg.gan_mode)
        g_dtype = autocast_dtype(cfg.g_precision, torch.device("cpu"))
        step = median_seconds(lambda: dcgan_step(g, d, opt_g, opt_d, real, gan_loss=gan_loss, generator=gen, augment=cfg.augments_d,
                                              terms=terms, g_dtype=g_dtype), args.steps)
        z = torch.randn(g.noise_shape(cfg.batch_size), generator=gen)
        fake = g(z).detach().requires_grad_(True)

        def g_pass():
            with autocast_to("cpu", g_dtype):
                y = g(z)
            y.float().mean().backward()

        rows[variant] = {
            "step_s": round(step, 3),
            **resolved_precisions(cfg, torch.device("cpu")),
            "g_forward_backward_s": round(median_seconds(g_pass, 3), 3),
            "d_pass_with_backward_s": round(median_seconds(lambda: d(fake).mean().backward(), 3), 3),
            "stats_term_forward_backward_s": round(median_seconds(lambda: stats(fake, real, generator=gen).backward(), 3), 3),
        }
    base = next(iter(rows.values()))["step_s"]
    for row in rows.values():
        row["step_ratio_vs_first"] = round(row["step_s"] / base, 3)
    print(json.dumps({"threads": args.threads, "batch": cfg.batch_size, "image_size": cfg.image_size,
                      "variants": rows}, indent=2))


if __name__ == "__main__":
    main()
