"""The studio's Textures view: dream textures from noise, drawn by a noise → dream generator.

  POST /api/textures         TextureRequest (width, height, seed, tileable) → the texture (PNG)
  POST /api/textures/strip   StripRequest (seed_a, seed_b, frames) → a strip walking from seed
                             A's texture to seed B's at the training size (PNG)

Each PNG carries the generator, its step and the seed in its text chunks (`generator_text`),
as `dreamgan textures` writes them; the same seed gives the same pixels here and there (the
texture of seed S is `dreamgan textures --seed S`'s first file at the same size). One texture
is drawn at a time (a lock): a request waits for the one before it.
"""
from __future__ import annotations

import threading

from pydantic import BaseModel, ConfigDict, Field

from dreamgan.models.config import MAX_SEED

MAX_SIDE = 1024
"""The studio's largest texture side (px); `dreamgan textures` draws up to 4096."""
MAX_FRAMES = 16
"""The most frames of a strip."""

_STRICT = ConfigDict(extra="forbid")


class TextureRequest(BaseModel):
    """One texture: its size (px), noise seed, and whether it wraps without a seam (sides then
    rounded up to whole noise cells)."""

    model_config = _STRICT
    width: int = Field(512, ge=32, le=MAX_SIDE)
    height: int = Field(512, ge=32, le=MAX_SIDE)
    seed: int = Field(0, ge=0, le=MAX_SEED)
    tileable: bool = False


class StripRequest(BaseModel):
    """An interpolation strip from seed A's texture to seed B's, `frames` frames, both ends included."""

    model_config = _STRICT
    seed_a: int = Field(0, ge=0, le=MAX_SEED)
    seed_b: int = Field(1, ge=0, le=MAX_SEED)
    frames: int = Field(8, ge=2, le=MAX_FRAMES)


class Textures:
    """A loaded noise → dream generator (`fast.loading.load_textures`) and what it draws for the studio."""

    def __init__(self, checkpoint=None):
        from dreamgan.fast.loading import load_textures

        self.g, self.cfg, self.ckpt = load_textures(checkpoint)
        self._lock = threading.Lock()

    def describe(self) -> dict:
        """The generator for GET /api/info: its file, step and training size."""
        return {"generator": str(self.ckpt["path"]), "step": self.ckpt.get("step"), "size": int(self.g.size),
                "tileable": self.cfg.noise_g != "dcgan"}

    def texture_png(self, req: TextureRequest) -> tuple[bytes, tuple[int, int]]:
        """(PNG bytes, (width, height) drawn) of the texture `req` asks for.

        Raises:
            DreamganError: a size or tiling this generator cannot draw, or no memory for it.
        """
        import torch

        from dreamgan.fast.dreams import draw_texture, generator_text, texture_size
        from dreamgan.images import png_bytes, x01_to_uint8

        h, w = texture_size(self.g, self.cfg, self.ckpt, (req.height, req.width), req.tileable)
        with self._lock:
            image = draw_texture(self.g, h, w, torch.Generator().manual_seed(req.seed))
        return png_bytes(x01_to_uint8(image), generator_text(self.ckpt, seed=req.seed)), (w, h)

    def strip_png(self, req: StripRequest) -> bytes:
        """A PNG strip of `req.frames` frames side by side, seed A's texture to seed B's."""
        from dreamgan.fast.dreams import generator_text, interpolation_frames, seed_noise
        from dreamgan.images import image_grid, png_bytes

        with self._lock:
            frames = interpolation_frames(self.g, seed_noise(self.g, req.seed_a), seed_noise(self.g, req.seed_b), req.frames)
        text = generator_text(self.ckpt, seed=req.seed_a)
        return png_bytes(image_grid(frames, nrow=req.frames), text)


__all__ = ["MAX_FRAMES", "MAX_SIDE", "StripRequest", "TextureRequest", "Textures"]
