"""Procedural image classes for classifier tests: stripes, dots and rings."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def shape_image(kind: str, rng: np.random.Generator, size: int = 48) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    fg, bg = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    if kind == "stripes":
        angle, period = rng.uniform(0, np.pi), rng.uniform(5, 10)
        mask = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period) > 0
    elif kind == "dots":
        mask = np.zeros((size, size), bool)
        for _ in range(rng.integers(4, 9)):
            cy, cx, r = rng.uniform(0, size), rng.uniform(0, size), rng.uniform(2, 5)
            mask |= (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
    else:  # rings
        cy, cx, period = rng.uniform(size * 0.3, size * 0.7), rng.uniform(size * 0.3, size * 0.7), rng.uniform(5, 9)
        mask = np.sin(np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2) * 2 * np.pi / period) > 0
    img = np.where(mask[..., None], fg, bg).astype(np.float32) + rng.normal(0, 8, (size, size, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def make_shapes_folder(root: Path, per_class: int = 20, seed: int = 0, size: int = 48, classes=("dots", "rings", "stripes")) -> Path:
    rng = np.random.default_rng(seed)
    for kind in classes:
        (root / kind).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(shape_image(kind, rng, size)).save(root / kind / f"{kind}{i:03d}.png")
    return root
