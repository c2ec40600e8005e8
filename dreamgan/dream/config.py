"""The recipe of a classical dream: `DreamConfig`, its presets, and reading it from a file or
from command-line options. No torch here, so the CLI can show the defaults in `--help` fast.

A recipe is typed (`DreamConfig`) everywhere inside dreamgan and serialised only at the edges:
`to_dict`/`from_dict` for JSON (dataset.json, PNG text, checkpoints), `from_file` for recipe
files.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from dreamgan.errors import DreamganError, require

DEFAULT_BACKBONE = "inception-v3-tf"

REDUCTIONS = ("mean", "l2")
STEP_NORMS = ("std", "mean_abs")
PRECISIONS = ("fp32", "bf16", "auto")  # as devices.PRECISIONS (this module imports no torch)
GUIDE_MODES = ("weights", "dot")


@dataclass(frozen=True)
class DreamConfig:
    """Every knob of a classical dream. Serialises to the recipe stored with each output.

    Pixel quantities (`step_size`, `tv`) are in [0, 1] image units; sizes are in pixels.
    """

    backbone: str = DEFAULT_BACKBONE
    weights: str | None = None
    layers: tuple[str, ...] = ("mixed_3", "mixed_5")
    layer_weights: tuple[float, ...] | None = None
    reduction: str = "l2"
    channels: tuple[int, ...] | None = None
    top_k: int | None = None
    top_k_mode: str = "most"
    neuron: tuple[int, ...] | None = None
    """(channel,) or (channel, y, x) of the first layer."""
    class_target: str | None = None
    """A class name or index; maximises that logit instead of the layers."""
    guide: str | None = None
    """Path of a guide image (the Python API may pass the pixels to `dream` directly)."""
    guide_mode: str = "weights"
    octaves: int = 4
    octave_scale: float = 1.4
    steps: int = 10
    step_size: float = 0.012
    step_norm: str = "std"
    jitter: int = 32
    jitter_average: int = 1
    """Rolls per ascent step whose gradients are averaged (K× the cost). K = 4 makes the dream of
    a photo depend less on the jitter's chance: two seeds' changes correlate 0.48 instead of
    0.32, and a 5-px shift of the photo moves the dream with it more (docs/results.md)."""
    tile: int = 512
    tv: float = 0.0
    blur: float = 0.0
    seed: int = 0
    precision: str = "auto"
    """fp32, bf16 (autocast), or auto: bf16 where the device multiplies bf16 in hardware (a CPU
    with AMX or AVX-512 BF16, a bf16 GPU), fp32 elsewhere, where bf16 is emulated and many times
    slower (`devices.resolved_precision`). The engine resolves auto when it is built, so what it
    records (`DreamEngine.config`: PNG text, dataset manifests) says fp32 or bf16. fp32 reproduces
    a dream exactly across machines."""
    channels_last: bool = True
    """channels_last memory format: 1.2-1.3× faster on CPU for the same result (benchmarks/engine.py)."""

    def __post_init__(self):
        for name in ("layers", "layer_weights", "channels", "neuron"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        checks = [
            (len(self.layers) > 0 or self.class_target is not None, "give at least one layer"),
            (self.layer_weights is None or len(self.layer_weights) == len(self.layers),
             f"{len(self.layers)} layers but {len(self.layer_weights or ())} layer weights"),
            (self.reduction in REDUCTIONS, f"reduction must be one of {REDUCTIONS}"),
            (self.step_norm in STEP_NORMS, f"step_norm must be one of {STEP_NORMS}"),
            (self.precision in PRECISIONS, f"precision must be one of {PRECISIONS}"),
            (self.guide_mode in GUIDE_MODES, f"guide mode must be one of {GUIDE_MODES}"),
            (self.top_k_mode in ("most", "least"), "top-k mode must be 'most' or 'least'"),
            (self.top_k is None or self.top_k >= 1, "top-k must be ≥ 1"),
            (self.channels is None or all(c >= 0 for c in self.channels), "channels must be ≥ 0"),
            (self.neuron is None or len(self.neuron) in (1, 3), "neuron is (channel,) or (channel, y, x)"),
            (1 <= self.octaves <= 20, "octaves must be in 1..20"),
            (1.0 < self.octave_scale <= 4.0, "octave scale must be in (1, 4]"),
            (0 <= self.steps <= 10_000, "steps must be in 0..10000"),
            (0 < self.step_size <= 1.0, "step size must be in (0, 1]"),
            (0 <= self.jitter <= 1024, "jitter must be in 0..1024 px"),
            (1 <= self.jitter_average <= 16, "jitter average must be 1..16 rolls a step"),
            (self.tile == 0 or self.tile >= 64, "tile must be 0 (no tiling) or ≥ 64 px"),
            (self.tv >= 0 and self.blur >= 0, "tv and blur must be ≥ 0"),
        ]
        require(checks, "bad dream config: ")

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "DreamConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise DreamganError(f"unknown recipe keys: {', '.join(sorted(unknown))}; valid: {', '.join(sorted(known))}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    def replace(self, **changes) -> "DreamConfig":
        return replace(self, **changes)


PRESETS: dict[str, dict] = {
    # The TF DeepDream tutorial: mixed3 + mixed5 of Inception-v3, reduce_mean, normalised steps.
    "tutorial": dict(backbone="inception-v3-tf", layers=("mixed_3", "mixed_5"), reduction="mean"),
    # Deeper layer: eyes, animal faces, architecture.
    "deep": dict(backbone="inception-v3-tf", layers=("mixed_7",), reduction="l2"),
    # Shallow layer: strokes, swirls and textures.
    "shallow": dict(backbone="inception-v3-tf", layers=("mixed_1",), reduction="l2"),
    # A quick look: one octave, few steps.
    "quick": dict(octaves=2, steps=5),
}


def preset(name: str, **overrides) -> DreamConfig:
    """A `DreamConfig` from a named preset, with `overrides` applied."""
    if name not in PRESETS:
        raise DreamganError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    return DreamConfig(**{**PRESETS[name], **overrides})


def from_options(preset_name: str | None = None, **given) -> DreamConfig:
    """A `DreamConfig`: the preset (or the defaults), overridden by the options actually given
    (None = not given, as typer passes unset options)."""
    overrides = {k: v for k, v in given.items() if v is not None}
    return preset(preset_name, **overrides) if preset_name else DreamConfig(**overrides)


def from_file(path: str | os.PathLike) -> DreamConfig:
    """A `DreamConfig` from a .json or .toml recipe file (keys as in `DreamConfig`; a .toml may
    put them in a [dream] section).

    Raises:
        DreamganError: missing or unparsable file, unknown keys, bad values.
    """
    path = Path(path)
    if not path.is_file():
        raise DreamganError(f"recipe file {path} does not exist")
    try:
        if path.suffix.lower() == ".toml":
            import tomllib

            data = tomllib.loads(path.read_text())
            data = data.get("dream", data)
        else:
            data = json.loads(path.read_text())
    except Exception as e:
        raise DreamganError(f"recipe file {path} cannot be parsed ({e})") from None
    if not isinstance(data, dict):
        raise DreamganError(f"recipe file {path} must hold a table of DreamConfig keys")
    return DreamConfig.from_dict(data)
