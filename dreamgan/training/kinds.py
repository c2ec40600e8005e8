"""The kinds of GAN a run trains, one object each: what differs between photo → dream and
noise → dream.

The training loop (`training/gan.py`) is the same for every kind; it asks the run's kind
(`kind_of(cfg)`, by `TrainConfig.arch`) for each of these and never looks at the arch itself:

    objectives     G's non-adversarial terms and the engine the evals measure with
    calibration    the inputs an EMA of G recalibrates its BatchNorm on (None: its own noise)
    step           one optimisation step on the step's batch (drawn here, noise and all)
    evaluate       the val scores at an eval step; `baseline`, the row logged once at step 0
                   (what the scores are read against); `scored`, the scores with that yardstick
    sample_sheet   the picture drawn at an eval step
    cache_name     the val features' cache file (FID/KID of the true dreams, computed once)

A new kind is one class here, registered in `KINDS` under its arch (and `models.config.ARCHS`).
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from dreamgan.data.pairs import PairedDreams
from dreamgan.images import labelled_grid, save_png
from dreamgan.models.config import TrainConfig
from dreamgan.training.evals import dream_crops, dream_views, kid_ratio, logged_photo_scores, photo_scores
from dreamgan.training.losses import DreamFeatureLoss, DreamObjectiveLoss, DreamStatsLoss, GANLoss
from dreamgan.training.steps import NOISE_TERMS, dcgan_step, loss_terms, noise_terms, pix2pix_step

SHALLOW_STATS_LAYERS = ("conv_2", "conv_4", "mixed")
"""Inception layers the statistics loss adds to the dream layers by default: colour and small texture."""


def stats_layers(backbone, dream_layers, chosen=()) -> list[str]:
    """The layers of the dream-statistics loss: `chosen`, or else the shallow Inception layers
    the backbone has followed by the recipe's dream layers (duplicates dropped, order kept)."""
    if chosen:
        return list(dict.fromkeys(backbone.resolve_layer(l) for l in chosen))
    shallow = [l for l in SHALLOW_STATS_LAYERS if l in backbone.layer_names]
    return list(dict.fromkeys([*shallow, *(backbone.resolve_layer(l) for l in dream_layers)]))


def statistics_loss(cfg: TrainConfig, backbone, dream_layers, device: torch.device | str = "cpu") -> DreamStatsLoss | None:
    """The run's dream-statistics term on `backbone` (the dataset's, on `device`) at its layers
    (`stats_layers`), pooled over the batch for a kind without photos, its backbone passes in
    `cfg.stats_precision` as resolved on `device`; None when its weight is 0."""
    from dreamgan.devices import autocast_dtype

    if cfg.lambda_stats <= 0:
        return None
    return DreamStatsLoss(backbone, stats_layers(backbone, dream_layers, cfg.stats_layers), kind=cfg.stats_kind,
                          projections=cfg.stats_projections, norm=cfg.stats_norm, tag_weight=cfg.stats_tag,
                          pooled=not kind_of(cfg).paired, shift=cfg.stats_shift, scale=cfg.stats_scale,
                          dtype=autocast_dtype(cfg.stats_precision, torch.device(device)))


def _device_of(module: torch.nn.Module) -> torch.device:
    return next(module.parameters()).device


