"""The noise → dream figures: KID against training minutes for several runs, and a sheet of
samples with a tileable texture (2×2 copies, so a seam would show).

    python docs/dcgan_figure.py "recipe (nearest doublings)=runs/REF/00001-dcgan-debian" \
        "bilinear doublings + noise inputs=runs/BF/00001-dcgan-debian" \
        --samples runs/REF/00001-dcgan-debian \
        --compare "bilinear + noise inputs=runs/BF/00001-dcgan-debian/best.pt" \
        --compare "bilinear + noise inputs=runs/BF/00001-dcgan-debian/latest.pt" \
        --compare "bilinear alone=runs/R2_BILINEAR/00001-dcgan-debian/latest.pt" \
        --compare "noise inputs alone=runs/R1_FINE/00001-dcgan-debian/latest.pt" \
        -o docs/dcgan --measured "idle 2-core Intel Xeon, AVX-512, 2026-12-04"

(the runs of docs/results.md, "The lattice in the generator")
writes docs/dcgan_kid_curve.png, docs/dcgan_samples.png (true-dream crops of the test
photos above samples from noise, and with each --compare one row of another run's samples from
the same seed below: the same noise for a generator whose noise map has the same shape) and
docs/dcgan_texture.png; prints the
curves as JSON. Each run's val KID is divided by the photos' KID on the same val crops (cut as
that run trained), so runs on differently cut crops share one axis: 1 = as far from the true
dreams as the photos themselves, the issue's target is 0.5, and the floor (other true dreams)
is near 0.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch


def main() -> None:
    from dreamgan.data.pairs import open_dataset
    from dreamgan.fast import load_generator
    from dreamgan.fileio import read_jsonl
    from dreamgan.images import labelled_grid, save_png
    from dreamgan.metrics import fid_kid_x01
    from dreamgan.models.config import saved_config
    from dreamgan.models.dcgan import noise_dreams
    from dreamgan.training.evals import dream_crops
    from dreamgan.training.plots import line_chart

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="LABEL=RUN_DIR")
    ap.add_argument("--samples", required=True, help="the run whose samples and texture are drawn")
    ap.add_argument("--compare", action="append", default=[],
                    help="LABEL=RUN (repeatable): one more row each, that run's samples from the same seed")
    ap.add_argument("-o", "--out", default="docs/dcgan")
    ap.add_argument("--measured", default="2-core CPU", help="where and when the runs were timed, for the minutes axis")
    args = ap.parse_args()
    runs = dict(item.split("=", 1) for item in args.runs)
    photos_kid, floors, curves = {}, {}, {}
    for label, run in runs.items():
        cfg = saved_config(json.loads((Path(run) / "config.json").read_text()))
        key = (cfg.data, cfg.image_size, cfg.crop_scale, cfg.eval_crops)
        if key not in photos_kid:  # the photos' KID on the crops this run is scored on
            data = open_dataset(cfg.data)
            photos, dreams = dream_crops(data.split("val"), cfg)
            photos_kid[key] = fid_kid_x01(photos, dreams)["kid_mean"]
            floors[key] = fid_kid_x01(dream_crops(data.split("train"), cfg, seed=1)[1], dreams)["kid_mean"] / photos_kid[key]
        curves[label] = [(r["seconds"] / 60, r["kid_mean"] / photos_kid[key]) for r in read_jsonl(Path(run) / "metrics.jsonl")
                         if r.get("eval") == "val" and "kid_mean" in r]
    levels = {"the photos themselves": 1.0, "target: half the photos'": 0.5,
              "floor: other true dreams": max(floors.values())}
    crops = " or ".join(str(n) for n in sorted({key[-1] for key in photos_kid}))
    line_chart(f"{args.out}_kid_curve.png", curves, title=f"noise → dream: KID against held-out true-dream crops (val, N = {crops})",
               xlabel=f"training minutes ({args.measured})", ylabel="KID (Inception) ÷ the photos' KID\n(lower is better)", hlines=levels)
    g, cfg, ckpt = load_generator(args.samples)
    samples = noise_dreams(g, 16, seed=0)
    true = dream_crops(open_dataset(cfg.data).split("test"), cfg, n=16)[1]  # crops of dreams of photos no run saw
    texture = noise_dreams(g, 1, height=128, width=128, seed=1)[0]
    tiled = texture.repeat(1, 2, 2)  # 2×2 copies of one tileable texture: a seam would show as a cross
    big = lambda x: torch.nn.functional.interpolate(x, scale_factor=2, mode="nearest")  # noqa: E731  (64 px tiles, shown at 2×)
    rows = [big(true[:8]), big(true[8:]), big(samples[:8]), big(samples[8:])]
    names = ["true", "true", "noise", "noise"]
    title = f"true-dream crops of test photos (rows 1-2) | samples from noise (rows 3-4), step {ckpt.get('step')}"
    for label, run in (item.split("=", 1) for item in args.compare):
        other, _, other_ckpt = load_generator(run)
        rows.append(big(noise_dreams(other, 8, seed=0)))  # the same noise where the noise map has the same shape
        names.append(f"{label}, step {other_ckpt.get('step')}")
    if args.compare:
        title += f" | other runs, same seed (rows 5-{4 + len(args.compare)})"
    save_png(f"{args.out}_samples.png", labelled_grid(rows, [f"{title}; 64 px shown at 2x"], row_labels=names))
    save_png(f"{args.out}_texture.png", labelled_grid([[tiled]], ["one 128 px texture, 2x2 copies"]))
    print(json.dumps({"curves": curves, "levels": levels, "photos_kid": {str(k): v for k, v in photos_kid.items()},
                      "step": ckpt.get("step"), "threads": torch.get_num_threads()}, indent=1))


if __name__ == "__main__":
    main()
