"""The CLI's progress display: an ETA over the whole run, plain lines in logs, resume notes."""
import io

from rich.console import Console

from dreamgan.cli.progress import dataset_callbacks, job_progress, run_eta, stage_callback, train_callbacks


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _bar(clock, line_every=30.0):
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    return job_progress(console=console, get_time=clock, line_every=line_every), out


def test_run_eta_uses_the_whole_runs_rate_and_ignores_resumed_work():
    assert run_eta(60.0, 10, 40) == 180.0  # 10 in 60 s → 30 left at 6 s each
    assert run_eta(60.0, 30, 40, done_before=20) == 60.0  # 10 made this session, 10 left
    assert run_eta(5.0, 20, 40, done_before=20) is None  # nothing made yet
    assert run_eta(5.0, 3, None) is None


def test_dataset_eta_is_not_fooled_by_bursts():
    """Pairs arrive 4 at a time, once a minute: right after a burst rich's 30 s window says
    seconds; the whole-run estimate says the minutes that are really left."""
    clock = FakeClock()
    bar, _ = _bar(clock)
    cb = dataset_callbacks(bar)
    cb["on_plan"](56, 0)
    for burst in range(7):  # 28 of 56 done after 7 minutes
        clock.now += 60.0
        for i in range(4):
            clock.now += 0.01
            cb["on_pair"](burst * 4 + i + 1)
    task = bar.tasks[0]
    eta = run_eta(task.elapsed, task.completed, task.total, task.fields["done_before"])
    assert 400 < eta < 440, eta  # ≈ 7 more minutes
    rich_eta = task.time_remaining
    assert rich_eta is None or rich_eta < 60, "rich's own estimate is the one the issue reported wrong"


def test_plain_lines_when_not_a_terminal():
    clock = FakeClock()
    bar, out = _bar(clock, line_every=30.0)
    cb = train_callbacks(bar, 100)
    for step in range(1, 101):
        clock.now += 1.0
        cb["on_step"](step, {"loss_g_stats": 0.5})
    lines = [l for l in out.getvalue().splitlines() if l.startswith("steps")]
    # the first step, one line every 30 s, and the end
    assert len(lines) == 5, lines
    assert lines[0].startswith("steps 1/100 (1%) stats 0.500 elapsed")
    assert lines[-1].startswith("steps 100/100 (100%)") and lines[-1].endswith("eta 0:00:00")
    assert lines[2].startswith("steps 61/100") and lines[2].endswith("eta 0:00:39"), lines  # 1 s a step, 39 left


def test_resume_is_announced_and_not_counted_in_the_rate():
    clock = FakeClock()
    bar, out = _bar(clock)
    train = train_callbacks(bar, 100)
    train["on_resume"](60)
    clock.now += 10.0
    train["on_step"](70, {})
    assert "resuming from step 60 of 100" in out.getvalue()
    task = bar.tasks[0]
    assert run_eta(task.elapsed, task.completed, task.total, task.fields["done_before"]) == 30.0
    data = dataset_callbacks(bar)
    data["on_plan"](56, 20)
    assert "dreams: 20 of 56 pairs already done" in out.getvalue()
    data["on_plan"](56, 56)
    assert "nothing left to dream" in out.getvalue()
    train["on_resume"](100)
    assert "nothing left to train" in out.getvalue()


def test_a_time_budgets_plan_becomes_the_bars_total_and_its_eta():
    clock = FakeClock()
    bar, out = _bar(clock)
    train = train_callbacks(bar, 3000)
    for step in (1, 600):
        clock.now += 1.0 if step == 1 else 599.0
        train["on_step"](step, {})
    train["on_plan"](2200)  # the budget fits 2200 steps of the 3000 allowed
    assert "time budget: training to step 2200 (at most 3000)" in out.getvalue()
    task = bar.tasks[0]
    assert task.total == 2200 and run_eta(task.elapsed, task.completed, task.total, task.fields["done_before"]) == 1600.0
    train["on_resume"](2200)
    train["on_plan"](2200)  # a finished budgeted run, resumed
    assert "time budget: training to step 2200 (at most 3000); nothing left to train" in out.getvalue()


def test_stages_without_a_count_get_start_and_done_lines():
    clock = FakeClock()
    bar, out = _bar(clock)
    stage = stage_callback(bar)
    stage("evaluate")
    clock.now += 5.0
    stage("evaluate", True)
    text = out.getvalue()
    assert "evaluate: running" in text and "evaluate 1/1 (100%)" in text
