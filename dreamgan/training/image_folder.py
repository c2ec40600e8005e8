"""An ImageFolder for `train-classifier`: one sub-folder per class, read, split and augmented.

  * `scan_image_folder`: the classes (sorted sub-folder names) and every readable image,
    decoded once; corrupt files are skipped and listed;
  * `stratified_split`: a deterministic val fraction per class, the same wherever the folder is;
  * `FolderDataset`: (3, S, S) float tensors in [0, 1] with train or eval transforms.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from dreamgan.errors import DreamganError, ImageError
from dreamgan.images import IMAGE_SUFFIXES, load_image, resize_uint8


@dataclass
class FolderScan:
    classes: list[str]
    items: list[tuple[str, int]]
    skipped: list[dict] = field(default_factory=list)


def scan_image_folder(root: str | os.PathLike, min_per_class: int = 5) -> FolderScan:
    """Classes (sorted sub-folder names) and readable images of an ImageFolder.

    Every file is decoded once: corrupt ones are skipped and listed.

    Raises:
        DreamganError: missing folder, fewer than two classes, or a class with too few images.
    """
    root = Path(root)
    if not root.is_dir():
        raise DreamganError(f"data folder {root} does not exist")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise DreamganError(f"{root} needs one sub-folder per class and at least two classes; found {len(classes)}: {classes}")
    items, skipped, counts = [], [], {}
    for idx, name in enumerate(classes):
        files = sorted(p for p in (root / name).rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        ok = 0
        for p in files:
            try:
                load_image(p)
            except ImageError as e:
                skipped.append({"path": str(p), "reason": str(e)})
                continue
            items.append((str(p), idx))
            ok += 1
        counts[name] = ok
    few = {k: v for k, v in counts.items() if v < min_per_class}
    if few:
        raise DreamganError(
            f"every class needs at least {min_per_class} readable images; too few in: "
            + ", ".join(f"{k} ({v})" for k, v in few.items()))
    return FolderScan(classes, items, skipped)


def stratified_split(items: list[tuple[str, int]], val: float, seed: int,
                     root: str | os.PathLike | None = None) -> tuple[list, list]:
    """(train, val): per class, a deterministic `val` fraction (≥ 1 image) goes to val.

    The order is a hash of the seed and each path relative to `root` (the data folder), so the
    split is the same wherever the folder lies: moved, copied or in another temp dir.
    """
    def key(path: str) -> str:
        rel = Path(path).relative_to(root).as_posix() if root is not None else path
        return hashlib.sha256(f"{seed}:{rel}".encode()).hexdigest()

    by_class: dict[int, list] = {}
    for path, label in items:
        by_class.setdefault(label, []).append((path, label))
    train, held = [], []
    for _, group in sorted(by_class.items()):
        group.sort(key=lambda it: key(it[0]))
        n_val = min(len(group) - 1, max(1, round(val * len(group))))
        held += group[:n_val]
        train += group[n_val:]
    return train, held


class FolderDataset(torch.utils.data.Dataset):
    """(path, label) items as (3, S, S) float tensors in [0, 1] and labels.

    Train: random resized crop (50–100 % area), horizontal flip, optional colour jitter.
    Eval: resize the short side to S · 8/7, then centre crop S.
    """

    def __init__(self, items, image_size: int, *, train: bool, color_jitter: bool = False, cache: dict | None = None):
        from torchvision.transforms import v2

        self.items, self.size, self.cache = items, image_size, cache
        if train:
            ops = [v2.RandomResizedCrop(image_size, scale=(0.5, 1.0), antialias=True), v2.RandomHorizontalFlip()]
            if color_jitter:
                ops.append(v2.ColorJitter(0.4, 0.4, 0.4, 0.05))
        else:
            ops = [v2.Resize(round(image_size * 8 / 7), antialias=True), v2.CenterCrop(image_size)]
        self.transform = v2.Compose(ops + [v2.ToDtype(torch.float32, scale=True)])

    def __len__(self):
        return len(self.items)

    def pixels(self, path: str) -> np.ndarray:
        if self.cache is not None and path in self.cache:
            return self.cache[path]
        img = load_image(path)
        short = round(self.size * 8 / 7)
        h, w = img.shape[:2]
        if min(h, w) > 2 * short:  # decode once at a working size; keeps augmentation cheap
            f = 2 * short / min(h, w)
            img = resize_uint8(img, (max(1, round(w * f)), max(1, round(h * f))))
        if self.cache is not None:
            self.cache[path] = img
        return img

    def __getitem__(self, i):
        path, label = self.items[i]
        x = torch.from_numpy(np.array(self.pixels(path), copy=True)).permute(2, 0, 1)
        return self.transform(x), label


__all__ = ["FolderDataset", "FolderScan", "scan_image_folder", "stratified_split"]
