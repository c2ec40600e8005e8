"""`dreamgan train` and `dreamgan sample`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dreamgan.cli.root import app
from dreamgan.errors import DreamganError
from dreamgan.gan_config import DCGAN_DEFAULTS as _DCGAN
from dreamgan.gan_config import DEFAULT_PRESET, TrainConfig

Opt = typer.Option


@app.command("train")
def train_command(
    data: Annotated[Path, Opt(help="Dataset made by `dreamgan make-dataset` (data/NAME).")],
    arch: Annotated[str, Opt(help="pix2pix (photo -> dream) or dcgan (noise -> dream).")] = "pix2pix",
    generator: Annotated[Optional[str], Opt(help="pix2pix generator: unet (default), dilated (shift-equivariant) or "
                                                 "backbone (frozen network as encoder).")] = None,
    out: Annotated[Path, Opt(help="Where run directories go.")] = Path("checkpoints"),
    preset: Annotated[Optional[str], Opt(help=f"pix2pix losses (default: {DEFAULT_PRESET}): dream (the default training: draws motifs) or "
                                              "legacy-aligned (the first generators' aligned losses, which learn the mean dream). "
                                              "dcgan runs use their own recipe.")] = None,
    steps: Annotated[Optional[int], Opt(help=f"Steps to train (with --minutes: the most; default {TrainConfig.steps}).")] = None,
    minutes: Annotated[Optional[float], Opt(help="Time budget: as many steps as end within these minutes, setup and evals "
                                                 "included, planned again at every eval (0 = exactly --steps).")] = None,
    image_size: Annotated[Optional[int], Opt(help="Training crop (pix2pix) or output size (dcgan: 64/128).")] = None,
    batch_size: Annotated[Optional[int], Opt(help="The global batch (under torchrun, split evenly over the processes).")] = None,
    ngf: Annotated[Optional[int], Opt(help="Generator width (overrides the preset).")] = None,
    ndf: Annotated[Optional[int], Opt(help="Discriminator width (default 64).")] = None,
    depth: Annotated[Optional[int], Opt(help="U-Net depth (overrides the preset).")] = None,
    unshuffle: Annotated[Optional[int], Opt(help="Run the U-Net at 1/r resolution on space-to-depth input (r² cheaper).")] = None,
    lr: Annotated[Optional[float], Opt()] = None,
    gan_mode: Annotated[Optional[str], Opt(help="vanilla, lsgan or hinge.")] = None,
    lambda_gan: Annotated[Optional[float], Opt(help="Weight of the PatchGAN term (0 = no discriminator).")] = None,
    d_input: Annotated[Optional[str], Opt(help="What D sees: pair (photo and dream), dream (texture alone), or projected (backbone features).")] = None,
    lambda_l1: Annotated[Optional[float], Opt(help="Weight of the pixel L1 anchor (pix2pix: 100).")] = None,
    lambda_feat: Annotated[Optional[float], Opt(help="Weight of the dream-layer feature loss.")] = None,
    lambda_obj: Annotated[Optional[float], Opt(help="Weight of the guarded dream-objective term (0 = off).")] = None,
    obj_transforms: Annotated[Optional[bool], Opt("--obj-transforms/--no-obj-transforms", help="Random jitter/scale before J (default on).")] = None,
    lambda_tv: Annotated[Optional[float], Opt(help="Weight of the guarded roughness term: no rougher a change than the true dream's (0 = off).")] = None,
    noise: Annotated[Optional[int], Opt(help="Noise channels at every U-Net level: the generator draws its own dream (0 = deterministic).")] = None,
    noise_levels: Annotated[Optional[int], Opt(help="How many encoder levels, finest first, get noise (0 = all).")] = None,
    antialias: Annotated[Optional[bool], Opt("--antialias/--no-antialias", help="U-Net: blur before strides, bilinear doublings, full-size noise.")] = None,
    lambda_stats: Annotated[Optional[float], Opt(help="Weight of the position-free dream-statistics loss (sliced Wasserstein; 0 = off).")] = None,
    stats_kind: Annotated[Optional[str], Opt(help="Dream-statistics distance: swd or gram.")] = None,
    stats_layers: Annotated[Optional[str], Opt(help="Layers of that loss (default: conv_2,conv_4,mixed + the dream layers).")] = None,
    stats_projections: Annotated[Optional[int], Opt(help="Random directions per layer and step (swd).")] = None,
    stats_norm: Annotated[Optional[str], Opt(help="Per-layer normalisation of that loss: energy or photo.")] = None,
    g_octaves: Annotated[Optional[int], Opt(help="Run the generator coarse to fine over this many octaves (1 = one pass).")] = None,
    stats_tag: Annotated[Optional[float], Opt(help="Photo-conditioned statistics: weight of the photo's tags beside each feature (0 = off).")] = None,
    stats_shift: Annotated[Optional[int], Opt(help="dcgan: roll the samples by a random offset of up to N px before that loss reads them (0 = off).")] = None,
    stats_scale: Annotated[Optional[float], Opt(help="dcgan: that loss reads samples and true crops enlarged by a random factor in [1, S] (1 = off).")] = None,
    lambda_lowpass: Annotated[Optional[float], Opt(help="Weight of the L1 between 8x-downsampled fake and true dream.")] = None,
    lambda_div: Annotated[Optional[float], Opt(help="Weight of the diversity hinge: two noise draws must give two dreams (0 = off).")] = None,
    crop_scale: Annotated[Optional[str], Opt(help="Multi-scale views LO,HI: window side = image size x s, s in [LO, HI].")] = None,
    noise_g: Annotated[Optional[str], Opt(help="dcgan generator: texture (noise at every scale), spatial (noise map) or dcgan (classic, one size).")] = None,
    noise_d: Annotated[Optional[str], Opt(help="dcgan D: projected (frozen EfficientNet-Lite0), patch (spectral norm) or dcgan (classic BatchNorm).")] = None,
    diffaugment: Annotated[Optional[bool], Opt("--diffaugment/--no-diffaugment", help="dcgan: DiffAugment on all D sees (projected D: always).")] = None,
    ema: Annotated[Optional[float], Opt(help="dcgan: decay of the moving average of G used for sampling (0 = off).")] = None,
    z_dim: Annotated[Optional[int], Opt(help="dcgan: noise channels.")] = None,
    fine_noise: Annotated[Optional[bool], Opt("--fine-noise/--no-fine-noise", help="dcgan spatial generator: noise inputs at every doubling.")] = None,
    upsample: Annotated[Optional[str], Opt(help="dcgan spatial or texture generator: nearest or bilinear doublings.")] = None,
    g_convs: Annotated[Optional[int], Opt(help="dcgan spatial generator: 3x3 convs per doubling.")] = None,
    g_jitter: Annotated[Optional[bool], Opt("--g-jitter/--no-g-jitter", help="dcgan spatial generator: random phase between doublings in training.")] = None,
    d_size: Annotated[Optional[int], Opt(help="dcgan projected D: crops are enlarged to this side before EfficientNet reads them (the recipe: 96).")] = None,
    d_roll: Annotated[Optional[int], Opt(help="dcgan spatial generator: D sees each fake rolled by a random shift in [0, N) px (0 = off).")] = None,
    g_precision: Annotated[Optional[str], Opt(help="dcgan: G's training forward pass: fp32, bf16, or auto (bf16 where the CPU or GPU has bf16 units).")] = None,
    stats_precision: Annotated[Optional[str], Opt(help="The statistics term's backbone passes: fp32, bf16, or auto (bf16 on bf16 units).")] = None,
    eval_every: Annotated[Optional[int], Opt(help=f"Evaluate and save every N steps (default {TrainConfig.eval_every}; dcgan {_DCGAN['eval_every']}).")] = None,
    eval_crops: Annotated[Optional[int], Opt(help=f"dcgan: crops of the val dreams each eval's KID is measured on (default {_DCGAN['eval_crops']}).")] = None,
    no_fid: Annotated[bool, Opt("--no-fid", help="Skip FID/KID at eval steps (paired metrics only).")] = False,
    seed: Annotated[Optional[int], Opt(help="Seed of the weights, the crops and the noise (default 0).")] = None,
    resume: Annotated[bool, Opt("--resume", help="Continue the latest run of this data and arch.")] = False,
    run: Annotated[Optional[Path], Opt(help="With --resume: the run directory to continue.")] = None,
    init_g: Annotated[Optional[str], Opt(help="Start the generator from a run, a .pt, or 'bundled' (fine-tune the shipped one).")] = None,
    device: Annotated[Optional[str], Opt(help="auto (CUDA if present; the default), cpu, cuda or cuda:N.")] = None,
):
    """Train a GAN that replicates the dataset's dreams; Ctrl-C saves latest.pt.

    Data-parallel over K processes: torchrun --standalone --nproc_per_node K -m dreamgan train ...
    (--batch-size is then the global batch; docs/scaling.md)."""
    from dreamgan.cli.options import parse_floats
    from dreamgan.cli.progress import job_progress, train_callbacks
    from dreamgan.devices import resolve_device
    from dreamgan.training.distributed import is_main_process, launched_world_size
    from dreamgan.training.gan import resume_config, train_gan

    if launched_world_size() == 1:
        resolve_device(device or "auto")  # a clear error now, not after the dataset is read
    given = dict(
        generator=generator, steps=steps, minutes=minutes, image_size=image_size,
        batch_size=batch_size, ngf=ngf, ndf=ndf, depth=depth, unshuffle=unshuffle, noise=noise, noise_levels=noise_levels, antialias=antialias, lr=lr,
        gan_mode=gan_mode,
        lambda_gan=lambda_gan, d_input=d_input, lambda_l1=lambda_l1, lambda_feat=lambda_feat, lambda_obj=lambda_obj,
        obj_transforms=obj_transforms, lambda_tv=lambda_tv, lambda_stats=lambda_stats, stats_kind=stats_kind,
        stats_layers=tuple(stats_layers.split(",")) if stats_layers else None, stats_projections=stats_projections, stats_norm=stats_norm,
        stats_tag=stats_tag, stats_shift=stats_shift, stats_scale=stats_scale, g_octaves=g_octaves,
        lambda_lowpass=lambda_lowpass, lambda_div=lambda_div, crop_scale=parse_floats(crop_scale, "crop-scale", 2) if crop_scale else None,
        noise_g=noise_g, noise_d=noise_d, diffaugment=diffaugment, ema=ema, z_dim=z_dim, fine_noise=fine_noise, upsample=upsample, g_convs=g_convs,
        g_jitter=g_jitter, d_size=d_size, d_roll=d_roll, g_precision=g_precision, stats_precision=stats_precision, eval_every=eval_every, eval_crops=eval_crops,
        eval_fid=False if no_fid else None, seed=seed, device=device, init_g=init_g)
    if resume:  # the run's own settings, with only the options given here on top (train_gan refuses those that change its meaning)
        if preset is not None:
            raise DreamganError("--preset starts a new run; a resumed run keeps its own settings (drop --preset, or drop --resume)")
        cfg, resume_from = resume_config(data, out=out, arch=arch, run=run, **given)
    else:
        cfg, resume_from = TrainConfig.from_preset(preset, data=str(data), arch=arch, out=str(out), **given), False
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
    from dreamgan.fast.loading import RUNTIMES
    from dreamgan.images import list_images

    texture = parse_size(size) if size else None  # a bad --size fails before any weights are read
    check_seed(seed)
    if runtime not in RUNTIMES:
        raise DreamganError(f"--runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
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

    from dreamgan.evaluate import evaluate_run, format_report

    with Console(stderr=True).status(f"evaluating {run} on the {split} split …"):
        from dreamgan.cli.options import parse_ints

        ks = parse_ints(refine, "refine") if refine else ()
        report = evaluate_run(run, split=split, data=str(data) if data else None, fid=not no_fid,
                              jitter_floor=not no_jitter_floor, refine=ks, crops=crops)
    typer.echo(json.dumps(report, indent=2) if as_json else format_report(report))
