"""Fast dreams: one forward pass of a trained generator (and, optionally, K classical steps on
top), in memory (`fast_dream`) or from image files to files (`write_fast_dreams`,
`write_noise_dreams` for a DCGAN)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from dreamgan.errors import DreamganError
from dreamgan.fast.loading import load_fast_generator, load_generator
from dreamgan.fileio import ensure_writable_dir
from dreamgan.images import image_grid, save_png, uint8_to_x01, x01_to_uint8
from dreamgan.models.pix2pix import run_generator


def generator_text(ckpt: dict, refine: int = 0, seed: int = 0) -> dict[str, str]:
    """PNG text metadata for a fast dream: the generator, its training step, the noise seed, the
    refine steps and the recipe of the dataset it learnt from."""
    from dreamgan.dream.files import png_text

    recipe = {"generator": str(ckpt["path"]), "step": ckpt.get("step"), "seed": seed, "refine": refine,
              "dataset_recipe": ckpt.get("recipe")}
    return png_text(recipe, **{"dreamgan.generator": str(ckpt["path"])})


@torch.no_grad()
def fast_dream(g, x01: torch.Tensor, *, refine: int = 0, recipe=None, chunk: int = 4, seed: int = 0) -> torch.Tensor:
    """pix2pix generator on (B, 3, H, W) in [0, 1], `chunk` images at a time; with `refine`
    K > 0, K classical steps on top.

    A generator with a noise input draws its noise from `seed`: the same seed gives the same
    pixels, another seed another dream of the same photo (as a new jitter seed does classically).
    """
    out = run_generator(g, x01, seed=seed, chunk=chunk)
    if refine > 0:
        from dreamgan.dream.engine import DreamConfig, DreamEngine

        if recipe is None:
            raise DreamganError("--refine needs the dataset recipe stored in the checkpoint")
        cfg = DreamConfig.from_dict(recipe).replace(octaves=1, steps=refine, precision="auto")
        out = DreamEngine(cfg).run(out)
    return out


def write_fast_dreams(checkpoint, paths: list[Path], out_dir, *, overlay: float | None = None, refine: int = 0,
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


MAX_TEXTURE_SIDE = 4096
"""The largest side `write_noise_dreams` draws (a 4096² texture takes a few GB on a CPU)."""


def parse_size(text: str) -> tuple[int, int]:
    """'1024x768' (width × height) or '512' (square) → (height, width).

    Raises:
        DreamganError: anything else, or a side outside 32 … MAX_TEXTURE_SIDE.
    """
    parts = text.lower().replace("×", "x").split("x")
    try:
        w, h = (int(parts[0]), int(parts[-1])) if len(parts) in (1, 2) else (0, 0)
    except ValueError:
        w = h = 0
    if not (32 <= w <= MAX_TEXTURE_SIDE and 32 <= h <= MAX_TEXTURE_SIDE):
        raise DreamganError(f"--size {text!r}: give WIDTHxHEIGHT (e.g. 1024x768) or one side, each 32 to {MAX_TEXTURE_SIDE} px")
    return h, w


@torch.no_grad()
def write_noise_dreams(checkpoint, out_dir, *, n: int = 8, interpolate: int = 0, seed: int = 0,
                       size: tuple[int, int] | None = None, tileable: bool = False) -> list[Path]:
    """n dreams from noise (and an interpolation strip of `interpolate` frames) as PNGs.

    `size` (height, width): a spatial generator draws textures of any size (default: its
    training size); `tileable` rounds the sides up to multiples of 16, where its circular
    padding makes the texture wrap seamlessly: copies laid side by side show no seam.

    Raises:
        DreamganError: not a noise → dream run; a size or tiling the classic DCGAN cannot draw.
    """
    from dreamgan.models.dcgan import interpolate_latents, noise_dreams

    g, cfg, ckpt = load_generator(checkpoint)
    if cfg.arch != "dcgan":
        raise DreamganError(f"{ckpt['path']} is a {cfg.arch} generator: give it images to dream")
    h, w = size or (g.size, g.size)
    if ((h, w) != (g.size, g.size) or tileable) and cfg.noise_g == "dcgan":
        raise DreamganError(f"{ckpt['path']} is a classic DCGAN: it draws {g.size}×{g.size} px only and cannot tile; "
                            "train with --noise-g texture or spatial for textures of any size")
    if tileable:  # the generator pads circularly: a texture of whole noise cells wraps exactly
        cells = g.noise_shape(1, h, w)[2:]
        h, w = (c * 2 ** g.doublings for c in cells)
    out = ensure_writable_dir(out_dir)
    images = noise_dreams(g, n, seed=seed, height=h, width=w, chunk=1 if h * w > 512 ** 2 else 8)
    text = generator_text(ckpt, seed=seed)
    written = [save_png(out / f"sample-{i:04d}.png", x01_to_uint8(images[i]), text) for i in range(n)]
    if interpolate > 1:
        gen = torch.Generator().manual_seed(seed + 1)
        shape = g.noise_shape(1)[1:]
        z = interpolate_latents(torch.randn(shape, generator=gen), torch.randn(shape, generator=gen), interpolate)
        written.append(save_png(out / "interpolation.png", image_grid(g(z), nrow=interpolate), text))
    return written


__all__ = ["MAX_TEXTURE_SIDE", "fast_dream", "generator_text", "parse_size", "write_fast_dreams", "write_noise_dreams"]
