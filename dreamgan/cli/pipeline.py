"""`dreamgan pipeline run FILE [--from STAGE] [--dry-run]`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dreamgan.cli.root import app

pipeline_app = typer.Typer(help="Run TOML pipelines (pipelines/default.toml, pipelines/smoke.toml).", no_args_is_help=True)
app.add_typer(pipeline_app, name="pipeline")


@pipeline_app.command("run")
def run_command(
    file: Annotated[Path, typer.Argument(help="Pipeline TOML.")],
    start: Annotated[str, typer.Option("--from", help="First stage: dataset, train, evaluate or sample.")] = "dataset",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the resolved stages; run nothing.")] = False,
):
    """Run a pipeline's stages in order; each stage resumes, so a rerun continues."""
    from dreamgan.cli.progress import dataset_callbacks, job_progress, stage_callback, train_callbacks
    from dreamgan.pipeline import run_pipeline

    if dry_run:
        run_pipeline(file, start=start, dry_run=True, echo=typer.echo)
        return
    with job_progress() as bar:
        hooks = {"dataset": lambda: dataset_callbacks(bar), "train": lambda steps: train_callbacks(bar, steps),
                 "stage": stage_callback(bar)}
        run_pipeline(file, start=start, dry_run=False, echo=lambda text: bar.console.print(text, markup=False, highlight=False),
                     hooks=hooks)
