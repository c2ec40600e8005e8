"""Fast dreams: one forward pass of a trained generator (and, optionally, K classical steps on
top), in memory (`fast_dream`) or from image files to files (`write_fast_dreams`), and dreams
from noise: one texture (`texture_size`, `draw_texture`), an interpolation walk
(`interpolation_frames`), or files of them (`write_noise_dreams`)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from dreamgan.errors import DreamganError
from dreamgan.fast.loading import load_fast_generator, load_generator
from dreamgan.fileio import ensure_writable_dir
from dreamgan.images import image_grid, save_png, uint8_to_x01, x01_to_uint8
from dreamgan.models.config import MAX_SEED
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
"""The largest side `write_noise_dreams` draws (in parts: a 4096² texture takes about a GB)."""


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


MAX_SAMPLES = 10_000
"""The most dreams from noise one `sample` writes."""
MAX_INTERPOLATION = 64
"""The most frames of a latent interpolation strip (one PNG, frames side by side)."""


def noise_dream_bytes(g, height: int, width: int) -> int:
    """About the peak memory, in bytes, of drawing one height × width dream from noise with `g` as
    `write_noise_dreams` does: its noise map (4 bytes a value), the texture in float32 and uint8
    with its PNG (16 bytes a pixel), and one part's activations (`models.dcgan.synthesize`: 36
    bytes a pixel per channel of the full-size maps), plus 15 %. Fitted to
    benchmarks/texture_memory.py's peaks for the recipe's generator (docs/training.md)."""
    from torch import nn

    from dreamgan.models.dcgan import HALO_CELLS, TILE_CELLS

    c, h, w = g.noise_shape(1, height, width)[1:]
    full_size = [m.in_channels for m in g.modules() if isinstance(m, nn.Conv2d) and m.out_channels == 3][-1]
    cells = h * w if h <= TILE_CELLS and w <= TILE_CELLS else (TILE_CELLS + 2 * HALO_CELLS) ** 2
    part_px = cells * 4 ** getattr(g, "doublings", 4)
    return int(1.15 * (4 * c * h * w + 16 * height * width + 36 * full_size * part_px))


def _available_bytes() -> int | None:
    """Memory the system can give now (Linux: MemAvailable), or None where it cannot say."""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def texture_size(g, cfg, ckpt: dict, size: tuple[int, int] | None = None, tileable: bool = False) -> tuple[int, int]:
    """The (height, width) a noise → dream generator draws for `size` (default: its training
    size): with `tileable`, rounded up to whole noise cells, where its circular padding makes the
    texture wrap seamlessly.

    Raises:
        DreamganError: a size or tiling the classic DCGAN cannot draw; a size that needs more
            memory than the machine has free (`noise_dream_bytes`).
    """
    h, w = size or (g.size, g.size)
    if ((h, w) != (g.size, g.size) or tileable) and cfg.noise_g == "dcgan":
        raise DreamganError(f"{ckpt['path']} is a classic DCGAN: it draws {g.size}×{g.size} px only and cannot tile; "
                            "train with --noise-g texture or spatial for textures of any size")
    if tileable:  # the generator pads circularly: a texture of whole noise cells wraps exactly
        cells = g.noise_shape(1, h, w)[2:]
        h, w = (c * 2 ** g.doublings for c in cells)
    need, free = noise_dream_bytes(g, h, w), _available_bytes()
    if free is not None and need > free:
        raise DreamganError(f"a {w}×{h} dream from noise needs about {need / 2 ** 30:.1f} GiB and {free / 2 ** 30:.1f} GiB "
                            "is free; ask for a smaller --size")
    return h, w


@torch.no_grad()
def draw_texture(g, height: int, width: int, generator: torch.Generator) -> torch.Tensor:
    """One dream from noise (3, height, width) in [0, 1], its noise map drawn from `generator`,
    drawn in parts in bounded memory (`models.dcgan.synthesize`); a size from `texture_size`."""
    from dreamgan.models.dcgan import synthesize

    z = torch.randn(g.noise_shape(1, height, width), generator=generator)
    return synthesize(g, z.to(next(g.parameters()).device)).cpu()[0, :, :height, :width]


def seed_noise(g, seed: int, height: int | None = None, width: int | None = None) -> torch.Tensor:
    """The noise map (1, C, h, w) that seed `seed` gives a texture of height × width (default: the
    training size): the first draw of a generator seeded with it, as `write_noise_dreams`'
    first dream and the studio's texture of that seed draw it."""
    shape = g.noise_shape(1) if height is None else g.noise_shape(1, height, width)
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def interpolation_frames(g, z_a: torch.Tensor, z_b: torch.Tensor, frames: int) -> torch.Tensor:
    """(frames, 3, S, S) in [0, 1] at the noise maps' size: a walk from noise z_a to z_b (each one
    map, `g.noise_shape(1, …)`: batch 1; `interpolate_latents`), both ends included."""
    from dreamgan.models.dcgan import interpolate_latents

    z = interpolate_latents(z_a[0], z_b[0], frames)
    device = next(g.parameters()).device
    return torch.cat([g(z[i:i + 8].to(device)).cpu() for i in range(0, frames, 8)])


