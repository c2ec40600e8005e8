"""A quality sheet on photos the generator never trained on: photo | true dream | fast dream
(seed 0) | fast dream (seed 1), one row per photo (its centre view), for README and the model card.

    python docs/sheet_figure.py --data data/release --splits test,val -o docs/release_sheet.jpg [--checkpoint RUN]
    python docs/sheet_figure.py --data data/default --splits test,val -o docs/levers2_sheet.jpg \
        --compare B=runs/B/00001-pix2pix-default,F=runs/F/00001-pix2pix-default

Without --checkpoint it uses the bundled generator. `--compare LABEL=RUN,...` puts one fast dream
(seed 0) of each run side by side instead. Prints the rows and their seconds as JSON.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from PIL import Image


def main() -> None:
    from dreamgan.data.pairs import PairedDreams, read_manifest
    from dreamgan.fast import fast_dream, load_generator
    from dreamgan.images import labelled_grid

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/release")
    ap.add_argument("--splits", default="test,val")
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--compare", default=None, help="LABEL=RUN,...: one seed-0 fast dream per run, side by side")
    ap.add_argument("-o", "--out", default="docs/release_sheet.jpg")
    args = ap.parse_args()
    if args.compare:
        runs = dict(item.split("=", 1) for item in args.compare.split(","))
        gens = {label: load_generator(run)[0] for label, run in runs.items()}
        columns = ["photo (unseen)", "true dream", *runs]
    else:
        g, _, ckpt = load_generator(args.checkpoint)
        gens = {"seed 0": g, "seed 1": g}
        columns = ["photo (unseen)", "true dream", "fast dream, seed 0", "fast dream, seed 1"]
    manifest = read_manifest(Path(args.data))
    rows, info = [], []
    for split in args.splits.split(","):
        pairs = PairedDreams(args.data, split)
        real_a, real_b = pairs.all_x01()
        for i, item in enumerate(pairs.ids):
            if not item.endswith("-000"):  # the centre view of each photo
                continue
            t = time.perf_counter()
            fakes = [fast_dream(gen, real_a[i:i + 1], seed=0 if args.compare else s) for s, gen in enumerate(gens.values())]
            seconds = (time.perf_counter() - t) / len(fakes)
            source = str(manifest[item].get("source", item)).split("/")[-1]
            info.append({"split": split, "photo": source, "seconds": round(seconds, 3)})
            rows.append([real_a[i], real_b[i], *fakes])
    Image.fromarray(labelled_grid(rows, columns)).save(args.out, quality=85)
    generators = args.compare if args.compare else ckpt["path"]
    print(json.dumps({"out": args.out, "generator": generators, "rows": info}, indent=1))


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    main()
