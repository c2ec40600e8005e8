"""`dreamgan dream IMAGES... -o OUTDIR`: classical DeepDream with every engine knob."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dreamgan.cli.options import (
    BackboneOpt,
    JitterOpt,
    LayersOpt,
    OctavesOpt,
    SeedOpt,
    StepSizeOpt,
    StepsOpt,
    WeightsOpt,
    parse_ints,
    parse_layers,
    recipe_option,
)
from dreamgan.cli.root import app
from dreamgan.errors import DreamganError

Opt = typer.Option


@app.command("dream")
def dream_command(
    images: Annotated[list[Path], typer.Argument(help="Image files or folders (searched recursively).")],
    out: Annotated[Path, Opt("--out", "-o", help="Output folder for the dream PNGs.")] = Path("dreams"),
    preset: Annotated[Optional[str], Opt(help="Recipe preset: tutorial (mixed_3+mixed_5), deep (mixed_7), shallow, quick.")] = None,
    backbone: BackboneOpt = None,
    weights: WeightsOpt = None,
    layers: LayersOpt = None,
    reduction: Annotated[Optional[str], recipe_option("reduction", "Per-layer objective: l2 (Google) or mean (TF tutorial).")] = None,
    octaves: OctavesOpt = None,
    octave_scale: Annotated[Optional[float], recipe_option("octave_scale", "Scale between octaves.")] = None,
    steps: StepsOpt = None,
    step_size: StepSizeOpt = None,
    step_norm: Annotated[Optional[str], recipe_option("step_norm", "Gradient normalisation: std or mean_abs.")] = None,
    jitter: JitterOpt = None,
    tile: Annotated[Optional[int], recipe_option("tile", "Tile size in px for big images (0 = never tile).")] = None,
    channels: Annotated[Optional[str], Opt(help="Only these channels ('maplist'): 12,40,97")] = None,
    top_k: Annotated[Optional[int], Opt("--top-k", help="The k most activated channels of each layer for the input.")] = None,
    least: Annotated[bool, Opt("--least", help="With --top-k: the least activated channels instead.")] = False,
    neuron: Annotated[Optional[str], Opt(help="One unit of the first layer: CHANNEL or CHANNEL,Y,X.")] = None,
    class_target: Annotated[Optional[str], Opt("--class", help="Maximise this class (name or index; see `dreamgan classes`).")] = None,
    guide: Annotated[Optional[Path], Opt(help="Guide image: its activations decide which features grow.")] = None,
    guide_mode: Annotated[Optional[str], recipe_option("guide_mode", "Guide mode: weights (channel weights) or dot (Google's dot product).")] = None,
    tv: Annotated[Optional[float], recipe_option("tv", "Total-variation penalty weight.")] = None,
    blur: Annotated[Optional[float], recipe_option("blur", "Gradient blur sigma in px (0 = off).")] = None,
    seed: SeedOpt = None,
    precision: Annotated[Optional[str], recipe_option("precision", "fp32 or bf16 (autocast).")] = None,
    channels_last: Annotated[Optional[bool], Opt("--channels-last/--no-channels-last", help="channels_last memory format.")] = None,
    overlay: Annotated[Optional[float], Opt(help="Also write the dream blended over the original at this opacity (0-1).")] = None,
    skip_existing: Annotated[bool, Opt("--skip-existing",
                                       help="Keep outputs already in OUT that were made with this recipe (continue after an interrupt).")] = False,
):
    """Dream images with the classical engine; writes OUT/<name>.png with the recipe in its metadata."""
    from dreamgan.dream.config import from_options
    from dreamgan.fileio import ensure_writable_dir
    from dreamgan.images import list_images

    layer_names, layer_weights = parse_layers(layers) if layers else (None, None)
    config = from_options(
        preset, backbone=backbone, weights=weights, layers=layer_names, layer_weights=layer_weights, reduction=reduction,
        octaves=octaves, octave_scale=octave_scale, steps=steps, step_size=step_size, step_norm=step_norm,
        jitter=jitter, tile=tile, channels=parse_ints(channels, "channels") if channels else None,
        top_k=top_k, top_k_mode="least" if least else None, neuron=parse_ints(neuron, "neuron") if neuron else None,
        class_target=class_target, guide=str(guide) if guide else None, guide_mode=guide_mode, tv=tv, blur=blur,
        seed=seed, precision=precision, channels_last=channels_last,
    )
    if least and top_k is None:
        raise DreamganError("--least needs --top-k K")
    if overlay is not None and not 0 <= overlay <= 1:
        raise DreamganError(f"--overlay must be in [0, 1], got {overlay}")
    ensure_writable_dir(out)
    paths = list_images(images)
    if not paths:
        raise DreamganError(f"no images found in {', '.join(map(str, images))}")
    report = run_dream_files(paths, out, config, overlay, skip_existing)
    for _, message in report.failed:
        typer.secho(f"error: {message}", fg="red", err=True)
    typer.echo(f"{len(report.written)} dream(s) written to {out}" + (f", {len(report.failed)} failed" if report.failed else ""))
    if report.failed:
        raise typer.Exit(1)


def run_dream_files(paths, out, config, overlay, skip_existing=False):
    """`dream_files` with a progress bar per image (octave, steps) and overall (images, ETA)."""
    from dreamgan.cli.progress import job_progress
    from dreamgan.dream.engine import DreamEngine
    from dreamgan.dream.files import dream_files

    engine = DreamEngine(config)  # validates backbone, layers and class before any image is read
    with job_progress() as bar:
        overall = bar.add_task("images", total=len(paths), info="", done_before=0)
        current = bar.add_task("", total=1, visible=False, info="")

        def on_skip(n):
            if n:
                bar.console.print(f"skipping {n} existing output(s) made with this recipe", markup=False, highlight=False)
            bar.reset(overall, total=len(paths), completed=n, done_before=n, info="")

        def on_start(path, total_steps):
            bar.reset(current, total=total_steps, description=f"{path.name}", visible=True, info="")

        def on_progress(p):
            bar.update(current, completed=p.step, info=f"octave {p.octave}/{p.octaves} {p.size[1]}x{p.size[0]}")

        def on_done(path, target, error):
            bar.update(overall, advance=1)

        return dream_files(paths, out, config, overlay=overlay, engine=engine, skip_existing=skip_existing,
                           on_skip=on_skip, on_start=on_start, on_progress=on_progress, on_done=on_done)