def write_noise_dreams(checkpoint, out_dir, *, n: int = 8, interpolate: int = 0, seed: int = 0,
                       size: tuple[int, int] | None = None, tileable: bool = False,
                       on_written: Callable[[int, int], None] | None = None, bundled_default: bool = False) -> list[Path]:
    """n dreams from noise (and an interpolation strip of `interpolate` frames) as PNGs, each
    written as soon as it is drawn (a killed run keeps the finished ones), in bounded memory.

    `size` (height, width): a spatial generator draws textures of any size (default: its
    training size), in parts (`models.dcgan.synthesize`), so a 4096² texture costs about a GB;
    `tileable` rounds the sides up to multiples of 16, where its circular padding makes the
    texture wrap seamlessly: copies laid side by side show no seam. The noise of dream i is
    drawn after that of dreams 0 … i − 1 from one generator seeded with `seed`, so n dreams of
    one seed begin with the dreams of fewer (dream 0 of a seed is the studio's texture of it).
    `checkpoint` None: the bundled texture generator when `bundled_default`, else the bundled
    (photo → dream) generator, which is refused.

    Raises:
        DreamganError: not a noise → dream run; a size or tiling the classic DCGAN cannot draw;
            n outside 1 … MAX_SAMPLES, interpolate outside 0 … MAX_INTERPOLATION, a seed outside
            0 … MAX_SEED; a size that needs more memory than the machine has free.
    """
    from dreamgan.fast.loading import load_textures

    if not 1 <= n <= MAX_SAMPLES:
        raise DreamganError(f"-n must be 1 to {MAX_SAMPLES}, got {n}")
    if not 0 <= interpolate <= MAX_INTERPOLATION:
        raise DreamganError(f"--interpolate must be 0 (none) to {MAX_INTERPOLATION} frames, got {interpolate}")
    check_seed(seed)
    if checkpoint is None and bundled_default:
        g, cfg, ckpt = load_textures(None)
    else:
        g, cfg, ckpt = load_generator(checkpoint)
        if cfg.arch != "dcgan":
            raise DreamganError(f"{ckpt['path']} is a {cfg.arch} generator: give it images to dream")
    h, w = texture_size(g, cfg, ckpt, size, tileable)
    out = ensure_writable_dir(out_dir)
    text = generator_text(ckpt, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    written = []
    for i in range(n):
        written.append(save_png(out / f"sample-{i:04d}.png", x01_to_uint8(draw_texture(g, h, w, gen)), text))
        if on_written:
            on_written(i + 1, n + (interpolate > 1))
    if interpolate > 1:
        gen = torch.Generator().manual_seed(seed + 1)
        shape = g.noise_shape(1)
        frames = interpolation_frames(g, torch.randn(shape, generator=gen), torch.randn(shape, generator=gen), interpolate)
        written.append(save_png(out / "interpolation.png", image_grid(frames, nrow=interpolate), text))
        if on_written:
            on_written(n + 1, n + 1)
    return written


def check_seed(seed: int) -> int:
    """`seed`, or a one-line error if torch cannot seed a generator with it (0 … MAX_SEED)."""
    if not 0 <= seed <= MAX_SEED:
        raise DreamganError(f"--seed must be 0 to {MAX_SEED}, got {seed}")
    return seed


__all__ = ["MAX_INTERPOLATION", "MAX_SAMPLES", "MAX_TEXTURE_SIDE", "check_seed", "draw_texture", "fast_dream", "generator_text",
           "interpolation_frames", "noise_dream_bytes", "parse_size", "seed_noise", "texture_size", "write_fast_dreams", "write_noise_dreams"]
