"""`dreamgan backbones`, `dreamgan layers NAME`, `dreamgan classes NAME`."""
from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from dreamgan.cli.options import WeightsOpt
from dreamgan.cli.root import app


@app.command("backbones")
def backbones_command(verbose: bool = typer.Option(False, "--verbose", "-v", help="Show weight paths and what to fetch.")):
    """List the backbones and whether their weights are on this machine."""
    import torch

    from dreamgan.backbones import list_backbones

    infos = list_backbones()
    table = Table(title="backbones")
    for col in ("name", "description", "weights"):
        table.add_column(col)
    for info in infos:
        table.add_row(info.name, info.description, info.weights, style=None if info.available else "yellow")
    console = Console()
    console.print(table)
    if any(not i.available for i in infos):
        console.print(
            "Missing weights are never downloaded. Put torchvision's ImageNet file (e.g. resnet50-0676ba61.pth) in "
            f"{torch.hub.get_dir()}/checkpoints/ or pass --weights PATH. `dreamgan backbones --verbose` shows each file."
        )
    if verbose:
        for info in infos:
            console.print(f"[bold]{info.name}[/]: {info.detail}")


@app.command("layers")
def layers_command(name: str = typer.Argument(..., help="Backbone name or classifier checkpoint."),
                   size: int = typer.Option(299, help="Input side (px) for the shapes."),
                   weights: WeightsOpt = None):
    """List a backbone's layer names with their output shapes."""
    from dreamgan.backbones import load_backbone

    bb = load_backbone(name, weights=weights)
    table = Table(title=f"{bb.name} layers for a {size}x{size} input")
    table.add_column("layer")
    table.add_column("output shape (C, H, W)")
    for layer, shape in bb.layer_shapes(size):
        mark = " (logits)" if layer == bb.logits_layer else ""
        table.add_row(layer + mark, " x ".join(map(str, shape)))
    Console().print(table)


@app.command("classes")
def classes_command(name: str = typer.Argument(..., help="Backbone name or classifier checkpoint."), weights: WeightsOpt = None):
    """List a backbone's class names with their indices (for --class)."""
    from dreamgan.backbones import load_backbone

    bb = load_backbone(name, weights=weights)
    bb.resolve_class(0)  # raises a clear error for backbones without logits
    for i, c in enumerate(bb.class_names):
        typer.echo(f"{i}\t{c}")
