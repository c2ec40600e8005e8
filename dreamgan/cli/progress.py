"""Rich progress for the long CLI jobs: dreaming a dataset, training, and a pipeline's stages.

One `JobProgress` per command; each job adds its own task and gets the callbacks the library
functions take (`make_dataset(on_plan=, on_pair=)`, `train_gan(on_step=, on_eval=)`).

Two things differ from a plain `rich.progress.Progress`:
- the ETA is estimated over the whole run so far (`run_eta`), not over rich's last 30 s:
  dataset pairs arrive in bursts, one chunk at a time, and a 30 s window sees only the burst;
- when the output is not a terminal (a log file, CI), rich would print nothing until the end,
  so a plain line is printed at the start, every `line_every` seconds and at the end.
"""
from __future__ import annotations

from typing import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

LINE_EVERY_S = 30.0
"""Seconds between plain progress lines when the output is not a terminal."""


def run_eta(elapsed: float, completed: float, total: float | None, done_before: float = 0.0) -> float | None:
    """Seconds left, at the mean rate since the job (re)started: `elapsed` seconds for the
    `completed - done_before` units made in this session (units done by an earlier, resumed
    session do not count). None while nothing has been made or the total is unknown."""
    made = completed - done_before
    if total is None or made <= 0:
        return None
    return max(0.0, elapsed * (total - completed) / made)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-:--:--"
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class RunEtaColumn(ProgressColumn):
    """`run_eta` of a task, as h:mm:ss."""

    def render(self, task: Task) -> Text:
        if task.finished:
            return Text("0:00:00", style="progress.remaining")
        eta = run_eta(task.elapsed or 0.0, task.completed, task.total, task.fields.get("done_before", 0))
        return Text(_clock(eta), style="progress.remaining")


class JobProgress(Progress):
    """label | bar | done/total | info | elapsed | eta, with plain lines when not on a terminal.

    `get_time` and `console` are rich's (tests pass a fake clock and a file console).
    """

    def __init__(self, *, console: Console | None = None, get_time: Callable[[], float] | None = None,
                 line_every: float = LINE_EVERY_S):
        super().__init__(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                         TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TextColumn("eta"), RunEtaColumn(),
                         console=console, get_time=get_time)
        self.plain_lines = not self.console.is_terminal
        self.line_every = line_every
        self._last_line: dict[int, float] = {}

    def update(self, task_id, **kwargs) -> None:
        super().update(task_id, **kwargs)
        self._maybe_line(task_id)

    def reset(self, task_id, **kwargs) -> None:
        super().reset(task_id, **kwargs)
        self._maybe_line(task_id)

    def _maybe_line(self, task_id) -> None:
        if not self.plain_lines:
            return
        task = self._tasks[task_id]
        if not task.visible:
            return
        now = self.get_time()
        last = self._last_line.get(task_id)
        if last is not None and now - last < self.line_every and not task.finished:
            return
        if task.finished and last == float("inf"):
            return  # the end was already printed
        self._last_line[task_id] = float("inf") if task.finished else now
        self.console.print(plain_line(task), markup=False, highlight=False)


def plain_line(task: Task) -> str:
    """One line for a log: `dreams 28/56 (50%) 30.1 dreams/min elapsed 0:00:56 eta 0:00:56`."""
    info = task.fields.get("info") or ""
    elapsed = _clock(task.elapsed or 0.0)
    if task.total is None:
        return f"{task.description}: {'done' if task.finished else 'running'} {info} elapsed {elapsed}".replace("  ", " ")
    pct = 100.0 * task.completed / task.total if task.total else 100.0
    eta = 0.0 if task.finished else run_eta(task.elapsed or 0.0, task.completed, task.total, task.fields.get("done_before", 0))
    return (f"{task.description} {task.completed:g}/{task.total:g} ({pct:.0f}%) {info} elapsed {elapsed} "
            f"eta {_clock(eta)}").replace("  ", " ")


def job_progress(**kwargs) -> JobProgress:
    """The progress display of a long CLI job (see `JobProgress`)."""
    return JobProgress(**kwargs)


