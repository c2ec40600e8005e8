"""Shared option types and parsers for the CLI."""
from __future__ import annotations

import functools
import inspect
from pathlib import Path
from typing import Annotated, Callable, Optional

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

JitterAverageOpt = Annotated[Optional[int], recipe_option(
    "jitter_average", "Rolls per step whose gradients are averaged: a steadier, more learnable dream at K× the cost.", "--jitter-average")]
PrecisionOpt = Annotated[Optional[str], recipe_option(
    "precision", "fp32, bf16 (autocast), or auto: bf16 where the CPU or GPU has bf16 units (AMX, AVX-512 BF16), else fp32. "
    "fp32 reproduces a dream exactly across machines.", "--precision")]
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


Opt = typer.Option

ENGINE_OPTIONS: dict[str, object] = {
    "preset": Annotated[Optional[str], Opt(help="Recipe preset: tutorial (mixed_3+mixed_5), deep (mixed_7), shallow, quick.")],
    "backbone": BackboneOpt,
    "weights": WeightsOpt,
    "layers": LayersOpt,
    "reduction": Annotated[Optional[str], recipe_option("reduction", "Per-layer objective: l2 (Google) or mean (TF tutorial).")],
    "octaves": OctavesOpt,
    "octave_scale": Annotated[Optional[float], recipe_option("octave_scale", "Scale between octaves.")],
    "steps": StepsOpt,
    "step_size": StepSizeOpt,
    "step_norm": Annotated[Optional[str], recipe_option("step_norm", "Gradient normalisation: std or mean_abs.")],
    "jitter": JitterOpt,
    "jitter_average": JitterAverageOpt,
    "tile": Annotated[Optional[int], recipe_option("tile", "Tile size in px for big images (0 = never tile).")],
    "channels": Annotated[Optional[str], Opt(help="Only these channels ('maplist'): 12,40,97")],
    "top_k": Annotated[Optional[int], Opt("--top-k", help="The k most activated channels of each layer for the input.")],
    "least": Annotated[bool, Opt("--least", help="With --top-k: the least activated channels instead.")],
    "neuron": Annotated[Optional[str], Opt(help="One unit of the first layer: CHANNEL or CHANNEL,Y,X.")],
    "class_target": Annotated[Optional[str], Opt("--class", help="Maximise this class (name or index; see `dreamgan classes`).")],
    "guide": Annotated[Optional[Path], Opt(help="Guide image: its activations decide which features grow.")],
    "guide_mode": Annotated[Optional[str], recipe_option("guide_mode", "Guide mode: weights (channel weights) or dot (Google's dot product).")],
    "tv": Annotated[Optional[float], recipe_option("tv", "Total-variation penalty weight.")],
    "blur": Annotated[Optional[float], recipe_option("blur", "Gradient blur sigma in px (0 = off).")],
    "seed": SeedOpt,
    "precision": PrecisionOpt,
    "channels_last": Annotated[Optional[bool], Opt("--channels-last/--no-channels-last", help="channels_last memory format.")],
}
"""Every option of the classical engine, as `dreamgan dream`, `video` and `zoom` take them."""


def recipe_from_options(*, preset=None, layers=None, channels=None, top_k=None, least=False, neuron=None, guide=None,
                        **fields) -> DreamConfig:
    """The `DreamConfig` that the engine options (`ENGINE_OPTIONS`, unset = None) describe.

    Raises:
        DreamganError: a bad value, or --least without --top-k.
    """
    from dreamgan.dream.config import from_options

    if least and top_k is None:
        raise DreamganError("--least needs --top-k K")
    layer_names, layer_weights = parse_layers(layers) if layers else (None, None)
    return from_options(
        preset, layers=layer_names, layer_weights=layer_weights, channels=parse_ints(channels, "channels") if channels else None,
        top_k=top_k, top_k_mode="least" if least else None, neuron=parse_ints(neuron, "neuron") if neuron else None,
        guide=str(guide) if guide else None, **fields)


