"""`dreamgan photos -o DIR`: the embedded natural photos (scikit-image's); `dreamgan fetch-photos -o DIR`: those of the allowed Debian packages."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dreamgan.cli.root import app


@app.command("photos")
def photos_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the PNGs.")] = Path("photos"),
    names: Annotated[Optional[list[str]], typer.Argument(help="Which photos (default: all).")] = None,
):
    """Write the natural photos bundled with scikit-image (astronaut, chelsea, coffee, ...) as PNGs."""
    from dreamgan.data.photos import EMBEDDED_PHOTOS, write_embedded_photos

    written = write_embedded_photos(out, tuple(names) if names else EMBEDDED_PHOTOS)
    typer.echo(f"{len(written)} photo(s) written to {out}")


app.command("samples", hidden=True, help="The old name of `dreamgan photos`.")(photos_command)


@app.command("fetch-photos")
def fetch_photos_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the photos and photos.json (package, path, licence).")] = Path("data/debian_photos"),
    debs: Annotated[Optional[Path], typer.Option(help="A folder holding the packages' .deb files (default: `apt-get download` them).")] = None,
    packages: Annotated[Optional[str], typer.Option(help="Comma-separated packages (default: every allowed one).")] = None,
):
    """Extract the natural photographs of the Debian packages dreamgan may train on (apt-get
    download + dpkg-deb -x, nothing installed), with each photo's package, path and licence."""
    from rich.console import Console

    from dreamgan.data.debian_photos import fetch_debian_photos

    console = Console(stderr=True)
    with console.status("fetching and unpacking packages …"):
        entries = fetch_debian_photos(out, packages=tuple(packages.split(",")) if packages else None, debs=debs,
                                      on_package=lambda name, n: console.print(f"{name}: {n} photo(s)", highlight=False))
    typer.echo(f"{len(entries)} photo(s) written to {out} (provenance: {out / 'photos.json'}); dream them with "
               f"dreamgan make-dataset --source {out} --out data/NAME")
