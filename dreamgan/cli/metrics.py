"""`dreamgan fid DIR_A DIR_B`: FID and KID between two image folders."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from dreamgan.cli.root import app


@app.command("fid")
def fid_command(
    dir_a: Annotated[Path, typer.Argument(help="First image folder.")],
    dir_b: Annotated[Path, typer.Argument(help="Second image folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    extractor: Annotated[str, typer.Option(help="inception (standard FID network) or efficientnet (cross-network check).")] = "inception",
    batch_size: Annotated[int, typer.Option()] = 32,
):
    """FID, KID (mean ± std) and N between two folders, via torch-fidelity and the embedded Inception."""
    from dreamgan.errors import DreamganError
    from dreamgan.metrics import EXTRACTORS, KEY_FID, KEY_KID_MEAN, KEY_KID_STD, KEY_N, fid_kid

    if extractor not in EXTRACTORS:
        raise DreamganError(f"unknown extractor {extractor!r}; valid: {', '.join(EXTRACTORS)}")
    from rich.console import Console

    with Console(stderr=True).status(f"computing features of {dir_a} and {dir_b} ({extractor}) …"):
        out = fid_kid(dir_a, dir_b, extractor=EXTRACTORS[extractor], batch_size=batch_size)
    if as_json:
        typer.echo(json.dumps(out, indent=2))
    else:
        typer.echo(f"FID {out[KEY_FID]:.3f} (N = {out[KEY_N][0]} vs {out[KEY_N][1]})  "
                   f"KID {out[KEY_KID_MEAN]:.5f} ± {out[KEY_KID_STD]:.5f} (subset {out['kid_subset_size']})  [{out['extractor']}]")
