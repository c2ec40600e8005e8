"""Benchmark: fast-dream generators side by side on photos none of them trained on.

For each `--run LABEL=RUN` (and the bundled generator as `bundled`), fast dreams (seed 0) of a
dataset split's centre views, scored against their true dreams with the paired dream metrics
(`metrics.paired_dream_metrics`): attainment, the dream-statistics ratios on Inception and
EfficientNet-Lite0, the conditional statistics ratio, the lattice index (median over the
photos, and mean) and the lattice period (`metrics.lattice_period`: the most common lag, in px,
at which the photos' changes repeat, and the share of photos that repeat there). The true dreams' own lattice index and a second true dream (the jitter
floor) are measured in the same run as the yardsticks. Photos whose manifest provenance names
a package in `--exclude-packages` (or, for `embedded`, no package: the scikit-image photos)
are left out, so that no generator has seen them. Prints JSON; `--sheet` writes photo | true
dream | each generator's fast dream, one row per photo.

    python benchmarks/levers.py --data data/debian --split test --exclude-packages embedded,plasma-workspace-wallpapers \
        --run B=runs/B/00001-pix2pix-default --run tags3=runs/T3/00001-pix2pix-default --sheet docs/levers3_sheet.jpg
"""
from __future__ import annotations

import argparse
import json
import time

import torch


def main() -> None:
    from torchvision.utils import make_grid

    from dreamgan.data.pairs import PairedDreams, read_manifest
    from dreamgan.dream.engine import DreamConfig, DreamEngine
    from dreamgan.fast import fast_dream, load_generator
    from dreamgan.images import x01_to_uint8
    from dreamgan.metrics import lattice_index, lattice_period, paired_dream_metrics

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--run", action="append", default=[], help="LABEL=RUN (repeatable)")
    ap.add_argument("--no-bundled", action="store_true", help="leave the bundled generator out")
    ap.add_argument("--exclude-packages", default="", help="comma-separated packages (embedded = no package) to leave out")
    ap.add_argument("--sheet", default=None, help="write the sheet here (.jpg/.png)")
    ap.add_argument("--sheet-rows", type=int, default=8)
    ap.add_argument("--tile", type=int, default=160, help="side of each image in the sheet, px")
    args = ap.parse_args()

    excluded = {p for p in args.exclude_packages.split(",") if p}
    manifest = read_manifest(args.data)
    pairs = PairedDreams(args.data, args.split)
    keep = [i for i, item in enumerate(pairs.ids) if item.endswith("-000")
            and (manifest[item].get("provenance") or {}).get("package", "embedded") not in excluded]
    real_a, real_b = (t[keep] for t in pairs.all_x01())
    recipe = DreamConfig.from_dict(json.load(open(f"{args.data}/recipe.json")))
    engine = DreamEngine(recipe)
    runs = dict(r.split("=", 1) for r in args.run)
    if not args.no_bundled:
        runs = {"bundled": None, **runs}

    def summary(m: dict, b: torch.Tensor) -> dict:
        lattice = torch.tensor(m["per_image"]["lattice_index"])
        keys = ("attainment", "stats_ratio", "stats_ratio_effnet", "cond_stats_ratio", "feature_ratio", "l1")
        periods = [tuple(p) for p in lattice_period(real_a, b).tolist()]  # where each change repeats, (dy, dx) px
        return {**{k: round(m[k], 4) for k in keys}, "lattice_index_median": round(float(lattice.median()), 4),
                "lattice_index_mean": round(float(lattice.mean()), 4),
                "lattice_period_mode": list(max(set(periods), key=periods.count)),
                "lattice_period_mode_share": round(periods.count(max(set(periods), key=periods.count)) / len(periods), 3)}

    report: dict = {"data": args.data, "split": args.split, "n": len(keep), "excluded_packages": sorted(excluded), "rows": {}}
    fakes = {}
    for label, run in runs.items():
        g = load_generator(run)[0]
        t = time.perf_counter()
        fakes[label] = fast_dream(g, real_a, seed=0)
        seconds = (time.perf_counter() - t) / len(real_a)
        report["rows"][label] = {**summary(paired_dream_metrics(real_a, real_b, fakes[label], recipe, engine=engine), fakes[label]),
                                 "seconds_per_image": round(seconds, 3)}
    second = DreamEngine(recipe.replace(seed=recipe.seed + 1)).run(real_a)
    report["rows"]["jitter floor (2nd true dream)"] = summary(paired_dream_metrics(real_a, real_b, second, recipe, engine=engine), second)
    true = lattice_index(real_a, real_b)
    report["true_dream_lattice_index"] = {"median": round(float(true.median()), 4), "mean": round(float(true.mean()), 4)}
    for row in report["rows"].values():
        row["lattice_vs_true"] = round(row["lattice_index_median"] / max(report["true_dream_lattice_index"]["median"], 1e-9), 2)
    if args.sheet:
        from PIL import Image

        n = min(args.sheet_rows, len(real_a))
        tiles = torch.stack([t[i] for i in range(n) for t in (real_a, real_b, *fakes.values())])
        tiles = torch.nn.functional.interpolate(tiles, size=(args.tile, args.tile), mode="bilinear", antialias=True)
        grid = make_grid(tiles, nrow=2 + len(fakes), padding=2, pad_value=1.0)
        Image.fromarray(x01_to_uint8(grid)).save(args.sheet, quality=85)
        report["sheet"] = {"path": args.sheet, "columns": ["photo (unseen)", "true dream", *fakes]}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    main()
