"""GAN checkpoints: the format, building the networks a config describes, save and load, and
where the bundled generator lives. Training and inference (`dreamgan.fast`) both read this
module; it imports neither.

A checkpoint is self-describing (format, arch, config, the dataset's recipe, state dicts of
G, D, optimisers and schedulers, step, best) and loads with `weights_only=True`.
"""
from __future__ import annotations

import os
from dataclasses import asdict, replace
from pathlib import Path

import torch

from dreamgan import __version__
from dreamgan.errors import DreamganError
from dreamgan.fileio import atomic_path, load_torch_file
from dreamgan.models.config import TrainConfig, saved_config

GAN_FORMAT = "dreamgan-gan/1"
BUNDLED_GENERATOR = Path(__file__).parents[1] / "weights" / "fast_dream.pt"
"""The pretrained generator shipped in the package (`fast/bundled.py`, docs/model_card.md)."""


BUNDLED_TEXTURES = Path(__file__).parents[1] / "weights" / "dream_textures.pt"
"""The pretrained noise → dream texture generator shipped in the package (`dreamgan textures`,
the studio's Textures view; docs/textures_model_card.md), made by `pipelines/textures.toml`."""


def bundled_textures(instead: str = "pass --checkpoint RUN") -> Path:
    """The bundled texture generator's path.

    Raises:
        DreamganError: this install has no bundled texture generator: the message says how to
            make one, and `instead` how to give another.
    """
    if not BUNDLED_TEXTURES.is_file():
        raise DreamganError(f"this dreamgan install has no bundled texture generator ({BUNDLED_TEXTURES}); {instead} "
                            "(a `dreamgan train --arch dcgan` run), or make it with "
                            "`dreamgan pipeline run pipelines/textures.toml` (about 30 minutes on 2 CPU cores)")
    return BUNDLED_TEXTURES


def bundled_generator() -> Path:
    """The bundled generator's path.

    Raises:
        DreamganError: this install has no bundled generator (it says how to make one).
    """
    if not BUNDLED_GENERATOR.is_file():
        raise DreamganError(f"this dreamgan install has no bundled generator ({BUNDLED_GENERATOR}); "
                            "pass --checkpoint RUN, or rebuild it with `dreamgan pipeline run pipelines/release.toml`")
    return BUNDLED_GENERATOR


def build_networks(cfg: TrainConfig, recipe: dict | None = None):
    """(G, D) for the config's arch and sizes; the backbone generator and the projected
    discriminator also need the dataset recipe (its backbone). With `g_octaves` > 1 the
    generator runs coarse to fine (`models/octaves.py`)."""
    if cfg.arch == "pix2pix" and cfg.g_octaves > 1:
        from dreamgan.models.octaves import OctaveGenerator

        g, d = build_networks(replace(cfg, g_octaves=1), recipe)
        return OctaveGenerator(g, cfg.g_octaves, cfg.g_octave_scale), d
    if cfg.arch == "pix2pix":
        from dreamgan.models.pix2pix import BackboneUNet, PatchGAN, ResidualUNet

        backbone = None
        if cfg.d_input == "projected-effnet":
            from dreamgan.models.dcgan import effnet_discriminator

            d = effnet_discriminator(cfg.ndf, cfg.d_size, conditional=True)
        if cfg.d_input == "projected" or cfg.generator == "backbone":  # both run the dataset's frozen network
            from dreamgan.backbones import load_backbone

            if recipe is None:
                from dreamgan.data.pairs import read_dataset_meta

                recipe = read_dataset_meta(cfg.data)["recipe"]
            backbone = load_backbone(recipe["backbone"], weights=recipe.get("weights"))
        if cfg.d_input == "projected":
            from dreamgan.models.projected import ProjectedDiscriminator

            d = ProjectedDiscriminator(backbone, list(dict.fromkeys([*cfg.d_layers, *recipe["layers"]])))
        elif cfg.d_input in ("pair", "dream"):
            d = PatchGAN(cfg.ndf, conditional=cfg.d_input == "pair")
        if cfg.generator == "texture":
            from dreamgan.models.photo_texture import PhotoTextureGenerator

            return PhotoTextureGenerator(cfg.ngf, cfg.depth, cfg.noise, cfg.unshuffle), d
        if cfg.generator == "backbone":
            return BackboneUNet(backbone, list(dict.fromkeys([*cfg.taps, *recipe["layers"]])), cfg.ngf), d
        if cfg.generator == "dilated":
            from dreamgan.models.context import DilatedResidualNet

            return DilatedResidualNet(cfg.ngf, cfg.depth, cfg.unshuffle, cfg.noise), d
        return ResidualUNet(cfg.ngf, cfg.depth, cfg.unshuffle, noise=cfg.noise, noise_levels=cfg.noise_levels or None,
                            antialias=cfg.antialias), d
    from dreamgan.models.dcgan import noise_networks

    return noise_networks(cfg.noise_g, cfg.noise_d, cfg.image_size, cfg.z_dim, cfg.ngf, cfg.ndf, fine_noise=cfg.fine_noise,
                          upsample=cfg.upsample, g_convs=cfg.g_convs, g_jitter=cfg.g_jitter, d_size=cfg.d_size)


