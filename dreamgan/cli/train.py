"""`dreamgan train` and `dreamgan sample`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dreamgan.cli.options import train_options
from dreamgan.cli.root import app
from dreamgan.errors import DreamganError
from dreamgan.models.config import DEFAULT_PRESET, NOISE_PRESET, TrainConfig

Opt = typer.Option


@app.command("train")
@train_options
def train_command(
    data: Annotated[Path, Opt(help="Dataset made by `dreamgan make-dataset` (data/NAME).")],
    arch: Annotated[Optional[str], Opt(help="pix2pix (photo -> dream) or dcgan (noise -> dream); default: the preset's, "
                                            "else pix2pix.")] = None,
    out: Annotated[Path, Opt(help="Where run directories go.")] = Path("checkpoints"),
    preset: Annotated[Optional[str], Opt(help=f"A named recipe (default: {DEFAULT_PRESET}; with --arch dcgan, {NOISE_PRESET}): "
                                              "dream (the default training: draws motifs), dream-texture (the noise recipe "
                                              "given the photo), legacy-aligned (the first generators' aligned losses, which "
                                              f"learn the mean dream) or {NOISE_PRESET} (noise -> dream textures).")] = None,
    resume: Annotated[bool, Opt("--resume", help="Continue the latest run of this data and arch, with its own settings (with --preset: "
                                                 "the preset's, and any that would change the run is refused).")] = False,
    run: Annotated[Optional[Path], Opt(help="With --resume: the run directory to continue.")] = None,
    given: dict | None = None,
):
    """Train a GAN that replicates the dataset's dreams; Ctrl-C saves latest.pt. Every option of
    `TrainConfig` is an option here (docs/training.md).

    Data-parallel over K processes: torchrun --standalone --nproc_per_node K -m dreamgan train ...
    (--batch-size is then the global batch; docs/scaling.md)."""
    from dreamgan.cli.progress import job_progress, train_callbacks
    from dreamgan.devices import resolve_device
    from dreamgan.training.distributed import is_main_process, launched_world_size
    from dreamgan.training.gan import resume_config, train_gan

    if launched_world_size() == 1:
        resolve_device(given["device"] or "auto")  # a clear error now, not after the dataset is read
    if resume and preset is None:  # the run's own settings, with only the options given here on top
        cfg, resume_from = resume_config(data, out=out, arch=arch or "pix2pix", run=run, **given)
    else:  # a new run, or a resume that restates its command (train_gan refuses whatever would change the run's meaning)
        cfg, resume_from = TrainConfig.from_preset(preset, data=str(data), arch=arch, out=str(out), **given), (run or True) if resume else False
    if not is_main_process():  # under torchrun, rank 0 alone shows progress and reports
        train_gan(cfg, resume=resume_from)
        return
    with job_progress() as bar:
        report = train_gan(cfg, resume=resume_from, **train_callbacks(bar, cfg.steps))
    if report.interrupted:  # Ctrl-C or kill: latest.pt is saved; exit 130 like every other command
        typer.secho(f"{report.run_dir}: interrupted at step {report.step}; latest.pt is saved, rerun with --resume "
                    "to continue", fg="yellow", err=True)
        raise typer.Exit(130)
    typer.echo(f"{report.run_dir}: done at step {report.step}")


@app.command("sample")
def sample_command(
    images: Annotated[Optional[list[Path]], typer.Argument(help="Photos (pix2pix).")] = None,
    checkpoint: Annotated[Optional[Path], Opt("--checkpoint", "-c", help="Run directory or .pt file (default: the bundled generator).")] = None,
    out: Annotated[Path, Opt("--out", "-o")] = Path("fast_dreams"),
    overlay: Annotated[Optional[float], Opt(help="Also write the dream over the photo at this opacity.")] = None,
    refine: Annotated[int, Opt(help="Classical steps on top of the generator output (hybrid fast dream).")] = 0,
    n: Annotated[Optional[int], Opt("-n", help="dcgan: number of dreams from noise (default 8).")] = None,
    interpolate: Annotated[int, Opt(help="dcgan: frames of a latent interpolation strip.")] = 0,
    size: Annotated[Optional[str], Opt(help="dcgan (spatial): texture size WIDTHxHEIGHT, e.g. 1024x768 (default: the training size).")] = None,
    tileable: Annotated[bool, Opt("--tileable", help="dcgan (spatial): textures that wrap without a seam.")] = False,
    seed: Annotated[int, Opt(help="Noise seed: another seed, another dream of the same photo; same seed, same pixels.")] = 0,
    onnx: Annotated[Optional[Path], Opt(help="Run a generator exported by `dreamgan export` with ONNX Runtime instead.")] = None,
    runtime: Annotated[str, Opt(help="auto (ONNX Runtime where the generator exports: faster on a CPU), torch or onnx.")] = "auto",
):
    """Fast dreams in one forward pass of a trained generator (default: the bundled one)."""
    from dreamgan.fast import load_generator, write_fast_dreams, write_noise_dreams
    from dreamgan.fast.dreams import check_seed, parse_size
    from dreamgan.fast.loading import check_runtime
    from dreamgan.images import list_images

    texture = parse_size(size) if size else None  # a bad --size fails before any weights are read
    check_seed(seed)
    check_runtime(runtime)
    cfg = load_generator(checkpoint)[1] if onnx is None else None  # an ONNX file is a pix2pix generator
    if cfg is not None and cfg.arch == "dcgan":
        ignored = [name for name, given in (("photos", bool(images)), ("--overlay", overlay is not None), ("--refine", refine != 0),
                                            ("--runtime", runtime != "auto")) if given]
        if ignored:
            raise DreamganError(f"{checkpoint} dreams from noise: {', '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} "
                                f"for photo → dream generators; drop {'it' if len(ignored) == 1 else 'them'}")
        from dreamgan.cli.progress import job_progress

        with job_progress() as bar:
            n = 8 if n is None else n
            task = bar.add_task("dreams from noise", total=n + (interpolate > 1), info="", done_before=0)
            written = write_noise_dreams(checkpoint, out, n=n, interpolate=interpolate, seed=seed, size=texture, tileable=tileable,
                                         on_written=lambda done, total: bar.update(task, completed=done))
        typer.echo(f"{len(written)} file(s) written to {out}")
        return
    noise_only = [name for name, given in (("-n", n is not None), ("--interpolate", interpolate != 0), ("--size", size is not None),
                                           ("--tileable", tileable)) if given]
    if noise_only:
        raise DreamganError(f"{', '.join(noise_only)}: for generators that dream from noise (--arch dcgan runs); "
                            "this one dreams photos")
    if not images:
        raise DreamganError("give the photos to dream: dreamgan sample -c RUN IMAGES... -o OUT")
    written, failed = write_fast_dreams(checkpoint, list_images(images), out, overlay=overlay, refine=refine, seed=seed, onnx=onnx,
                                     runtime=runtime)
    for _, message in failed:
        typer.secho(f"error: {message}", fg="red", err=True)
    typer.echo(f"{len(written)} fast dream(s) written to {out}" + (f", {len(failed)} failed" if failed else ""))
    if failed:
        raise typer.Exit(1)


@app.command("textures")
def textures_command(
    checkpoint: Annotated[Optional[Path], Opt("--checkpoint", "-c", help="A noise -> dream run directory or .pt "
                                                                         "(default: the bundled texture generator).")] = None,
    out: Annotated[Path, Opt("--out", "-o")] = Path("textures"),
    n: Annotated[int, Opt("-n", help="How many textures.")] = 8,
    size: Annotated[Optional[str], Opt(help="WIDTHxHEIGHT, e.g. 1024x768, or one side (default: the training size).")] = None,
    tileable: Annotated[bool, Opt("--tileable", help="Textures that wrap without a seam (sides rounded up to whole "
                                                     "noise cells).")] = False,
    interpolate: Annotated[int, Opt(help="Also write a strip of this many frames walking between two noise draws.")] = 0,
    seed: Annotated[int, Opt(help="Noise seed: the same seed gives the same textures.")] = 0,
):
    """Dream textures from noise, any size, seeded and tileable: no photo and no training (the
    bundled texture generator, or a `dreamgan train --arch dcgan` run). Writes OUT/sample-NNNN.png
    with the generator and seed in their metadata."""
    from dreamgan.cli.progress import job_progress
    from dreamgan.fast import write_noise_dreams
    from dreamgan.fast.dreams import check_seed, parse_size

    texture = parse_size(size) if size else None  # bad input fails before any weights are read
    check_seed(seed)
    with job_progress() as bar:
        task = bar.add_task("textures", total=n + (interpolate > 1), info="", done_before=0)
        written = write_noise_dreams(checkpoint, out, n=n, interpolate=interpolate, seed=seed, size=texture, tileable=tileable,
                                     on_written=lambda done, total: bar.update(task, completed=done), bundled_default=True)
    typer.echo(f"{len(written)} file(s) written to {out}")


@app.command("export")
def export_command(
    checkpoint: Annotated[Optional[Path], Opt("--checkpoint", "-c", help="Run directory or .pt file (default: the bundled generator).")] = None,
    out: Annotated[Path, Opt("--out", "-o", help="The .onnx file to write.")] = Path("fast_dream.onnx"),
):
    """Export a pix2pix generator to ONNX (dynamic size; the noise is an input, so seeds still
    pick the pixels); run it with `dreamgan sample --onnx FILE`."""
    from dreamgan.fast import load_pix2pix, write_onnx

    typer.echo(f"{write_onnx(*load_pix2pix(checkpoint), out)}: ONNX generator written (run it: dreamgan sample --onnx {out} PHOTOS)")


@app.command("evaluate")
def evaluate_command(
    run: Annotated[Path, typer.Argument(help="Run directory or checkpoint .pt.")],
    split: Annotated[str, Opt(help="train, val or test.")] = "test",
    data: Annotated[Optional[Path], Opt(help="Dataset (default: the one the run trained on).")] = None,
    no_fid: Annotated[bool, Opt("--no-fid", help="Paired metrics only.")] = False,
    no_jitter_floor: Annotated[bool, Opt("--no-jitter-floor", help="Skip the second true dream (saves a classical dream per photo).")] = False,
    refine: Annotated[Optional[str], Opt(help="Hybrid rows: generator + K classical steps, e.g. 1,3")] = None,
    crops: Annotated[int, Opt(help="dcgan: how many crops of the split's true dreams the samples are measured against.")] = 64,
    as_json: Annotated[bool, Opt("--json")] = False,
):
    """Fast dreams of the split's photos vs their true dreams, with identity, equal-time classical and floor rows
    (dcgan: samples vs crops of the split's true dreams, beside the photos' crops and other true dreams)."""
    import json

    from rich.console import Console

    from dreamgan.metrics.report import evaluate_run, format_report

    with Console(stderr=True).status(f"evaluating {run} on the {split} split …"):
        from dreamgan.cli.options import parse_ints

        ks = parse_ints(refine, "refine") if refine else ()
        report = evaluate_run(run, split=split, data=str(data) if data else None, fid=not no_fid,
                              jitter_floor=not no_jitter_floor, refine=ks, crops=crops)
    typer.echo(json.dumps(report, indent=2) if as_json else format_report(report))
