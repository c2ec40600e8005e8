"""Rich progress for the long CLI jobs: dreaming a dataset, training, and a pipeline's stages.

One `Progress` per command; each job adds its own task and gets the callbacks the library
functions take (`make_dataset(on_plan=, on_pair=)`, `train_gan(on_step=, on_eval=)`).
"""
from __future__ import annotations

import time
from typing import Callable

from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)


def job_progress() -> Progress:
    """label | bar | done/total | info | elapsed | eta (a spinner while the total is unknown)."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())


def dataset_callbacks(bar: Progress, label: str = "dreams") -> dict[str, Callable]:
    """{"on_plan", "on_pair"} for `make_dataset`: a bar over the planned pairs, with dreams/min."""
    task = bar.add_task(label, total=None, info="")
    state = {"t0": time.perf_counter(), "done0": 0}

    def on_plan(total: int, done: int) -> None:
        bar.update(task, total=total, completed=done)
        state.update(t0=time.perf_counter(), done0=done)

    def on_pair(n: int) -> None:
        rate = (n - state["done0"]) / max(1e-9, time.perf_counter() - state["t0"]) * 60
        bar.update(task, completed=n, info=f"{rate:.1f} dreams/min")

    return {"on_plan": on_plan, "on_pair": on_pair}


def train_callbacks(bar: Progress, steps: int, label: str = "steps") -> dict[str, Callable]:
    """{"on_step", "on_eval"} for `train_gan`: a bar over the steps (with the G/D losses), and a
    line with the paired metrics at every eval."""
    task = bar.add_task(label, total=steps, info="")

    shown = {"loss_g_stats": "stats", "loss_g_gan": "G", "loss_d_fake": "D", "loss_g_feat": "feat", "loss_g_l1": "L1"}

    def on_step(step: int, losses: dict) -> None:
        # the run's own losses, at most three (a stats-led run has no G/D to show)
        parts = [f"{name} {losses[key]:.3f}" for key, name in shown.items() if key in losses]
        bar.update(task, completed=step, info=" ".join(parts[:3]))

    def on_eval(step: int, metrics: dict) -> None:
        shown = {k: round(v, 4) for k, v in metrics.items() if isinstance(v, float)}
        bar.console.print(f"eval @ {step}: {shown}")

    return {"on_step": on_step, "on_eval": on_eval}


def stage_callback(bar: Progress) -> Callable[[str, bool], None]:
    """`stage(name, done)` for a job without a count (evaluate, sample): a spinner with the
    elapsed time while it runs, ticked to done when it ends."""
    tasks: dict[str, int] = {}

    def stage(name: str, done: bool = False) -> None:
        if name not in tasks:
            tasks[name] = bar.add_task(name, total=None, info="")
        if done:
            bar.update(tasks[name], total=1, completed=1)

    return stage