def engine_options(command: Callable) -> Callable:
    """Give a Typer command every option of the classical engine (`ENGINE_OPTIONS`). The
    command declares a `recipe` parameter instead, and gets the `DreamConfig` they describe."""
    sig = inspect.signature(command, eval_str=True)
    own = [p for name, p in sig.parameters.items() if name != "recipe"]
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=False if name == "least" else None, annotation=annotation)
             for name, annotation in ENGINE_OPTIONS.items()]

    @functools.wraps(command)
    def with_recipe(**kwargs):
        engine = {name: kwargs.pop(name) for name in ENGINE_OPTIONS}
        return command(**kwargs, recipe=recipe_from_options(**engine))

    with_recipe.__signature__ = sig.replace(parameters=[*own, *extra])
    with_recipe.__annotations__ = {**{p.name: p.annotation for p in own}, **ENGINE_OPTIONS}
    del with_recipe.__wrapped__  # typer reads the signature above, not the command's own
    return with_recipe


def field_docs(cls) -> dict[str, str]:
    """{field: its docstring, on one line} of a dataclass whose fields carry attribute docstrings
    (the string literal under each field, as `TrainConfig`'s): the one place a knob's help lives."""
    import ast
    import textwrap

    body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0].body
    return {node.target.id: " ".join(after.value.value.split()) for node, after in zip(body, body[1:])
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str)}


TRAIN_FLAG_NAMES = {"eval_fid": "--fid/--no-fid"}
"""Boolean training options whose flags keep a shorter, older name (`--no-fid`)."""


def train_options(command: Callable, *, own: tuple[str, ...] = ("data", "arch", "out")) -> Callable:
    """Give a Typer command one option per `TrainConfig` field (except those in `own`, which the
    command declares itself), its help the field's docstring and its default the field's (with
    the noise → dream recipe's where it differs). Every option is unset (None) unless given; the
    command declares a `given` parameter instead and gets {field: value} of the options given
    (comma-separated tuples parsed). A new training knob is then one field of `TrainConfig`."""
    import dataclasses
    import typing

    from dreamgan.models.config import DCGAN_DEFAULTS, TrainConfig

    hints, docs = typing.get_type_hints(TrainConfig), field_docs(TrainConfig)
    annotations: dict[str, object] = {}
    for f in dataclasses.fields(TrainConfig):
        if f.name in own:
            continue
        hint, dash = hints[f.name], f.name.replace("_", "-")
        default = ",".join(map(str, f.default)) if isinstance(f.default, tuple) else f.default
        shown = f"{default}" + (f"; dcgan {DCGAN_DEFAULTS[f.name]}" if f.name in DCGAN_DEFAULTS and DCGAN_DEFAULTS[f.name] != f.default else "")
        help_text = docs.get(f.name, dash).split(". ")[0].rstrip(".") + "."
        if hint is bool:
            annotations[f.name] = Annotated[Optional[bool], Opt(TRAIN_FLAG_NAMES.get(f.name, f"--{dash}/--no-{dash}"), help=help_text,
                                                              show_default=shown)]
        elif typing.get_origin(hint) is tuple:
            annotations[f.name] = Annotated[Optional[str], Opt(f"--{dash}", help=help_text + " Comma-separated.", show_default=shown)]
        else:
            annotations[f.name] = Annotated[Optional[hint], Opt(f"--{dash}", help=help_text, show_default=shown)]
    sig = inspect.signature(command, eval_str=True)
    kept = [p for name, p in sig.parameters.items() if name != "given"]
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=a) for name, a in annotations.items()]

    def parsed(name: str, value):
        if value is None or typing.get_origin(hints[name]) is not tuple:
            return value
        item = typing.get_args(hints[name])[0]
        return parse_floats(value, name.replace("_", "-")) if item is float else tuple(p.strip() for p in value.split(",") if p.strip())

    @functools.wraps(command)
    def with_given(**kwargs):
        given = {name: parsed(name, kwargs.pop(name)) for name in annotations}
        return command(**kwargs, given=given)

    with_given.__signature__ = sig.replace(parameters=[*kept, *extra])
    with_given.__annotations__ = {**{p.name: p.annotation for p in kept}, **annotations}
    del with_given.__wrapped__  # typer reads the signature above, not the command's own
    return with_given
