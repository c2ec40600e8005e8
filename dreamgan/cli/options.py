"""Shared option types and parsers for the CLI."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from dreamgan.dream.config import DreamConfig
from dreamgan.errors import DreamganError

_RECIPE = DreamConfig()


def recipe_option(field: str, help: str, *names: str):
    """A typer option for a `DreamConfig` field: unset (None) unless given, so a preset or a
    recipe file can fill it, and `--help` shows the default recipe's value."""
    value = getattr(_RECIPE, field)
    shown = ",".join(map(str, value)) if isinstance(value, tuple) else value
    return typer.Option(*names, help=help, show_default=f"{shown}, or the preset's")

SeedOpt = Annotated[Optional[int], recipe_option("seed", "Random seed (jitter); same seed, same dream on this machine.", "--seed")]
BackboneOpt = Annotated[Optional[str], recipe_option("backbone", "Backbone name (`dreamgan backbones`) or a dreamgan classifier .pt.", "--backbone", "-b")]
OctavesOpt = Annotated[Optional[int], recipe_option("octaves", "Number of octaves.")]
StepsOpt = Annotated[Optional[int], recipe_option("steps", "Ascent steps per octave.")]
StepSizeOpt = Annotated[Optional[float], recipe_option("step_size", "Step size in [0, 1] pixel units (after gradient normalisation).")]
JitterOpt = Annotated[Optional[int], recipe_option("jitter", "Random roll jitter in px (0 = off).")]
LayersOpt = Annotated[Optional[str], recipe_option("layers", "Dream layers with optional weights: mixed_3,mixed_5:0.5")]
WeightsOpt = Annotated[Optional[str], typer.Option("--weights", help="Local weights file for torchvision backbones (never downloaded).")]


def parse_layers(text: str) -> tuple[tuple[str, ...], tuple[float, ...] | None]:
    """'mixed_3,mixed_5:0.5' → (('mixed_3', 'mixed_5'), (1.0, 0.5)); weights None if none given."""
    names, weights, any_weight = [], [], False
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, weight = part.partition(":")
        names.append(name.strip())
        if weight:
            any_weight = True
            try:
                weights.append(float(weight))
            except ValueError:
                raise DreamganError(f"bad layer weight in {part!r}: expected LAYER:NUMBER") from None
        else:
            weights.append(1.0)
    if not names:
        raise DreamganError("--layers is empty; give e.g. --layers mixed_3,mixed_5")
    return tuple(names), (tuple(weights) if any_weight else None)


def parse_ints(text: str, what: str) -> tuple[int, ...]:
    """'1,2, 3' → (1, 2, 3)."""
    try:
        return tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise DreamganError(f"bad {what} {text!r}: expected comma-separated integers") from None


def parse_floats(text: str, what: str, count: int | None = None) -> tuple[float, ...]:
    """'0.5,2' → (0.5, 2.0); with `count`, exactly that many numbers."""
    try:
        values = tuple(float(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise DreamganError(f"bad --{what} {text!r}: expected comma-separated numbers") from None
    if count is not None and len(values) != count:
        raise DreamganError(f"bad --{what} {text!r}: expected {count} comma-separated numbers")
    return values
