"""`dreamgan train-classifier`: train a classifier on an ImageFolder, then dream with it."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dreamgan.cli.root import app

Opt = typer.Option


@app.command("train-classifier")
def train_classifier_command(
    data: Annotated[Path, Opt(help="ImageFolder: one sub-folder of images per class.")],
    arch: Annotated[str, Opt(help="Network: resnet18, resnet34, resnet50, resnet101, resnet152 or efficientnet-lite0.")] = "resnet18",
    init: Annotated[str, Opt(help="scratch, imagenet, or a weights/checkpoint file.")] = "scratch",
    weights: Annotated[Optional[str], Opt(help="Local torchvision ImageNet weights for --init imagenet (ResNets).")] = None,
    color_jitter: Annotated[bool, Opt("--color-jitter", help="Colour-jitter augmentation.")] = False,
    epochs: Annotated[int, Opt()] = 10,
    lr: Annotated[float, Opt()] = 1e-3,
    batch_size: Annotated[int, Opt()] = 32,
    val: Annotated[float, Opt(help="Fraction of each class held out for validation.")] = 0.2,
    image_size: Annotated[int, Opt()] = 224,
    seed: Annotated[int, Opt()] = 0,
    min_per_class: Annotated[int, Opt(help="Fewest readable images a class may have.")] = 5,
    out: Annotated[Path, Opt(help="Where run directories go.")] = Path("checkpoints"),
    resume: Annotated[bool, Opt("--resume", help="Continue the latest run of this data and arch.")] = False,
    run: Annotated[Optional[Path], Opt(help="With --resume: the run directory to continue.")] = None,
):
    """Train a classifier; its best.pt then works as a backbone: dreamgan dream IMG --backbone RUN/best.pt --class NAME."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from dreamgan.training.classifier import ClassifierConfig, train_classifier

    cfg = ClassifierConfig(data=str(data), arch=arch, init=init, weights=weights, color_jitter=color_jitter, epochs=epochs,
                           lr=lr, batch_size=batch_size, val=val, image_size=image_size, seed=seed,
                           min_per_class=min_per_class, out=str(out))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("eta"), TimeRemainingColumn())
    with Progress(*columns) as bar:
        task = bar.add_task("epoch", total=None)

        def on_batch(done, total):
            bar.update(task, completed=done, total=total)

        def on_epoch(r):
            bar.console.print(f"epoch {r.epoch}: train loss {r.train_loss:.3f} acc {r.train_acc:.3f} | "
                              f"val loss {r.val_loss:.3f} acc {r.val_acc:.3f} | {r.seconds:.1f}s")
            bar.update(task, description=f"epoch {r.epoch + 1}")

        report = train_classifier(cfg, resume=(run if run else True) if resume else False, on_epoch=on_epoch, on_batch=on_batch)
    for s in report.skipped:
        typer.secho(f"skipped: {s['reason']}", fg="yellow", err=True)
    typer.echo(f"{report.run_dir}: best val accuracy {report.best_val_acc:.3f} over {len(report.classes)} classes "
               f"({', '.join(report.classes[:8])}{'…' if len(report.classes) > 8 else ''})")
    import shlex

    typer.echo(f"dream with it: dreamgan dream IMAGE --backbone {shlex.quote(str(report.run_dir / 'best.pt'))} "
               f"--class {shlex.quote(report.classes[0])}")
