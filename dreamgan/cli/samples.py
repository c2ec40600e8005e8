"""`dreamgan samples -o DIR`: write the bundled natural photos to a folder."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dreamgan.cli.root import app


@app.command("samples")
def samples_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the PNGs.")] = Path("photos"),
    names: Annotated[Optional[list[str]], typer.Argument(help="Which photos (default: all).")] = None,
):
    """Write the natural photos bundled with scikit-image (astronaut, chelsea, coffee, ...) as PNGs."""
    from dreamgan.photos import SAMPLE_PHOTOS, write_samples

    written = write_samples(out, tuple(names) if names else SAMPLE_PHOTOS)
    typer.echo(f"{len(written)} photo(s) written to {out}")
