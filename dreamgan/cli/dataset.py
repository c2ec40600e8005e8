"""`dreamgan make-dataset` and `dreamgan dataset-info`."""
from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

from dreamgan.cli.options import BackboneOpt, JitterAverageOpt, JitterOpt, LayersOpt, OctavesOpt, PrecisionOpt, SeedOpt, StepSizeOpt, StepsOpt, parse_layers
from dreamgan.cli.root import app
from dreamgan.errors import DreamganError

Opt = typer.Option


@app.command("make-dataset")
def make_dataset_command(
    out: Annotated[Path, Opt("--out", "-o", help="Dataset folder, e.g. data/NAME.")],
    source: Annotated[Optional[Path], Opt(help="Folder of photos (recursive). Default: the embedded photos.")] = None,
    count: Annotated[Optional[int], Opt(help="Number of pairs; more than the photos adds random crops and flips.")] = None,
    size: Annotated[int, Opt(help="Side of the square pairs in px.")] = 299,
    recipe: Annotated[Optional[Path], Opt(help="Recipe file (.json or .toml with DreamConfig keys).")] = None,
    preset: Annotated[Optional[str], Opt(help="Recipe preset (tutorial, deep, shallow, quick).")] = None,
    backbone: BackboneOpt = None,
    layers: LayersOpt = None,
    octaves: OctavesOpt = None,
    steps: StepsOpt = None,
    step_size: StepSizeOpt = None,
    jitter: JitterOpt = None,
    jitter_average: JitterAverageOpt = None,
    val: Annotated[float, Opt(help="Fraction of photos held out for validation.")] = 0.15,
    test: Annotated[float, Opt(help="Fraction of photos held out for testing.")] = 0.15,
    seed: SeedOpt = None,
    precision: PrecisionOpt = None,
    batch: Annotated[int, Opt(help="Pairs dreamed together.")] = 1,
    force: Annotated[bool, Opt("--force", help="Start over if OUT holds a dataset made differently.")] = False,
    shard: Annotated[Optional[str], Opt(help="I/N: dream only this worker's part (N workers, same command, one OUT).")] = None,
):
    """Dream a photo set into a paired dataset: OUT/{train,val,test}/{natural,dream}/<id>.png. Resumable."""
    from dreamgan.cli.progress import dataset_callbacks, job_progress
    from dreamgan.data.dataset import make_dataset
    from dreamgan.dream.config import from_file, from_options

    shard_spec = _parse_shard(shard) if shard else (0, 1)
    layer_names, layer_weights = parse_layers(layers) if layers else (None, None)
    engine_opts = dict(backbone=backbone, layers=layer_names, layer_weights=layer_weights, octaves=octaves, steps=steps,
                       step_size=step_size, jitter=jitter, jitter_average=jitter_average, seed=seed)
    if recipe is not None:
        if preset or any(v is not None for v in engine_opts.values() if v is not seed):
            raise DreamganError("give either --recipe or engine options/--preset, not both")
        config = from_file(recipe)
        config = config.replace(seed=seed) if seed is not None else config
    else:
        config = from_options(preset, **engine_opts)
    config = config.replace(precision=precision) if precision is not None else config

    with job_progress() as bar, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = make_dataset(out, source=source, count=count, size=size, recipe=config, val=val, test=test,
                              seed=seed if seed is not None else 0, batch=batch, force=force, shard=shard_spec,
                              **dataset_callbacks(bar))
    for w in caught:
        typer.secho(f"warning: {w.message}", fg="yellow", err=True)
    for s in report.skipped:
        typer.secho(f"skipped: {s['reason']}", fg="yellow", err=True)
    planned = ", ".join(f"{k} {v}" for k, v in report.planned.items())
    typer.echo(f"{out}: {report.made} pair(s) made, {report.already_done} already done ({planned}); "
               f"{len(report.skipped)} skipped, {report.duplicates} duplicate(s); {report.seconds:.1f}s")


def _parse_shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(v) for v in text.split("/"))
    except ValueError:
        raise DreamganError(f"--shard must be I/N, e.g. 0/4, got {text!r}") from None
    return index, count


@app.command("dataset-info")
def dataset_info_command(path: Annotated[Path, typer.Argument(help="Dataset folder (data/NAME).")],
                         pairs: Annotated[int, Opt(help="Pairs on the contact sheet.")] = 8):
    """Print a dataset's counts and recipe, and write contact_sheet.png (natural | dream)."""
    from dreamgan.data.dataset import dataset_info

    info = dataset_info(path, sheet_pairs=pairs)
    typer.echo(f"dataset {info.path}  (dreamgan {info.meta.get('dreamgan_version')}, size {info.meta.get('size')}, "
               f"seed {info.meta.get('seed')}, complete: {info.meta.get('complete')})")
    planned = info.meta.get("planned") or {}
    typer.echo("pairs: " + ", ".join(f"{k} {v}" + (f"/{planned[k]}" if k in planned else "") for k, v in info.counts.items()))
    for part, n in info.shards.items():
        typer.echo(f"  {part}: {n} pair(s) done")
    typer.echo(f"backbone: {info.meta.get('backbone')} (weights sha256 {str(info.meta.get('weights_sha256'))[:16]}…)")
    typer.echo("recipe: " + json.dumps(info.meta.get("recipe"), sort_keys=True))
    if info.sheet:
        typer.echo(f"contact sheet: {info.sheet}")
