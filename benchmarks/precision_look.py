"""Benchmark: does the engine's bf16 change the look of a dream?

On the embedded photos (center-cropped to `--size`), the default recipe dreams each photo three
times: fp32 with seed 0 (the reference), bf16 with seed 0 (what `--precision auto` gives on a CPU
with bf16 units), and fp32 with seed 1 (a second true dream: the jitter floor). Prints one JSON
object with, per network (the recipe's Inception layers, and EfficientNet-Lite0's blocks.9 and
blocks.14, which the engine never dreams with), the dream-statistics ratio (`metrics.stats_ratio`:
the sliced Wasserstein distance of the feature sets to the fp32 dream, over the photo's) of the
bf16 dream and of the second dream. bf16 keeps the look where its ratio stays below the jitter
floor's on both networks. `--sheet` writes photo | fp32 | bf16 | fp32 seed 1, a row per photo.

    python benchmarks/precision_look.py --sheet docs/precision_sheet.jpg
"""
from __future__ import annotations

import argparse
import json
import platform
import time

import torch


def main() -> None:
    from dreamgan.data.photos import EMBEDDED_PHOTOS, embedded_photo
    from dreamgan.dream import DreamConfig, DreamEngine
    from dreamgan.images import labelled_grid, resize_uint8, uint8_to_x01
    from dreamgan.metrics import paired_dream_metrics

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=299)
    ap.add_argument("--photos", default=",".join(EMBEDDED_PHOTOS), help="comma-separated embedded photo names")
    ap.add_argument("--sheet", default=None, help="write photo | fp32 | bf16 | fp32 seed 1 here (.jpg/.png)")
    ap.add_argument("--tile", type=int, default=200, help="side of each image in the sheet, px")
    args = ap.parse_args()

    names = [n for n in args.photos.split(",") if n]
    crops = []
    for name in names:
        img = embedded_photo(name)
        s = min(img.shape[:2])
        y, x = (img.shape[0] - s) // 2, (img.shape[1] - s) // 2
        crops.append(uint8_to_x01(resize_uint8(img[y:y + s, x:x + s], (args.size, args.size))))
    real_a = torch.cat(crops)  # (N, 3, S, S) in [0, 1]

    recipe = DreamConfig(precision="fp32")
    dreams, seconds = {}, {}
    for label, cfg in (("fp32", recipe), ("bf16", recipe.replace(precision="bf16")), ("fp32 seed 1", recipe.replace(seed=recipe.seed + 1))):
        engine = DreamEngine(cfg)
        t = time.perf_counter()
        dreams[label] = torch.cat([engine.run(x) for x in real_a.split(1)])  # one at a time, as `dreamgan dream`
        seconds[label] = round((time.perf_counter() - t) / len(real_a), 3)

    reference = DreamEngine(recipe)
    rows: dict = {}
    for label in ("bf16", "fp32 seed 1"):
        m = paired_dream_metrics(real_a, dreams["fp32"], dreams[label], engine=reference)
        rows[label] = {"stats_ratio_inception": round(m["stats_ratio"], 4), "stats_ratio_effnet": round(m["stats_ratio_effnet"], 4),
                       "per_image_inception": [round(v, 4) for v in m["per_image"]["stats_ratio"]],
                       "per_image_effnet": [round(v, 4) for v in m["per_image"]["stats_ratio_effnet"]],
                       "mean_abs_pixel_diff_vs_fp32": round(float((dreams[label] - dreams["fp32"]).abs().mean()), 4),
                       "seconds_per_image": seconds[label]}
    bf16, floor = rows["bf16"], rows["fp32 seed 1"]
    report = {
        "photos": names, "size": args.size, "recipe": recipe.to_dict(), "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
        "fp32_seconds_per_image": seconds["fp32"], "rows": rows,
        "bf16_over_jitter_floor": {"inception": round(bf16["stats_ratio_inception"] / floor["stats_ratio_inception"], 3),
                                   "effnet": round(bf16["stats_ratio_effnet"] / floor["stats_ratio_effnet"], 3)},
        "below_jitter_floor": bool(bf16["stats_ratio_inception"] < floor["stats_ratio_inception"]
                                   and bf16["stats_ratio_effnet"] < floor["stats_ratio_effnet"]),
    }
    if args.sheet:
        from PIL import Image

        small = lambda t: torch.nn.functional.interpolate(t[None], size=(args.tile, args.tile), mode="area")[0]  # noqa: E731
        grid = labelled_grid([[small(real_a[i]), *(small(dreams[k][i]) for k in dreams)] for i in range(len(real_a))],
                             ["photo", "fp32", "bf16 (auto here)", "fp32, seed 1"], row_labels=names)
        Image.fromarray(grid).save(args.sheet, quality=88)
        report["sheet"] = args.sheet
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
