"""A quality sheet on photos the generator never trained on: photo | true dream | fast dream
(seed 0) | fast dream (seed 1), one row per photo (its centre view), for README and the model card.

    python docs/sheet_figure.py --data data/release --splits test,val -o docs/release_sheet.jpg [--checkpoint RUN]

Without --checkpoint it uses the bundled generator. Prints the rows and their seconds as JSON.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw


def main() -> None:
    from dreamgan.images import x01_to_uint8
    from dreamgan.pairs import PairedDreams, read_manifest
    from dreamgan.sample import fast_dream, load_generator

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/release")
    ap.add_argument("--splits", default="test,val")
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("-o", "--out", default="docs/release_sheet.jpg")
    args = ap.parse_args()
    g, _, ckpt = load_generator(args.checkpoint)
    manifest = read_manifest(Path(args.data))
    rows, info = [], []
    for split in args.splits.split(","):
        pairs = PairedDreams(args.data, split)
        real_a, real_b = pairs.all_x01()
        for i, item in enumerate(pairs.ids):
            if not item.endswith("-000"):  # the centre view of each photo
                continue
            t = time.perf_counter()
            fakes = [fast_dream(g, real_a[i:i + 1], seed=s) for s in (0, 1)]
            seconds = (time.perf_counter() - t) / 2
            source = str(manifest[item].get("source", item)).split("/")[-1]
            info.append({"split": split, "photo": source, "seconds": round(seconds, 3)})
            rows.append(np.concatenate([x01_to_uint8(t) for t in (real_a[i:i + 1], real_b[i:i + 1], *fakes)], 1))
    sheet = Image.fromarray(np.concatenate(rows, 0))
    head = Image.new("RGB", (sheet.width, 18), "white")
    d = ImageDraw.Draw(head)
    side = rows[0].shape[0]
    for j, label in enumerate(("photo (unseen)", "true dream", "fast dream, seed 0", "fast dream, seed 1")):
        d.text((j * side + 4, 3), label, fill="black")
    out = Image.new("RGB", (sheet.width, sheet.height + 18), "white")
    out.paste(head, (0, 0))
    out.paste(sheet, (0, 18))
    out.save(args.out, quality=85)
    print(json.dumps({"out": args.out, "generator": ckpt["path"], "rows": info}, indent=1))


if __name__ == "__main__":
    torch.set_grad_enabled(False)
    main()
