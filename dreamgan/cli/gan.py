"""`dreamgan train` and `dreamgan sample`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dreamgan.cli import app
from dreamgan.errors import DreamganError

Opt = typer.Option


@app.command("train")
def train_command(
    data: Annotated[Path, Opt(help="Dataset made by `dreamgan make-dataset` (data/NAME).")],
    arch: Annotated[str, Opt(help="pix2pix (photo -> dream) or dcgan (noise -> dream).")] = "pix2pix",
    generator: Annotated[str, Opt(help="pix2pix generator: unet, or backbone (frozen dreaming network as encoder).")] = "unet",
    out: Annotated[Path, Opt(help="Where run directories go.")] = Path("checkpoints"),
    preset: Annotated[str, Opt(help="Network/batch sizes: cpu, fast (small, space-to-depth) or gpu.")] = "cpu",
    steps: Annotated[int, Opt()] = 2000,
    image_size: Annotated[Optional[int], Opt(help="Training crop (pix2pix) or output size (dcgan: 64/128).")] = None,
    batch_size: Annotated[Optional[int], Opt()] = None,
    ngf: Annotated[Optional[int], Opt(help="Generator width (overrides the preset).")] = None,
    depth: Annotated[Optional[int], Opt(help="U-Net depth (overrides the preset).")] = None,
    unshuffle: Annotated[Optional[int], Opt(help="Run the U-Net at 1/r resolution on space-to-depth input (r² cheaper).")] = None,
    lr: Annotated[float, Opt()] = 2e-4,
    gan_mode: Annotated[str, Opt(help="vanilla, lsgan or hinge.")] = "lsgan",
    lambda_l1: Annotated[float, Opt(help="Weight of the pixel L1 anchor (pix2pix: 100).")] = 10.0,
    lambda_feat: Annotated[float, Opt(help="Weight of the dream-layer feature loss.")] = 100.0,
    lambda_obj: Annotated[float, Opt(help="Weight of the guarded dream-objective term (0 = off).")] = 0.0,
    obj_transforms: Annotated[bool, Opt("--obj-transforms/--no-obj-transforms", help="Random jitter/scale before J in that term.")] = True,
    lambda_tv: Annotated[float, Opt(help="Weight of the guarded roughness term: no rougher a change than the true dream's (0 = off).")] = 0.0,
    eval_every: Annotated[int, Opt()] = 250,
    no_fid: Annotated[bool, Opt("--no-fid", help="Skip FID/KID at eval steps (paired metrics only).")] = False,
    seed: Annotated[int, Opt()] = 0,
    resume: Annotated[bool, Opt("--resume", help="Continue the latest run of this data and arch.")] = False,
    run: Annotated[Optional[Path], Opt(help="With --resume: the run directory to continue.")] = None,
    device: Annotated[str, Opt(help="auto (CUDA if present), cpu, cuda or cuda:N.")] = "auto",
):
    """Train a GAN that replicates the dataset's dreams; Ctrl-C saves latest.pt."""
    from dreamgan.cli.progress import job_progress, train_callbacks
    from dreamgan.devices import resolve_device
    from dreamgan.training.gan import PRESETS, TrainConfig, train_gan

    if preset not in PRESETS:
        raise DreamganError(f"unknown preset {preset!r}; valid: {', '.join(PRESETS)}")
    resolve_device(device)  # a clear error now, not after the dataset is read
    sizes = dict(PRESETS[preset])
    if arch == "dcgan":
        sizes.update(image_size=64, depth=5)
    if image_size is not None:
        sizes["image_size"] = image_size
    for key, value in (("batch_size", batch_size), ("ngf", ngf), ("depth", depth), ("unshuffle", unshuffle)):
        if value is not None:
            sizes[key] = value
    cfg = TrainConfig(data=str(data), arch=arch, generator=generator, out=str(out), steps=steps, lr=lr, gan_mode=gan_mode, lambda_l1=lambda_l1,
                      lambda_feat=lambda_feat, lambda_obj=lambda_obj, obj_transforms=obj_transforms, lambda_tv=lambda_tv, eval_every=eval_every, eval_fid=not no_fid, seed=seed, device=device, **sizes)
    with job_progress() as bar:
        report = train_gan(cfg, resume=(run if run else True) if resume else False, **train_callbacks(bar, cfg.steps))
    state = "interrupted; saved latest.pt" if report.interrupted else "done"
    typer.echo(f"{report.run_dir}: {state} at step {report.step}")


@app.command("sample")
def sample_command(
    images: Annotated[Optional[list[Path]], typer.Argument(help="Photos (pix2pix).")] = None,
    checkpoint: Annotated[Path, Opt("--checkpoint", "-c", help="Run directory or .pt file.")] = Path("checkpoints"),
    out: Annotated[Path, Opt("--out", "-o")] = Path("fast_dreams"),
    overlay: Annotated[Optional[float], Opt(help="Also write the dream over the photo at this opacity.")] = None,
    refine: Annotated[int, Opt(help="Classical steps on top of the generator output (hybrid fast dream).")] = 0,
    n: Annotated[int, Opt("-n", help="dcgan: number of dreams from noise.")] = 8,
    interpolate: Annotated[int, Opt(help="dcgan: frames of a latent interpolation strip.")] = 0,
    seed: Annotated[int, Opt()] = 0,
):
    """Fast dreams in one forward pass of a trained generator."""
    from dreamgan.images import list_images
    from dreamgan.sample import load_generator, sample_dcgan, sample_pix2pix

    _, cfg, _ = load_generator(checkpoint)
    if cfg.arch == "dcgan":
        written = sample_dcgan(checkpoint, out, n=n, interpolate=interpolate, seed=seed)
        typer.echo(f"{len(written)} file(s) written to {out}")
        return
    if not images:
        raise DreamganError("give the photos to dream: dreamgan sample -c RUN IMAGES... -o OUT")
    written, failed = sample_pix2pix(checkpoint, list_images(images), out, overlay=overlay, refine=refine)
    for _, message in failed:
        typer.secho(f"error: {message}", fg="red", err=True)
    typer.echo(f"{len(written)} fast dream(s) written to {out}" + (f", {len(failed)} failed" if failed else ""))
    if failed:
        raise typer.Exit(1)


@app.command("evaluate")
def evaluate_command(
    run: Annotated[Path, typer.Argument(help="Run directory or checkpoint .pt.")],
    split: Annotated[str, Opt(help="train, val or test.")] = "test",
    data: Annotated[Optional[Path], Opt(help="Dataset (default: the one the run trained on).")] = None,
    no_fid: Annotated[bool, Opt("--no-fid", help="Paired metrics only.")] = False,
    no_jitter_floor: Annotated[bool, Opt("--no-jitter-floor", help="Skip the second true dream (saves a classical dream per photo).")] = False,
    refine: Annotated[Optional[str], Opt(help="Hybrid rows: generator + K classical steps, e.g. 1,3")] = None,
    as_json: Annotated[bool, Opt("--json")] = False,
):
    """Fast dreams of the split's photos vs their true dreams, with identity, equal-time classical and floor rows."""
    import json

    from rich.console import Console

    from dreamgan.evaluate import evaluate_run, format_report

    with Console(stderr=True).status(f"evaluating {run} on the {split} split …"):
        from dreamgan.cli.options import parse_ints

        ks = parse_ints(refine, "refine") if refine else ()
        report = evaluate_run(run, split=split, data=str(data) if data else None, fid=not no_fid,
                              jitter_floor=not no_jitter_floor, refine=ks)
    typer.echo(json.dumps(report, indent=2) if as_json else format_report(report))
