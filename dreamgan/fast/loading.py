"""Loading the trained generator for inference: a run, a .pt, the bundled weights or an ONNX
file, behind one `load_fast_generator`. This is the one place that decides what "no
checkpoint" means (the bundled generator) and where a generator runs (`RUNTIMES`)."""
from __future__ import annotations

import os
from pathlib import Path

from dreamgan.errors import DreamganError
from dreamgan.fast.bundled import BUNDLED_GENERATOR, bundled_generator
from dreamgan.fast.onnx import OnnxGenerator, cached_onnx_generator, exportable, onnxruntime_installed


def load_generator(checkpoint: str | os.PathLike | None = None):
    """(G in eval mode, TrainConfig, checkpoint dict) from a run directory or a .pt file; None
    = the generator bundled with the package (`fast.bundled`)."""
    from dreamgan.models.checkpoint import generator_from_checkpoint, load_gan_checkpoint

    if checkpoint is None:
        checkpoint = bundled_generator()
    ckpt = load_gan_checkpoint(checkpoint)
    g, cfg = generator_from_checkpoint(ckpt)
    return g, cfg, ckpt


def default_checkpoint(checkpoint: str | os.PathLike | None, onnx: str | os.PathLike | None = None):
    """What a server loads when given neither a checkpoint nor an ONNX file: the bundled
    generator if this install has one, else None (no fast dreams); given ones pass through."""
    if checkpoint is None and onnx is None and BUNDLED_GENERATOR.is_file():
        return BUNDLED_GENERATOR
    return checkpoint


def is_bundled(path: str | os.PathLike) -> bool:
    """Whether `path` is the bundled generator's file."""
    return Path(path).resolve() == BUNDLED_GENERATOR.resolve()


def load_textures(checkpoint: str | os.PathLike | None = None):
    """(G, TrainConfig, checkpoint dict) of a noise → dream run dir or .pt (None = the bundled
    texture generator); a clear error for a photo → dream generator."""
    from dreamgan.models.checkpoint import bundled_textures

    g, cfg, ckpt = load_generator(bundled_textures() if checkpoint is None else checkpoint)
    if cfg.arch != "dcgan":
        raise DreamganError(f"{ckpt['path']} is a {cfg.arch} generator: it dreams photos (dreamgan sample); "
                            "textures come from a noise → dream run (--arch dcgan)")
    return g, cfg, ckpt


def load_pix2pix(checkpoint: str | os.PathLike | None = None):
    """(G, checkpoint dict) of a pix2pix run dir or .pt (None = the bundled generator); a clear
    error for any other generator."""
    g, cfg, ckpt = load_generator(checkpoint)
    if cfg.arch != "pix2pix":
        raise DreamganError(f"{ckpt['path']} is a {cfg.arch} generator: it makes dreams from noise; use -n N")
    return g, ckpt


RUNTIMES = ("auto", "torch", "onnx")
"""Where a checkpoint's generator runs: auto (ONNX Runtime when onnxruntime can be imported
and the generator exports, else PyTorch), torch, or onnx (ONNX Runtime, or an error)."""


def check_runtime(runtime: str) -> None:
    """The CLI's `--runtime`, refused in one line naming the flag before any weights are read
    (`sample`, `serve`)."""
    if runtime not in RUNTIMES:
        raise DreamganError(f"--runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")


def load_fast_generator(checkpoint: str | os.PathLike | None = None, *, onnx: str | os.PathLike | None = None,
                        runtime: str = "torch"):
    """(G, checkpoint dict) for photo → dream: a pix2pix run or .pt (None = the bundled
    generator), or with `onnx` a file from `dreamgan export` under ONNX Runtime, whose dict
    carries what its metadata says (path, step, recipe).

    `runtime` (`RUNTIMES`) says where a checkpoint runs. Under ONNX Runtime it is exported once
    into a cache (`fast.onnx.cached_onnx_generator`); on a CPU that is 1.9× faster at
    299 px and 3.3× at 720p (benchmarks/onnx_latency.py), with pixels within one uint8 step.
    """
    if runtime not in RUNTIMES:
        raise DreamganError(f"unknown runtime {runtime!r}; valid: {', '.join(RUNTIMES)}")
    if onnx is None:
        g, ckpt = load_pix2pix(checkpoint)
        if runtime == "torch":
            return g, ckpt
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
    g = OnnxGenerator(onnx)
    return g, {"path": str(g.path), "arch": "pix2pix", "step": g.step, "recipe": g.recipe,
               "config": {"generator": "unet (ONNX Runtime)"}}


__all__ = ["RUNTIMES", "load_fast_generator", "load_generator", "load_pix2pix"]
