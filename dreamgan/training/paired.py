"""A made dataset's pairs in memory, with paired augmentation (same crop and flip on a and b)."""
from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dreamgan.dataset import read_dataset_meta
from dreamgan.errors import DreamganError
from dreamgan.images import load_image


def dataset_hash(root: str | os.PathLike) -> str:
    """sha256 of a dataset's identity and finished pair ids (what a run was trained on)."""
    from dreamgan.dataset import read_manifest

    meta = read_dataset_meta(root)
    ids = sorted(read_manifest(Path(root)))
    return hashlib.sha256(json.dumps([meta.get("identity", meta["recipe"]), ids], sort_keys=True).encode()).hexdigest()


class PairedDreams:
    """All (natural, dream) pairs of one split, as uint8 tensors (N, 3, S, S).

    Args:
        root: dataset folder.
        split: train, val or test.
        min_pairs: fewest pairs accepted.

    Raises:
        DreamganError: malformed dataset, too few pairs, unreadable pair files.
    """

    def __init__(self, root: str | os.PathLike, split: str, min_pairs: int = 1):
        from dreamgan.dataset import pair_paths, read_manifest

        root = Path(root)
        self.meta = read_dataset_meta(root)
        rows = [r for r in read_manifest(root).values() if r["split"] == split]
        rows.sort(key=lambda r: r["id"])
        if len(rows) < min_pairs:
            raise DreamganError(f"{root} has {len(rows)} {split} pair(s); at least {min_pairs} needed")
        a, b = [], []
        side = self.meta.get("size")
        for r in rows:
            for path, images in zip(pair_paths(root, split, r["id"]), (a, b)):
                img = load_image(path)
                want = (side, side) if side else (a or b or [img])[0].shape[:2]
                if img.shape[:2] != tuple(want):
                    raise DreamganError(f"{path} is {img.shape[1]}×{img.shape[0]} px; every image of this dataset is "
                                        f"{want[1]}×{want[0]}: delete it and rerun make-dataset with the same options to dream "
                                        "that pair again")
                images.append(img)
        self.ids = [r["id"] for r in rows]
        self.real_a = torch.from_numpy(np.stack(a)).permute(0, 3, 1, 2).contiguous()  # (N, 3, S, S) uint8
        self.real_b = torch.from_numpy(np.stack(b)).permute(0, 3, 1, 2).contiguous()

    def __len__(self) -> int:
        return len(self.ids)

    def batch(self, batch_size: int, crop: int, gen: torch.Generator,
              scale: tuple[float, float] = (1.0, 1.0)) -> tuple[torch.Tensor, torch.Tensor]:
        """A random batch with paired augmentation: (real_a, real_b), float (B, 3, crop, crop) in [0, 1].

        `scale` (lo, hi) with hi > 1 takes multi-scale views: each pair's window side is
        crop·s, s drawn log-uniformly from [lo, hi] (capped at the pair's side), resized to
        crop × crop (antialiased), the same for photo and dream. (1, 1) = plain crops.
        """
        n, size = len(self), self.real_a.shape[-1]
        crop = min(crop, size)
        multi = scale[1] > 1.0 or scale[0] < 1.0
        idx = torch.randint(0, n, (batch_size,), generator=gen)
        if multi:
            lo, hi = (math.log(max(s, 1e-3)) for s in scale)
            windows = [min(size, max(8, round(crop * math.exp(lo + (hi - lo) * float(u)))))
                       for u in torch.rand(batch_size, generator=gen)]
        else:
            windows = [crop] * batch_size
        ys = [int(torch.randint(0, size - w + 1, (1,), generator=gen)) for w in windows] if multi else \
            torch.randint(0, size - crop + 1, (batch_size,), generator=gen).tolist()
        xs = [int(torch.randint(0, size - w + 1, (1,), generator=gen)) for w in windows] if multi else \
            torch.randint(0, size - crop + 1, (batch_size,), generator=gen).tolist()
        flips = torch.rand(batch_size, generator=gen) < 0.5
        a, b = [], []
        for i, y, x, w, f in zip(idx.tolist(), ys, xs, windows, flips.tolist()):
            pair = torch.stack([self.real_a[i, :, y:y + w, x:x + w], self.real_b[i, :, y:y + w, x:x + w]]).float() / 255
            if w != crop:
                pair = F.interpolate(pair, size=(crop, crop), mode="bilinear", align_corners=False, antialias=w > crop)
            if f:
                pair = pair.flip(-1)
            a.append(pair[0])
            b.append(pair[1])
        return torch.stack(a), torch.stack(b)

    def all_x01(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.real_a.float() / 255, self.real_b.float() / 255
