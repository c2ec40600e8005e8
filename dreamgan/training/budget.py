"""A training run's time budget: the last step that still ends within the minutes given.

A run with `TrainConfig.minutes` > 0 plans its last step at every eval, from what its own clock
measured since the previous one: the seconds per training step, and the seconds the eval just
took (scores, checkpoints, the sample sheet). The plan never exceeds `TrainConfig.steps`, so
`steps` becomes the most the run may train. A machine twice as fast trains twice the steps in
the same minutes; a machine that slows down mid-run stops earlier. The learning-rate schedule
decays over the second half of the planned steps, so the decay always ends at the last step.

Evals may be far apart, so a run that has no plan yet makes a first one 10 steps in, from
those steps alone (no eval is costed yet, so it may end one eval late); the first eval plans
again with both times.

The plan is logged to metrics.jsonl as a row {"step", "plan", "minutes", "step_seconds",
"eval_seconds", "seconds"} after each eval, and a resumed run continues under its last plan.
"""
from __future__ import annotations


def evals_between(start: int, end: int, eval_every: int) -> int:
    """How many evals a run makes in steps (start, end]: one at every multiple of `eval_every`,
    and one at `end` (the last step always evaluates)."""
    if end <= start:
        return 0
    return end // eval_every - start // eval_every + (end % eval_every != 0)


def last_step_within(budget_s: float, *, step: int, elapsed_s: float, step_s: float, eval_s: float, eval_every: int,
                     most: int, multiple: int = 10) -> int:
    """The last step a run at `step`, `elapsed_s` seconds into its clock, can reach within
    `budget_s` seconds: the largest T in [step, most] such that

        elapsed_s + (T − step) · step_s + evals_between(step, T, eval_every) · eval_s ≤ budget_s,

    rounded down to a multiple of `multiple` (the log's cadence) unless T is `most`. `step`
    itself when not one more step fits (the run stops at the eval it is at).

    Args:
        step_s: seconds per training step (> 0); eval_s: seconds per eval (≥ 0).
    """
    if step_s <= 0 or eval_s < 0:
        raise ValueError(f"step_s must be > 0 and eval_s ≥ 0, got {step_s}, {eval_s}")

    def fits(end: int) -> bool:
        return elapsed_s + (end - step) * step_s + evals_between(step, end, eval_every) * eval_s <= budget_s

    lo, hi = step, max(step, most)  # fits(lo) is taken as true: the run is already there
    while lo < hi:  # the cost grows with the end step: the largest end that fits
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    if lo == most or lo == step:
        return lo
    return max(step, lo - lo % multiple)


__all__ = ["evals_between", "last_step_within"]