class GANKind:
    """What a kind of GAN owns in a run (see the module docstring). Subclasses set `arch` and
    `paired` (whether its data are (photo, dream) pairs) and define the methods."""

    arch: str
    paired: bool

    def objectives(self, cfg: TrainConfig, recipe, backbone, device, net_g, part, g_dtype) -> tuple[list, object | None]:
        """(G's terms, as `steps.loss_terms` lists them, the dream engine of the evals or None)."""
        raise NotImplementedError

    def calibration(self, cfg: TrainConfig, train: PairedDreams, device) -> list[torch.Tensor] | None:
        return None

    def step(self, cfg: TrainConfig, nets, net_g, net_d, gan_loss: GANLoss, terms: list, train: PairedDreams, world,
             gen: torch.Generator, g_dtype) -> dict[str, float]:
        """One step on the batch `gen` draws (every process draws the global batch and keeps its part)."""
        raise NotImplementedError

    def evaluate(self, g, cfg: TrainConfig, val: PairedDreams, recipe, *, engine=None, fid: bool = True,
                 cache_real: str | os.PathLike | None = None) -> dict:
        raise NotImplementedError

    def baseline(self, cfg: TrainConfig, val: PairedDreams, recipe, *, engine=None, cache_real=None) -> dict | None:
        """The step-0 row the scores are read against ("reference": "identity"), or None."""
        return None

    def scored(self, scores: dict, logged: list[dict]) -> dict:
        """The eval's scores with what the kind derives from the run's logged baseline."""
        return scores

    def sample_sheet(self, path: Path, g, cfg: TrainConfig, val: PairedDreams, n: int = 4) -> None:
        raise NotImplementedError

    def cache_name(self, cfg: TrainConfig, stem: str) -> str:
        return stem


class PhotoToDream(GANKind):
    """pix2pix: a photo → dream generator trained on (photo, true dream) crops, scored by the
    paired dream metrics on the val photos, its baseline the photo itself (the identity)."""

    arch, paired = "pix2pix", True

    def objectives(self, cfg, recipe, backbone, device, net_g, part, g_dtype):
        from dreamgan.dream.engine import DreamEngine

        feature_loss = DreamFeatureLoss(backbone, recipe.layers, recipe.layer_weights) if cfg.lambda_feat > 0 else None
        engine = DreamEngine(recipe, backbone=backbone, device=device)
        objective_loss = DreamObjectiveLoss(engine, transforms=cfg.obj_transforms) if cfg.lambda_obj > 0 else None
        terms = loss_terms(cfg.loss_weights, feature_loss=feature_loss, objective_loss=objective_loss,
                           stats_loss=statistics_loss(cfg, backbone, recipe.layers, device), g=net_g, part=part, g_dtype=g_dtype)
        return terms, engine

    def calibration(self, cfg, train, device):
        """16 batches of photo crops (seeded by the run's seed) for an EMA of G; None without one."""
        if not cfg.averages_g:
            return None
        calib = torch.Generator().manual_seed(cfg.seed)
        return [train.batch(cfg.batch_size, cfg.image_size, calib)[0].to(device) for _ in range(16)]

    def step(self, cfg, nets, net_g, net_d, gan_loss, terms, train, world, gen, g_dtype):
        real_a, real_b = (world.take(t).to(world.device) for t in train.batch(cfg.batch_size, cfg.image_size, gen, cfg.crop_scale))
        return pix2pix_step(net_g, net_d, nets.opt_g, nets.opt_d, real_a, real_b, gan_loss=gan_loss, lambda_gan=cfg.lambda_gan,
                            terms=terms, generator=gen, part=world.part, augment=cfg.augments_d, g_dtype=g_dtype)

    @torch.no_grad()
    def evaluate(self, g, cfg, val, recipe, *, engine=None, fid=True, cache_real=None):
        """The paired dream metrics (`metrics.dream_scores`) of G's dreams of the val photos."""
        from dreamgan.metrics import dream_scores
        from dreamgan.models.pix2pix import run_generator

        real_a, real_b = val.all_x01()
        with _evaluating(g):
            fake_b = run_generator(g, real_a.to(_device_of(g))).cpu()
        return dream_scores(real_a, real_b, fake_b, recipe, engine=engine, fid=fid, cache_real=cache_real)

    def baseline(self, cfg, val, recipe, *, engine=None, cache_real=None):
        """The photo scored as its own dream (the generator starts as the identity)."""
        from dreamgan.metrics import dream_scores

        real_a, real_b = val.all_x01()
        return dream_scores(real_a, real_b, real_a, recipe, engine=engine, fid=False)

    @torch.no_grad()
    def sample_sheet(self, path, g, cfg, val, n=4):
        """Rows of photo | true dream | fake dream, the first n val pairs."""
        from dreamgan.models.pix2pix import run_generator

        real_a, real_b = (t[:n] for t in val.all_x01())
        with _evaluating(g):
            fake_b = run_generator(g, real_a.to(_device_of(g))).cpu()
        save_png(path, labelled_grid([[real_a[i], real_b[i], fake_b[i]] for i in range(len(real_a))], ["photo", "true dream", "fake dream"]))


