"""The time budget: the last step that ends within the minutes, and a run that keeps to it."""
from __future__ import annotations

import json
import types

import pytest

from dreamgan.errors import DreamganError
from dreamgan.training import gan
from dreamgan.training.budget import evals_between, last_step_within
from dreamgan.training.gan import PRESETS, TrainConfig, load_gan_checkpoint, train_gan


def test_evals_are_counted_at_every_multiple_and_at_the_last_step():
    assert evals_between(600, 1200, 600) == 1
    assert evals_between(600, 1250, 600) == 2  # 1200, and the last step 1250
    assert evals_between(600, 1799, 600) == 2
    assert evals_between(600, 600, 600) == 0
    assert evals_between(0, 2400, 600) == 4


def test_the_plan_fills_the_budget_with_steps_and_evals_and_no_more():
    kw = dict(step=600, elapsed_s=600.0, step_s=1.0, eval_s=30.0, eval_every=600, most=10_000)
    # 1800 s, 600 spent: the largest T with (T − 600) · 1 s + 30 s · evals ≤ 1200 s is 1740
    # (1140 steps, and evals at 1200 and at the last step 1740)
    last = last_step_within(1800, **kw)
    assert last == 1740
    cost = lambda t: 600 + (t - 600) * 1.0 + evals_between(600, t, 600) * 30.0  # noqa: E731
    assert cost(last) <= 1800 < cost(last + 10)
    # twice as fast a machine: nearly twice the steps left (it makes more evals, at the same cost)
    fast = last_step_within(1800, **{**kw, "step_s": 0.5})
    assert fast == 2760 and 1.8 * (last - 600) < fast - 600 < 2 * (last - 600)
    # never beyond `most`, which is kept as it is (not rounded)
    assert last_step_within(1800, **{**kw, "most": 1234}) == 1234
    # rounded down to the log's cadence
    assert last_step_within(1800, **kw) % 10 == 0


def test_a_run_over_its_budget_stops_where_it_is():
    assert last_step_within(600, step=600, elapsed_s=650.0, step_s=1.0, eval_s=30.0, eval_every=600, most=3000) == 600
    assert last_step_within(600, step=605, elapsed_s=590.0, step_s=1.0, eval_s=30.0, eval_every=600, most=3000) == 605
    with pytest.raises(ValueError):
        last_step_within(600, step=0, elapsed_s=0.0, step_s=0.0, eval_s=1.0, eval_every=10, most=10)


def test_minutes_must_not_be_negative():
    with pytest.raises(DreamganError, match="--minutes"):
        TrainConfig(data="x", minutes=-1)


class _Clock:
    """The training loop's clock, advanced by the test: `step_s` per training step, `eval_s` per eval."""

    def __init__(self, step_s: float, eval_s: float):
        self.now, self.step_s, self.eval_s = 0.0, step_s, eval_s

    def perf_counter(self) -> float:
        return self.now

    def callbacks(self, plans: list, stop_at: int | None = None) -> dict:
        def on_step(step, losses):
            self.now += self.step_s
            if step == stop_at:
                raise KeyboardInterrupt

        def on_eval(step, metrics):
            self.now += self.eval_s

        return {"on_step": on_step, "on_eval": on_eval, "on_plan": plans.append}


def _cfg(data, out, **kw):
    base = dict(PRESETS["legacy-aligned"], data=str(data), out=str(out), steps=60, minutes=0.5, image_size=32, batch_size=2,
                ngf=8, depth=3, ndf=8, eval_every=10, eval_fid=False)
    return TrainConfig(**{**base, **kw})


