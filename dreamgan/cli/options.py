"""Shared option types and parsers for the CLI."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from dreamgan.errors import DreamganError

SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="Random seed (jitter); same seed, same dream on this machine.")]
BackboneOpt = Annotated[Optional[str], typer.Option("--backbone", "-b", help="Backbone name (`dreamgan backbones`) or a dreamgan classifier .pt.")]
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
