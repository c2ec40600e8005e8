"""README's gallery: photo | classical dream (the default recipe) | fast dream (the bundled
generator), on embedded photos the bundled generator never trained on (its test split).

    python docs/gallery_figure.py -o docs/gallery.jpg

Prints each column's seconds per image as JSON.
"""
from __future__ import annotations

import argparse
import json
import time

import torch
from PIL import Image


def main() -> None:
    from dreamgan.data.photos import embedded_photo
    from dreamgan.dream import DreamConfig, dream
    from dreamgan.fast import fast_dream, load_generator
    from dreamgan.images import labelled_grid, resize_uint8, uint8_to_x01

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", default="rocket,motorcycle_left")
    ap.add_argument("--side", type=int, default=299)
    ap.add_argument("-o", "--out", default="docs/gallery.jpg")
    args = ap.parse_args()
    g = load_generator(None)[0]
    rows, seconds = [], {"classical": [], "fast": []}
    for name in args.photos.split(","):
        img = embedded_photo(name)
        h, w = img.shape[:2]
        side = min(h, w)  # the centre square, as the datasets' centre views
        img = img[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
        photo = uint8_to_x01(resize_uint8(img, (args.side, args.side)))
        t = time.perf_counter()
        classical = dream(photo, DreamConfig())
        seconds["classical"].append(time.perf_counter() - t)
        t = time.perf_counter()
        fast = fast_dream(g, photo, seed=0)
        seconds["fast"].append(time.perf_counter() - t)
        rows.append([photo, classical, fast])
    grid = labelled_grid(rows, ["photo (unseen)", "classical dream", "fast dream (bundled generator)"])
    Image.fromarray(grid).save(args.out, quality=90)
    print(json.dumps({k: round(sum(v) / len(v), 3) for k, v in seconds.items()} | {"out": args.out, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