def _rows(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_a_budgeted_run_trains_the_steps_that_fit_decays_to_zero_there_and_resumes_under_its_plan(tiny_pairs, tmp_path, monkeypatch):
    clock = _Clock(step_s=1.0, eval_s=5.0)
    monkeypatch.setattr(gan, "time", types.SimpleNamespace(perf_counter=clock.perf_counter))
    plans: list[int] = []
    report = train_gan(_cfg(tiny_pairs, tmp_path / "a"), **clock.callbacks(plans))
    # 30 s: at step 10, 10 s of steps and 5 s of eval are spent; 10 more steps and the last eval fill the rest
    assert report.step == 20 and plans == [20]
    rows = _rows(report.run_dir)
    assert [r["plan"] for r in rows if "plan" in r] == [20]
    plan = next(r for r in rows if "plan" in r)
    assert plan["step_seconds"] == pytest.approx(1.0) and plan["eval_seconds"] == pytest.approx(5.0) and plan["minutes"] == 0.5
    steps = [r for r in rows if "lr" in r]
    assert steps[-1]["step"] == 20 and steps[-1]["lr"] == 0.0  # the schedule ends at the planned step, not at 60
    assert max(r["seconds"] for r in rows if "seconds" in r) <= 30.0
    assert load_gan_checkpoint(report.run_dir / "latest.pt")["step"] == 20

    # a machine twice as fast trains more steps in the same budget
    fast = _Clock(step_s=0.5, eval_s=5.0)
    monkeypatch.setattr(gan, "time", types.SimpleNamespace(perf_counter=fast.perf_counter))
    assert train_gan(_cfg(tiny_pairs, tmp_path / "b"), **fast.callbacks([])).step == 30

    # killed after the plan: the resumed run keeps it (and its clock), and its weights equal the whole run's
    clock = _Clock(step_s=1.0, eval_s=5.0)
    monkeypatch.setattr(gan, "time", types.SimpleNamespace(perf_counter=clock.perf_counter))
    cut = train_gan(_cfg(tiny_pairs, tmp_path / "c"), **clock.callbacks([], stop_at=15))
    assert cut.interrupted and cut.step == 15
    plans = []
    resumed = train_gan(_cfg(tiny_pairs, tmp_path / "c"), resume=True, **clock.callbacks(plans))
    assert resumed.step == 20 and plans == [20]
    a, b = load_gan_checkpoint(report.run_dir / "latest.pt"), load_gan_checkpoint(resumed.run_dir / "latest.pt")
    assert all(a["g"][k].float().allclose(b["g"][k].float(), atol=1e-6) for k in a["g"])


class _UnevenClock(_Clock):
    """A clock whose steps take `seconds(step)`."""

    def __init__(self, seconds, eval_s: float):
        super().__init__(0.0, eval_s)
        self.seconds = seconds

    def callbacks(self, plans: list, stop_at: int | None = None) -> dict:
        out = super().callbacks(plans, stop_at)

        def on_step(step, losses):
            self.now += self.seconds(step)

        return {**out, "on_step": on_step}


@pytest.mark.slow
def test_a_run_slow_at_first_trains_on_at_its_planned_end_and_a_pause_costs_it_nothing(tiny_pairs, tmp_path, monkeypatch):
    """A busy machine early on makes the first plan short; at that planned end, with time left,
    the run plans again and trains on (within the budget). A step that takes 1000 s (a suspended
    laptop) is a pause, not the run's pace: the run plans as if it had not happened."""
    busy = _UnevenClock(lambda step: 2.5 if step <= 10 else 0.5, eval_s=1.0)
    monkeypatch.setattr(gan, "time", types.SimpleNamespace(perf_counter=busy.perf_counter))
    plans: list[int] = []
    report = train_gan(_cfg(tiny_pairs, tmp_path / "busy", minutes=1.0), **busy.callbacks(plans))
    assert plans[0] <= 30 and report.step > plans[0] and report.step == plans[-1], (plans, report.step)
    assert max(r["seconds"] for r in _rows(report.run_dir) if "seconds" in r) <= 60.0
    paused = _UnevenClock(lambda step: 1000.0 if step == 5 else 1.0, eval_s=5.0)
    monkeypatch.setattr(gan, "time", types.SimpleNamespace(perf_counter=paused.perf_counter))
    report = train_gan(_cfg(tiny_pairs, tmp_path / "paused"), **paused.callbacks([]))
    assert report.step == 20, "the same plan as the run that never paused"
    assert [r["paused_seconds"] for r in _rows(report.run_dir) if "plan" in r][0] == pytest.approx(999.0)


@pytest.mark.slow
def test_a_budgeted_run_whose_first_eval_is_far_plans_ten_steps_in(tiny_pairs, tmp_path, monkeypatch):
    clock = _Clock(step_s=1.0, eval_s=5.0)
    monkeypatch.setattr(gan, "time", types.SimpleNamespace(perf_counter=clock.perf_counter))
    plans: list[int] = []
    report = train_gan(_cfg(tiny_pairs, tmp_path, eval_every=100), **clock.callbacks(plans))
    # at step 10, 10 s spent and no eval costed yet: 20 more steps, then the last step's eval
    assert report.step == 30 and plans == [30]
    rows = _rows(report.run_dir)
    assert [(r["step"], r["plan"], r["eval_seconds"]) for r in rows if "plan" in r] == [(10, 30, 0.0)]
    assert [r["step"] for r in rows if r.get("eval") == "val"] == [30]


@pytest.mark.slow
def test_without_minutes_a_run_trains_exactly_its_steps_and_plans_nothing(tiny_pairs, tmp_path, monkeypatch):
    clock = _Clock(step_s=100.0, eval_s=100.0)  # far beyond any budget: it must not matter
    monkeypatch.setattr(gan, "time", types.SimpleNamespace(perf_counter=clock.perf_counter))
    plans: list[int] = []
    report = train_gan(_cfg(tiny_pairs, tmp_path, steps=12, minutes=0), **clock.callbacks(plans))
    assert report.step == 12 and plans == []
    assert not any("plan" in r for r in _rows(report.run_dir))