def dataset_callbacks(bar: Progress, label: str = "dreams") -> dict[str, Callable]:
    """{"on_plan", "on_pair"} for `make_dataset`: a bar over the planned pairs, with dreams/min.
    A continued dataset says how many pairs were already done, and they do not count in the
    rate or the ETA."""
    task = bar.add_task(label, total=None, info="", done_before=0)

    def on_plan(total: int, done: int) -> None:
        if done:
            bar.console.print(f"{label}: {done} of {total} pairs already done"
                              + ("" if done < total else "; nothing left to dream"), markup=False, highlight=False)
        bar.reset(task, total=total, completed=done, done_before=done, info="")

    def on_pair(n: int) -> None:
        t = bar._tasks[task]
        rate = (n - t.fields["done_before"]) / max(1e-9, t.elapsed or 0.0) * 60
        bar.update(task, completed=n, info=f"{rate:.1f} dreams/min")

    return {"on_plan": on_plan, "on_pair": on_pair}


def train_callbacks(bar: Progress, steps: int, label: str = "steps") -> dict[str, Callable]:
    """{"on_step", "on_eval", "on_resume", "on_plan", "on_changed"} for `train_gan`: a bar over the
    steps (with the run's losses), a line with the paired metrics at every eval, "resuming from
    step N", a time budget's plan (the bar's total becomes the planned last step), and the options
    a resumed run changed."""
    task = bar.add_task(label, total=steps, info="", done_before=0)

    def on_plan(last: int) -> None:
        done = bar._tasks[task].completed
        bar.console.print(f"time budget: training to step {last} (at most {steps})"
                          + ("; nothing left to train" if done >= last else ""), markup=False, highlight=False)
        bar.update(task, total=last)

    shown = {"loss_g_stats": "stats", "loss_g_gan": "G", "loss_d_fake": "D", "loss_g_feat": "feat", "loss_g_l1": "L1"}

    def on_resume(step: int) -> None:
        bar.console.print(f"resuming from step {step} of {steps}" + ("; nothing left to train" if step >= steps else ""),
                          markup=False, highlight=False)
        bar.reset(task, total=steps, completed=step, done_before=step, info="")

    def on_changed(changes: dict) -> None:
        bar.console.print("resumed with " + ", ".join(f"--{k.replace('_', '-')} {was} → {now}" for k, (was, now) in changes.items()),
                          markup=False, highlight=False)

    def on_step(step: int, losses: dict) -> None:
        # the run's own losses, at most three (a stats-led run has no G/D to show)
        parts = [f"{name} {losses[key]:.3f}" for key, name in shown.items() if key in losses]
        bar.update(task, completed=step, info=" ".join(parts[:3]))

    def on_eval(step: int, metrics: dict) -> None:
        values = {k: round(v, 4) for k, v in metrics.items() if isinstance(v, float)}
        bar.console.print(f"eval @ {step}: {values}", markup=False, highlight=False)

    return {"on_step": on_step, "on_eval": on_eval, "on_resume": on_resume, "on_plan": on_plan, "on_changed": on_changed}


def frame_callbacks(bar: Progress, label: str = "frames") -> dict[str, Callable]:
    """{"on_plan", "on_frame"} for `dream_video` and `dream_zoom`: a bar over the frames with
    frames/s (frames reused from an earlier, interrupted run count in the total, not in the
    rate or the ETA)."""
    task = bar.add_task(label, total=None, info="", done_before=0)
    reused = [0]

    def on_plan(total: int | None, done: int) -> None:
        bar.reset(task, total=total, completed=done, done_before=done, info="")

    def on_frame(n: int, cached: bool) -> None:
        t = bar._tasks[task]
        if cached:
            reused[0] += 1
            bar.update(task, completed=n, done_before=reused[0], info="reusing frames dreamed before")
            return
        if t.total is not None and n > t.total:
            bar.update(task, total=n)
        rate = (n - reused[0]) / max(1e-9, t.elapsed or 0.0)
        bar.update(task, completed=n, info=f"{rate:.2f} frames/s")

    return {"on_plan": on_plan, "on_frame": on_frame}


def stage_callback(bar: Progress) -> Callable[[str, bool], None]:
    """`stage(name, done)` for a job without a count (evaluate, sample): a spinner with the
    elapsed time while it runs, ticked to done when it ends."""
    tasks: dict[str, int] = {}

    def stage(name: str, done: bool = False) -> None:
        if name not in tasks:
            tasks[name] = bar.add_task(name, total=None, info="")
            bar.update(tasks[name])
        if done:
            bar.update(tasks[name], total=1, completed=1)

    return stage
