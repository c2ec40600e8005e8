"""`dreamgan dream IMAGES... -o OUTDIR`: classical DeepDream with every engine knob."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dreamgan.cli.options import engine_options
from dreamgan.cli.root import app
from dreamgan.errors import DreamganError

Opt = typer.Option


@app.command("dream")
@engine_options
def dream_command(
    images: Annotated[list[Path], typer.Argument(help="Image files or folders (searched recursively).")],
    out: Annotated[Path, Opt("--out", "-o", help="Output folder for the dream PNGs.")] = Path("dreams"),
    overlay: Annotated[Optional[float], Opt(help="Also write the dream blended over the original at this opacity (0-1).")] = None,
    skip_existing: Annotated[bool, Opt("--skip-existing",
                                       help="Keep outputs already in OUT that were made with this recipe (continue after an interrupt).")] = False,
    recipe=None,
):
    """Dream images with the classical engine; writes OUT/<name>.png with the recipe in its metadata."""
    from dreamgan.fileio import ensure_writable_dir
    from dreamgan.images import list_images

    if overlay is not None and not 0 <= overlay <= 1:
        raise DreamganError(f"--overlay must be in [0, 1], got {overlay}")
    ensure_writable_dir(out)
    paths = list_images(images)
    if not paths:
        raise DreamganError(f"no images found in {', '.join(map(str, images))}")
    report = run_dream_files(paths, out, recipe, overlay, skip_existing)
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
