"""What a GAN run reports at its eval steps, besides what each kind scores (`training/kinds.py`):
the views a noise → dream run is measured on, the photos' yardstick and the KID ratio, the
best-checkpoint rule, and the curves read back from `metrics.jsonl`."""
from __future__ import annotations

import math
import os
from pathlib import Path

import torch

from dreamgan.data.pairs import PairedDreams
from dreamgan.fileio import read_jsonl
from dreamgan.models.config import TrainConfig
from dreamgan.training.plots import line_chart


@torch.no_grad()
def photo_scores(cfg: TrainConfig, val: PairedDreams, *, cache_real: str | os.PathLike | None = None) -> dict:
    """A noise → dream run's yardstick: FID/KID on both networks of the photos' crops (the same
    views as the true dreams a run is measured on, undreamed) against the true dreams'."""
    from dreamgan.metrics import fid_kid_both_x01

    real_a, real_b = dream_crops(val, cfg)
    return {"n": len(real_b), **fid_kid_both_x01(real_a, real_b, cache_real=cache_real)}


def kid_ratio(scores: dict, photos: dict) -> float:
    """The worse of the two networks' KID over the photos' KID (`photo_scores`): below 1 when a
    noise → dream run's samples are nearer the true dreams than the photos are on both
    Inception and EfficientNet-Lite0, as #21 asks. KID is unbiased and may dip below 0."""
    return max(scores["kid_mean"] / photos["kid_mean"], scores["kid_effnet_mean"] / photos["kid_effnet_mean"])


def logged_photo_scores(rows: list[dict]) -> dict | None:
    """The photos' scores (`photo_scores`) a noise → dream run logged at step 0 in its
    metrics.jsonl `rows`, or None (a pix2pix run, or one begun before the photos were scored)."""
    return next((r for r in rows if r.get("reference") == "identity" and "kid_effnet_mean" in r), None)


def dream_views(split: PairedDreams, n: int, cfg: TrainConfig, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n views of a split's pairs as a noise → dream run sees them, (photos, true dreams), each
    (n, 3, S, S) in [0, 1] with S = image_size: multi-scale windows of S × crop_scale px
    resized to S, or (crop_scale 1, 1) whole pairs resized to S."""
    if cfg.crop_scale != (1.0, 1.0):
        return split.batch(n, cfg.image_size, gen, cfg.crop_scale)
    a, b = split.batch(n, 10 ** 6, gen)
    return tuple(torch.nn.functional.interpolate(x, size=(cfg.image_size,) * 2, mode="bilinear", antialias=True) for x in (a, b))


def dream_crops(split: PairedDreams, cfg: TrainConfig, n: int | None = None, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """`dream_views` with a fixed seed: the same n views (default `cfg.eval_crops`) on every call
    (what a run is measured on)."""
    return dream_views(split, cfg.eval_crops if n is None else n, cfg, torch.Generator().manual_seed(seed))


def is_better(new: dict, best: dict) -> bool:
    """best.pt is chosen by the paired metrics, not by FID at small N: the position-free
    dream-statistics ratio (it rewards a dream, not the mean of dreams), else the feature ratio.
    A noise → dream run has no pairs; it is chosen by KID (unbiased at the `eval_crops` crops it
    is measured on; FID is not at that N) by `kid_ratio`, the worse of the two networks' KID
    over the photos', so that best.pt is the step nearest the true dreams on both, else by
    Inception's KID (docs/results.md, "A cheaper discriminator, best.pt on both networks")."""
    for key in ("stats_ratio", "feature_ratio", "kid_ratio", "kid_mean", "fid"):
        if key in new:
            return not best or new[key] < best.get(key, math.inf)
    return not best


EVAL_METRICS = ("attainment", "feature_ratio", "stats_ratio", "stats_ratio_effnet", "cond_stats_ratio", "lattice_index", "alignment", "l1")


def eval_curve(run: str | os.PathLike) -> list[dict]:
    """A run's metric-vs-training-time curve from its metrics.jsonl: the identity row at step 0
    (the generator starts as the identity), then every val eval, each as
    {"step", "train_seconds", *EVAL_METRICS} (None where an older run lacks a metric)."""
    return _curve_rows(read_jsonl(Path(run) / "metrics.jsonl"))


def _curve_rows(rows: list[dict]) -> list[dict]:
    seconds = {r["step"]: r["seconds"] for r in rows if "seconds" in r and "lr" in r}  # step rows; older runs' eval rows lack their own
    picked = [r for r in rows if r.get("reference") == "identity" or r.get("eval") == "val"]
    return [{"step": r["step"], "train_seconds": 0.0 if r.get("reference") else r.get("seconds", seconds.get(r["step"])),
             **{k: r.get(k) for k in EVAL_METRICS}} for r in picked]


def plot_curves(run: Path) -> None:
    """curves.png (the losses over steps) and, once there are evals, curves_eval.png (the val
    metrics over steps: the paired dream metrics, and KID for a noise → dream run)."""
    rows = read_jsonl(run / "metrics.jsonl")
    names = dict.fromkeys(k for r in rows for k in r if k.startswith("loss_"))  # every term the steps logged, in order of appearance
    losses = {k: [(r["step"], r[k]) for r in rows if k in r] for k in names}
    curve = _curve_rows(rows)
    evals = {k: [(c["step"], c[k]) for c in curve if c[k] is not None]
             for k in ("attainment", "feature_ratio", "stats_ratio", "stats_ratio_effnet", "cond_stats_ratio", "alignment")}
    evals["kid_mean (Inception)"] = [(r["step"], r["kid_mean"]) for r in rows if r.get("eval") == "val" and "kid_mean" in r]
    evals["kid (EfficientNet-Lite0)"] = [(r["step"], r["kid_effnet_mean"]) for r in rows if r.get("eval") == "val" and "kid_effnet_mean" in r]
    line_chart(run / "curves.png", {k: v for k, v in losses.items() if v}, title=f"{run.name}: losses", xlabel="training step",
               ylabel="loss", markers=False)
    if any(evals.values()):
        levels = {"target attainment": 0.8, "identity ratio": 1.0} if any(v for k, v in evals.items() if not k.startswith("kid")) else {}
        photos = logged_photo_scores(rows)
        if photos:  # a noise → dream run: the photos' KID on each network, the level its samples should be under
            levels = {"photos' KID (Inception)": photos["kid_mean"], "photos' KID (EfficientNet)": photos["kid_effnet_mean"]}
        line_chart(run / "curves_eval.png", {k: v for k, v in evals.items() if v}, title=f"{run.name}: val metrics", xlabel="training step",
                   ylabel="metric (lower is better, but attainment: 1 = the true dream)", hlines=levels)


__all__ = ["EVAL_METRICS", "dream_crops", "dream_views", "eval_curve", "is_better", "kid_ratio", "logged_photo_scores", "photo_scores",
           "plot_curves"]
