"""The README's metric-vs-training-time figure (docs/fast_dream_curve.png).

Three panels, val attainment and the val dream-statistics ratio on Inception and on
EfficientNet-Lite0 against training minutes, one line per training run, with the targets and
the val jitter floor (a second true dream of each val photo
with another jitter seed, dreamed here) as dashed levels:

    python docs/curve_figure.py "default=checkpoints/00001-pix2pix-default" \\
        "other weights=checkpoints/00002-pix2pix-default" -o docs/fast_dream_curve.png

Prints the levels and every run's curve as JSON.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path


def main() -> None:
    from dreamgan.evaluate import evaluate_run
    from dreamgan.training.gan import eval_curve
    from dreamgan.training.plots import line_panels

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="LABEL=RUN_DIR; the first run's best.pt and data give the val jitter floor")
    ap.add_argument("-o", "--out", default="docs/fast_dream_curve.png")
    args = ap.parse_args()
    runs = dict(item.split("=", 1) for item in args.runs)
    curves = {label: eval_curve(run) for label, run in runs.items()}
    with tempfile.TemporaryDirectory() as tmp:  # the val floor rows; the run dirs stay as they are
        report = evaluate_run(Path(next(iter(runs.values()))) / "best.pt", split="val", fid=False, jitter_floor=True,
                              out_dir=tmp)
    floor = report["rows"]["jitter floor (2nd true dream)"]
    levels = {"target attainment": 0.8, "jitter floor attainment": floor["attainment"], "identity": 1.0}
    for key, name in (("stats_ratio", "inception"), ("stats_ratio_effnet", "effnet")):
        levels[f"jitter floor {name}"] = floor[key]
        levels[f"target {name} (1.5x floor)"] = 1.5 * floor[key]
    panels = []
    for metric, hlines in (("attainment", ("target attainment", "jitter floor attainment")),
                           ("stats_ratio", ("jitter floor inception", "target inception (1.5x floor)", "identity")),
                           ("stats_ratio_effnet", ("jitter floor effnet", "target effnet (1.5x floor)", "identity"))):
        series = {label: [(c["train_seconds"] / 60, c[metric]) for c in curve
                          if c["train_seconds"] is not None and c[metric] is not None] for label, curve in curves.items()}
        panels.append(dict(series=series, title=f"val {metric.replace('_', ' ')} (N={report['n']})",
                           xlabel="training minutes (2-core CPU)", ylabel=metric.replace("_", " "),
                           hlines={k: levels[k] for k in hlines}))
    line_panels(args.out, panels)
    print(json.dumps({"out": args.out, "levels": levels, "val_n": report["n"], "curves": curves}, indent=1))


if __name__ == "__main__":
    main()
