"""The README's metric-vs-training-time figure (docs/fast_dream_curve.png).

Three panels, val attainment and the val dream-statistics ratio on Inception and on
EfficientNet-Lite0 against training minutes, one line per training run, with the targets and
the val jitter floor (a second true dream of each val photo
with another jitter seed, dreamed here) as dashed levels:

    python docs/curve_figure.py "default=checkpoints/00001-pix2pix-default" \\
        "other weights=checkpoints/00002-pix2pix-default" -o docs/fast_dream_curve.png

Prints the levels and every run's curve as JSON. `--x steps` plots against training steps
(runs compared at equal steps), `--metrics` picks the panels (any of `EVAL_METRICS`), and
`--no-floor` skips the jitter floor (it dreams every val photo again):

    python docs/curve_figure.py "dream-texture=runs/DT/00001-pix2pix-debian" \
        "unshuffle 2=runs/DTU/00001-pix2pix-debian" --x steps --no-floor \
        --metrics attainment,cond_stats_ratio,stats_ratio_effnet -o docs/unshuffle_curve.png
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path


def main() -> None:
    from dreamgan.metrics.report import evaluate_run
    from dreamgan.training.gan import eval_curve
    from dreamgan.training.plots import line_panels

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="LABEL=RUN_DIR; the first run's best.pt and data give the val jitter floor")
    ap.add_argument("-o", "--out", default="docs/fast_dream_curve.png")
    ap.add_argument("--x", choices=("minutes", "steps"), default="minutes", help="what the curves are plotted against")
    ap.add_argument("--metrics", default="attainment,stats_ratio,stats_ratio_effnet", help="comma-separated panels")
    ap.add_argument("--no-floor", dest="floor", action="store_false", help="no jitter-floor levels (no val photo is dreamed)")
    args = ap.parse_args()
    runs = dict(item.split("=", 1) for item in args.runs)
    curves = {label: eval_curve(run) for label, run in runs.items()}
    levels = {"target attainment": 0.8, "identity": 1.0}
    n = None
    if args.floor:
        with tempfile.TemporaryDirectory() as tmp:  # the val floor rows; the run dirs stay as they are
            report = evaluate_run(Path(next(iter(runs.values()))) / "best.pt", split="val", fid=False, jitter_floor=True,
                                  out_dir=tmp)
        floor, n = report["rows"]["jitter floor (2nd true dream)"], report["n"]
        for key in ("attainment", "stats_ratio", "stats_ratio_effnet", "cond_stats_ratio"):
            levels[f"jitter floor {key}"] = floor[key]
            if key != "attainment":
                levels[f"target {key} (1.5x floor)"] = 1.5 * floor[key]
    panels = []
    for metric in args.metrics.split(","):
        x_of = (lambda c: c["train_seconds"] / 60 if c["train_seconds"] is not None else None) if args.x == "minutes" else (lambda c: c["step"])
        series = {label: [(x_of(c), c[metric]) for c in curve if x_of(c) is not None and c[metric] is not None]
                  for label, curve in curves.items()}
        hlines = {k: v for k, v in levels.items() if k.endswith(metric) or k.endswith(f"{metric} (1.5x floor)")
                  or (metric == "attainment" and k == "target attainment") or (metric.endswith("ratio") and k == "identity")}
        panels.append(dict(series=series, title=f"val {metric.replace('_', ' ')}" + (f" (N={n})" if n else ""),
                           xlabel="training minutes (2-core CPU)" if args.x == "minutes" else "training step",
                           ylabel=metric.replace("_", " "), hlines=hlines))
    line_panels(args.out, panels)
    print(json.dumps({"out": args.out, "levels": levels, "val_n": n, "curves": curves}, indent=1))


if __name__ == "__main__":
    main()