class NoiseToDream(GANKind):
    """dcgan: a noise → dream texture generator trained on views of the true dreams alone,
    scored by FID/KID on both networks against `eval_crops` val crops, its baseline the photos'
    crops (what `kid_ratio` divides by)."""

    arch, paired = "dcgan", False

    def objectives(self, cfg, recipe, backbone, device, net_g, part, g_dtype):
        weights = {name: w for name, w in cfg.loss_weights.items() if name in NOISE_TERMS}  # the photo's terms mean nothing here
        return noise_terms(weights, stats_loss=statistics_loss(cfg, backbone, recipe.layers, device)), None

    def step(self, cfg, nets, net_g, net_d, gan_loss, terms, train, world, gen, g_dtype):
        real_b = dream_views(train, cfg.batch_size, cfg, gen)[1].to(world.device)
        return dcgan_step(net_g, net_d, nets.opt_g, nets.opt_d, world.take(real_b), gan_loss=gan_loss, generator=gen,
                          part=world.part, augment=cfg.augments_d, roll=cfg.d_roll, terms=terms, g_dtype=g_dtype)

    @torch.no_grad()
    def evaluate(self, g, cfg, val, recipe, *, engine=None, fid=True, cache_real=None):
        """FID/KID on both networks of `eval_crops` samples against as many val crops."""
        from dreamgan.metrics import fid_kid_both_x01
        from dreamgan.models.dcgan import noise_dreams

        real_b = dream_crops(val, cfg)[1]
        if not fid:
            return {"n": len(real_b)}
        with _evaluating(g):
            fake = noise_dreams(g, len(real_b), seed=cfg.seed)
        return {"n": len(real_b), **fid_kid_both_x01(fake, real_b, cache_real=cache_real)}

    def baseline(self, cfg, val, recipe, *, engine=None, cache_real=None):
        return photo_scores(cfg, val, cache_real=cache_real) if cfg.eval_fid else None

    def scored(self, scores, logged):
        photos = logged_photo_scores(logged)  # None for a run begun before the photos were scored
        if photos is not None and "kid_effnet_mean" in scores:
            return {**scores, "kid_ratio": kid_ratio(scores, photos)}
        return scores

    @torch.no_grad()
    def sample_sheet(self, path, g, cfg, val, n=4):
        """Two rows of n samples from fixed noise."""
        from dreamgan.models.dcgan import noise_dreams

        with _evaluating(g):
            fake = noise_dreams(g, 2 * n, seed=cfg.seed + 1)
        save_png(path, labelled_grid([list(fake[:n]), list(fake[n:])], ["samples from noise"]))

    def cache_name(self, cfg, stem):
        return f"{stem}-{cfg.eval_crops}"  # the crops measured against


class _evaluating:
    """`with _evaluating(g):` g in eval mode, then back in the mode it was in."""

    def __init__(self, g: torch.nn.Module):
        self.g, self.was = g, g.training

    def __enter__(self):
        self.g.eval()

    def __exit__(self, *exc):
        self.g.train(self.was)


def evaluate_generator(g, cfg: TrainConfig, val: PairedDreams, recipe, *, engine=None, fid: bool = True,
                       cache_real: str | os.PathLike | None = None) -> dict:
    """The val scores of `g` as its kind measures them (`GANKind.evaluate`)."""
    return kind_of(cfg).evaluate(g, cfg, val, recipe, engine=engine, fid=fid, cache_real=cache_real)


KINDS: dict[str, GANKind] = {kind.arch: kind for kind in (PhotoToDream(), NoiseToDream())}
"""Every kind of GAN, by its `TrainConfig.arch`."""


def kind_of(cfg: TrainConfig) -> GANKind:
    """The kind of GAN `cfg` trains."""
    return KINDS[cfg.arch]


__all__ = ["GANKind", "KINDS", "NoiseToDream", "PhotoToDream", "evaluate_generator", "kind_of", "stats_layers", "statistics_loss"]
