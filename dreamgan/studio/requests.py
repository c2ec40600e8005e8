"""What the studio accepts: its request models and limits.

Defaults come from the default recipe (`DreamConfig()`), so the page starts where the CLI
does; the ranges are the studio's interactive limits (the CLI allows more). The page reads
both through GET /api/info.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dreamgan.dream.config import DreamConfig

_RECIPE = DreamConfig()

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_PIXELS = 30_000_000
MAX_STORED_SIDE = 2048
"""Uploads are kept at most this big (px, longest side): the largest working size a dream may ask for."""
STORE_SIZE = 32
"""How many uploaded images the server remembers (the oldest are forgotten first)."""
MAX_QUEUE = 8
"""Jobs that may wait behind the running one (`dreamgan serve --max-queue`); more get 429."""
MAX_WORK = 1_000_000_000
"""The most work one request may ask for, in pixel-steps: working pixels × ascent steps, summed
over a zoom's frames (a generator pass counts as one step). About 15 minutes on 2 CPU cores; the
default dream (512 px, 4 octaves × 10 steps) is 1e7, the default zoom 2.5e7."""

_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)  # "NaN" and "inf" are not numbers a dream takes


class _Bounded(BaseModel):
    """A request whose work (`pixel_steps`) must stay under `MAX_WORK`."""

    def pixel_steps(self) -> int:
        raise NotImplementedError

    @model_validator(mode="after")
    def _within_work_limit(self):
        work = self.pixel_steps()
        if work > MAX_WORK:
            raise ValueError(f"this asks for {work:.2g} pixel-steps (max_side² × steps × frames), over the studio's limit of "
                             f"{MAX_WORK:.0e}; ask for fewer frames or steps, or a smaller max_side")
        return self


class DreamRequest(_Bounded):
    """A classical dream. Ranges are the studio's (interactive) limits; the CLI allows more."""

    model_config = _STRICT
    image: str = Field(description="image id from POST /api/images or /api/photos")
    backbone: str = _RECIPE.backbone
    layers: list[str] = Field(default=list(_RECIPE.layers), max_length=8)
    octaves: int = Field(_RECIPE.octaves, ge=1, le=8)
    octave_scale: float = Field(_RECIPE.octave_scale, gt=1.0, le=2.0)
    steps: int = Field(_RECIPE.steps, ge=1, le=100)
    step_size: float = Field(_RECIPE.step_size, gt=0.0, le=0.1)
    jitter: int = Field(_RECIPE.jitter, ge=0, le=128)
    channels: list[int] | None = Field(None, max_length=512)
    top_k: int | None = Field(None, ge=1, le=2048)
    top_k_mode: Literal["most", "least"] = "most"
    guide: str | None = Field(None, description="image id of a guide image")
    class_target: str | None = Field(None, max_length=100)
    seed: int = Field(_RECIPE.seed, ge=0, le=2**31 - 1)
    max_side: int = Field(512, ge=64, le=MAX_STORED_SIDE, description="working size: the photo is shrunk to fit")

    def pixel_steps(self) -> int:
        return self.max_side ** 2 * self.octaves * self.steps  # every octave counted at full size: an upper bound


class FastRequest(_Bounded):
    """A fast dream: one generator pass (its noise from `seed`), plus `refine` classical steps."""

    model_config = _STRICT
    image: str
    refine: int = Field(0, ge=0, le=10)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    max_side: int = Field(512, ge=64, le=MAX_STORED_SIDE)

    def pixel_steps(self) -> int:
        return self.max_side ** 2 * (1 + self.refine)


class ZoomRequest(DreamRequest):
    """An infinite zoom: the classical recipe above (or the generator, mode fast), then `frames`
    frames, each zoomed by `zoom` and turned by `rotate` degrees about the centre."""

    mode: Literal["classical", "fast"] = "classical"
    frames: int = Field(48, ge=2, le=240)
    zoom: float = Field(1.05, ge=0.8, le=1.3)
    rotate: float = Field(0.0, ge=-10.0, le=10.0)
    frame_steps: int = Field(5, ge=1, le=20, description="classical: steps on each zoomed frame after the first")
    fps: float = Field(25.0, gt=0, le=60)
    max_side: int = Field(299, ge=64, le=1024, description="working size: the photo is shrunk to fit")

    def pixel_steps(self) -> int:
        first = self.octaves * self.steps if self.mode == "classical" else 1
        later = self.frame_steps if self.mode == "classical" else 1
        return self.max_side ** 2 * (first + (self.frames - 1) * later)
