"""Fast dreams: one forward pass of a trained generator (and, optionally, K classical steps on top)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from dreamgan.errors import DreamganError
from dreamgan.fileio import ensure_writable_dir
from dreamgan.images import save_png, uint8_to_x01, x01_to_uint8


def load_generator(checkpoint: str | os.PathLike | None = None):
    """(G in eval mode, TrainConfig, checkpoint dict) from a run directory or a .pt file; None
    = the generator bundled with the package (`dreamgan.bundled`)."""
    from dreamgan.training.checkpoint import generator_from_checkpoint, load_gan_checkpoint

    if checkpoint is None:
        from dreamgan.bundled import bundled_generator

        checkpoint = bundled_generator()
    ckpt = load_gan_checkpoint(checkpoint)
    g, cfg = generator_from_checkpoint(ckpt)
    return g, cfg, ckpt


def generator_text(ckpt: dict, refine: int = 0, seed: int = 0) -> dict[str, str]:
    """PNG text metadata for a fast dream: the generator, its training step, the noise seed, the
    refine steps and the recipe of the dataset it learnt from."""
    from dreamgan.dream.files import png_text

    recipe = {"generator": str(ckpt["path"]), "step": ckpt.get("step"), "seed": seed, "refine": refine,
              "dataset_recipe": ckpt.get("recipe")}
    return png_text(recipe, **{"dreamgan.generator": str(ckpt["path"])})


def load_pix2pix(checkpoint: str | os.PathLike | None = None):
    """(G, checkpoint dict) of a pix2pix run dir or .pt (None = the bundled generator); a clear
    error for any other generator."""
    g, cfg, ckpt = load_generator(checkpoint)
    if cfg.arch != "pix2pix":
        raise DreamganError(f"{ckpt['path']} is a {cfg.arch} generator: it makes dreams from noise; use -n N")
    return g, ckpt


RUNTIMES = ("auto", "torch", "onnx")
"""Where a checkpoint's generator runs: auto (ONNX Runtime when the `[onnx]` extra is installed
and the generator exports, else PyTorch), torch, or onnx (ONNX Runtime, or an error)."""


def load_fast_generator(checkpoint: str | os.PathLike | None = None, *, onnx: str | os.PathLike | None = None,
                        runtime: str = "torch"):
    """(G, checkpoint dict) for photo → dream: a pix2pix run or .pt (None = the bundled
    generator), or with `onnx` a file from `dreamgan export` under ONNX Runtime, whose dict
    carries what its metadata says (path, step, recipe).

    `runtime` (`RUNTIMES`) says where a checkpoint runs. Under ONNX Runtime it is exported once
    into a cache (`onnx_generator.cached_onnx_generator`); on a CPU that is 1.9× faster at
    299 px and 3.3× at 720p (benchmarks/onnx_latency.py), with pixels within one uint8 step.
    """
    if runtime not in RUNTIMES:
        raise DreamganError(f"unknown runtime {runtime!r}; valid: {', '.join(RUNTIMES)}")
    if onnx is None:
        g, ckpt = load_pix2pix(checkpoint)
        if runtime == "torch":
            return g, ckpt
        from dreamgan.onnx_generator import cached_onnx_generator, exportable, onnxruntime_installed

        if runtime == "auto" and not (onnxruntime_installed() and exportable(g)):
            return g, ckpt
        try:
            return cached_onnx_generator(g, ckpt), {**ckpt, "runtime": "onnxruntime"}
        except DreamganError:
            if runtime == "onnx":
                raise
            return g, ckpt  # auto: PyTorch runs it all the same
    if checkpoint is not None:
        raise DreamganError("give a checkpoint (--checkpoint) or an ONNX file (--onnx), not both")
    from dreamgan.onnx_generator import OnnxGenerator

    g = OnnxGenerator(onnx)
    return g, {"path": str(g.path), "arch": "pix2pix", "step": g.step, "recipe": g.recipe,
               "config": {"generator": "unet (ONNX Runtime)"}}


@torch.no_grad()
def fast_dream(g, x01: torch.Tensor, *, refine: int = 0, recipe=None, chunk: int = 4, seed: int = 0) -> torch.Tensor:
    """pix2pix generator on (B, 3, H, W) in [0, 1], `chunk` images at a time; with `refine`
    K > 0, K classical steps on top.

    A generator with a noise input draws its noise from `seed`: the same seed gives the same
    pixels, another seed another dream of the same photo (as a new jitter seed does classically).
    """
    gen = torch.Generator(device=x01.device).manual_seed(seed)
    out = torch.cat([g(x01[i:i + chunk], gen) for i in range(0, len(x01), chunk)])
    if refine > 0:
        from dreamgan.dream.engine import DreamConfig, DreamEngine

        if recipe is None:
            raise DreamganError("--refine needs the dataset recipe stored in the checkpoint")
        cfg = DreamConfig.from_dict(recipe).replace(octaves=1, steps=refine)
        out = DreamEngine(cfg).run(out)
    return out


def sample_pix2pix(checkpoint, paths: list[Path], out_dir, *, overlay: float | None = None, refine: int = 0,
                   seed: int = 0, onnx: str | os.PathLike | None = None,
                   runtime: str = "torch") -> tuple[list[Path], list[tuple[Path, str]]]:
    """Fast-dream image files into out_dir/<stem>.png (checkpoint None = the bundled generator;
    `onnx` = a file from `dreamgan export`, run with ONNX Runtime instead; `runtime` as in
    `load_fast_generator`); each photo's noise comes from `seed`. Returns (written, failed with
    reasons)."""
    from dreamgan.dream.files import write_dreams

    g, ckpt = load_fast_generator(checkpoint, onnx=onnx, runtime=runtime)

    def dream_one(path: Path, uint8: np.ndarray) -> np.ndarray:
        return x01_to_uint8(fast_dream(g, uint8_to_x01(uint8), refine=refine, recipe=ckpt.get("recipe"), seed=seed))

    report = write_dreams(paths, out_dir, dream_one, text=lambda path: generator_text(ckpt, refine, seed), overlay=overlay)
    return report.written, report.failed


@torch.no_grad()
def sample_dcgan(checkpoint, out_dir, *, n: int = 8, interpolate: int = 0, seed: int = 0) -> list[Path]:
    """n dreams from noise (and an interpolation strip of `interpolate` frames) as PNGs."""
    from dreamgan.models.dcgan import interpolate_latents

    g, cfg, ckpt = load_generator(checkpoint)
    if cfg.arch != "dcgan":
        raise DreamganError(f"{ckpt['path']} is a {cfg.arch} generator: give it images to dream")
    out = ensure_writable_dir(out_dir)
    gen = torch.Generator().manual_seed(seed)
    images = g(torch.randn(n, cfg.z_dim, generator=gen))
    written = [save_png(out / f"sample-{i:04d}.png", x01_to_uint8(images[i])) for i in range(n)]
    if interpolate > 1:
        z = interpolate_latents(torch.randn(cfg.z_dim, generator=gen), torch.randn(cfg.z_dim, generator=gen), interpolate)
        strip = np.concatenate([x01_to_uint8(x) for x in g(z)], 1)
        written.append(save_png(out / "interpolation.png", strip))
    return written