def load_gan_checkpoint(path: str | os.PathLike) -> dict:
    """A dreamgan GAN checkpoint (`weights_only=True`), or a `DreamganError` saying what it is."""
    path = Path(path)
    if path.is_dir():
        path = path / "best.pt" if (path / "best.pt").is_file() else path / "latest.pt"
    if not path.is_file():
        raise DreamganError(f"no checkpoint at {path}")
    ckpt = load_torch_file(path)
    if not isinstance(ckpt, dict) or ckpt.get("format") != GAN_FORMAT:
        raise DreamganError(f"{path}: not a dreamgan GAN checkpoint (expected format {GAN_FORMAT})")
    ckpt["path"] = str(path)
    return ckpt


def generator_from_checkpoint(ckpt: dict):
    """(G in eval mode, TrainConfig) from a loaded checkpoint: the EMA of G's weights where the
    run kept one (it samples better than the last step's weights). An EMA saved before runs
    gave it its own BatchNorm statistics (no `g_ema_batchnorm` key) carries the raw G's; it gets
    its own here (`recalibrate_batchnorm`, deterministic), as a run saves them now."""
    cfg = saved_config(ckpt["config"])
    g, _ = build_networks(cfg, ckpt.get("recipe"))
    g.load_state_dict(ckpt.get("g_ema") or ckpt["g"])
    if "g_ema" in ckpt and ckpt.get("g_ema_batchnorm") != "own":
        from dreamgan.models.dcgan import recalibrate_batchnorm

        recalibrate_batchnorm(g)
    return g.eval(), cfg


def save_gan_checkpoint(path: Path, cfg: TrainConfig, g, d, opt_g, opt_d, sched_g, sched_d, step: int, best: dict,
                        recipe: dict, g_ema=None) -> None:
    """Write a checkpoint atomically (a kill never leaves a torn file); `g_ema` is the moving
    average of G's weights, if the run keeps one, with its own BatchNorm statistics
    (`recalibrate_batchnorm`; the checkpoint says so, `g_ema_batchnorm`). The global torch RNG's state goes with it
    (`torch_rng`): what still draws from it (the spatial generator's jitter) draws on after a resume as if the run had never stopped."""
    payload = {"format": GAN_FORMAT, "arch": cfg.arch, "config": asdict(cfg), "recipe": recipe, "step": step,
               "g": g.state_dict(), "d": d.state_dict(), "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
               "sched_g": sched_g.state_dict(), "sched_d": sched_d.state_dict(), "best": best,
               "torch_rng": torch.get_rng_state(), "dreamgan_version": __version__}
    if g_ema is not None:
        payload["g_ema"], payload["g_ema_batchnorm"] = g_ema.state_dict(), "own"
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
