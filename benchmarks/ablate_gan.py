"""Ablation of the pix2pix levers at one training budget, side by side in one run.

Each variant trains from the same seed on the same dataset for the same number of steps
(the legacy-aligned preset unless overridden) and is scored on the val split every `--eval-every`
steps (the metric-vs-training-time curve), then on the unseen test split. Prints one JSON
object; every variant carries its ratio against the baseline variant, measured in this run.

    python benchmarks/ablate_gan.py --data data/default --steps 300 --variants baseline,obj,obj-plain

The runs land in `--out` (default checkpoints/ablation/<variant>/); a finished run is reused
when the script is run again with the same settings (so a killed ablation resumes).
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

BASE = {"lambda_l1": 100.0, "lambda_feat": 10.0}
"""The weights every variant starts from: pix2pix's L1 100 with a 10× feature loss (the defaults
until the second round showed feature-led training winning on val)."""
VARIANTS: dict[str, dict] = {
    "baseline": {},                                              # BASE + lsgan 1
    "obj": {"lambda_obj": 10.0},                                 # + the guarded objective term (hinge, transforms)
    "obj-plain": {"lambda_obj": 10.0, "obj_transforms": False},  # the same without the transforms
    "no-feat": {"lambda_feat": 0.0},                             # L1 + GAN only
    "no-gan": {"lambda_gan": 0.0},                               # no discriminator signal
    "l1-10": {"lambda_l1": 10.0},                                # a weaker pixel anchor
    "backbone": {"generator": "backbone"},                       # frozen dreaming network as encoder
    "fast": {"ngf": 16, "depth": 4, "unshuffle": 2},             # the speed preset's generator
    "fast-obj": {"ngf": 16, "depth": 4, "unshuffle": 2, "lambda_obj": 10.0},
    "feat-led": {"lambda_l1": 10.0, "lambda_feat": 100.0},       # the feature distance leads, loose pixel anchor
    # amortised dreaming (a feed-forward net trained on the optimisation's own objective, as
    # Johnson et al. 2016 did for style transfer): the objective leads, the pixel anchor is loose
    "amortized": {"lambda_l1": 10.0, "lambda_obj": 100.0},
    "amortized-tv": {"lambda_l1": 10.0, "lambda_obj": 100.0, "lambda_tv": 50.0},  # + the roughness guard
}


def _finished_run(out: Path, cfg) -> Path | None:
    """A run dir under `out` with this exact config that reached its last step."""
    for run in sorted(out.glob("*-pix2pix-*"), reverse=True):
        try:
            saved = json.loads((run / "config.json").read_text())
        except (OSError, ValueError):
            continue
        same = all(saved.get(k) == (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cfg).items())
        rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
        if same and any(r.get("eval") == "val" and r["step"] == cfg.steps for r in rows) and (run / "best.pt").is_file():
            return run
    return None


def main() -> None:
    from dreamgan.metrics.report import evaluate_run
    from dreamgan.training.gan import EVAL_METRICS as METRICS
    from dreamgan.training.gan import PRESETS, TrainConfig, eval_curve, train_gan

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/default")
    ap.add_argument("--out", default="checkpoints/ablation")
    ap.add_argument("--variants", default="baseline,obj,obj-plain")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--preset", default="legacy-aligned")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; valid: {', '.join(VARIANTS)}")
    result = {"data": args.data, "steps": args.steps, "preset": args.preset, "variants": {}}
    for i, name in enumerate(names):
        out = Path(args.out) / name
        cfg = TrainConfig(data=args.data, out=str(out), steps=args.steps, eval_every=args.eval_every, eval_fid=False,
                          device=args.device, **{**BASE, **PRESETS[args.preset], **VARIANTS[name]})
        run = _finished_run(out, cfg)
        t = time.perf_counter()
        if run is None:
            run = train_gan(cfg).run_dir
        wall = time.perf_counter() - t
        # the test split: the generator row, plus the baselines once (they do not depend on the variant)
        report = evaluate_run(run / "best.pt", split="test", fid=False, jitter_floor=(i == 0), out_dir=run)
        rows = report["rows"]
        entry = {"overrides": VARIANTS[name], "run": str(run), "wall_seconds_this_invocation": round(wall, 1),
                 "val_curve": eval_curve(run), "test": {k: rows["generator"][k] for k in METRICS},
                 "test_seconds_per_image": rows["generator"]["seconds_per_image"], "test_n": report["n"]}
        if i == 0:
            result["test_baselines"] = {row: {k: m[k] for k in METRICS} for row, m in rows.items() if row != "generator"}
        result["variants"][name] = entry
    base = result["variants"][names[0]]["test"]
    for entry in result["variants"].values():
        # ratios for the positive metrics; differences where the baseline sits near 0 (a ratio would mislead)
        entry["vs_" + names[0]] = {"feature_ratio_ratio": entry["test"]["feature_ratio"] / base["feature_ratio"],
                                   "l1_ratio": entry["test"]["l1"] / base["l1"],
                                   "attainment_diff": entry["test"]["attainment"] - base["attainment"],
                                   "alignment_diff": entry["test"]["alignment"] - base["alignment"]}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
