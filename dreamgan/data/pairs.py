"""Reading a dataset made by `make-dataset`: the one home for it.

`open_dataset(path)` reads `dataset.json`, the typed recipe, the finished pairs (the manifest)
and the content hash once; `PairedDreams` holds one split's pairs in memory with paired
augmentation (the same crop and flip on photo and dream). Layout::

    data/NAME/dataset.json      format, identity, recipe, size, seed, counts, complete
    data/NAME/manifest.jsonl    one row per finished pair (id, split, source, box, flip, …)
    data/NAME/{train,val,test}/{natural,dream}/<id>.png
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dreamgan.dream.config import DreamConfig
from dreamgan.errors import DreamganError
from dreamgan.fileio import read_jsonl
from dreamgan.images import load_image


def read_dataset_meta(root: str | os.PathLike) -> dict:
    """dataset.json of a dataset made by `dreamgan make-dataset`.

    Raises:
        DreamganError: missing or malformed dataset.
    """
    path = Path(root) / "dataset.json"
    if not path.is_file():
        raise DreamganError(f"{root} is not a dreamgan dataset (no dataset.json); make one with `dreamgan make-dataset`")
    try:
        meta = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise DreamganError(f"{path} is malformed ({e})") from None
    for key in ("recipe", "size"):
        if key not in meta:
            raise DreamganError(f"{path} is malformed: no {key!r}")
    return meta


def manifest_path(root: str | os.PathLike, shard: tuple[int, int] = (0, 1)) -> Path:
    """Where a worker appends its finished pairs: `manifest.jsonl`, or with `make-dataset
    --shard I/N` (N > 1) its own part `manifest-shard-I-of-N.jsonl`, so workers never write the
    same file."""
    index, count = shard
    return Path(root) / ("manifest.jsonl" if count == 1 else f"manifest-shard-{index}-of-{count}.jsonl")


def manifest_parts(root: str | os.PathLike) -> list[Path]:
    """The manifest files of a dataset: `manifest.jsonl` (if any) and every shard's part."""
    root = Path(root)
    return [p for p in [root / "manifest.jsonl", *sorted(root.glob("manifest-shard-*-of-*.jsonl"))] if p.is_file()]


def read_manifest(root: str | os.PathLike) -> dict[str, dict]:
    """Finished pairs by id, merged over the manifest and its shard parts (a torn last line
    from a kill is ignored)."""
    return {row["id"]: row for part in manifest_parts(root) for row in read_jsonl(part)}


def pair_paths(root: str | os.PathLike, split: str, item_id: str) -> tuple[Path, Path]:
    """(photo, dream) PNG paths of one pair."""
    root = Path(root)
    return root / split / "natural" / f"{item_id}.png", root / split / "dream" / f"{item_id}.png"


@dataclass(frozen=True)
class Dataset:
    """A made dataset, read once: what a training run, an evaluation or a report needs."""

    root: Path
    meta: dict = field(repr=False)
    recipe: DreamConfig
    rows: dict[str, dict] = field(repr=False)
    """Finished pairs by id (manifest rows)."""
    hash: str
    """sha256 of the dataset's identity and finished pair ids: what a run was trained on."""

    @property
    def name(self) -> str:
        return self.root.resolve().name

    @property
    def size(self) -> int:
        return int(self.meta["size"])

    def split(self, name: str, min_pairs: int = 1) -> "PairedDreams":
        """The pairs of split `name` in memory (see `PairedDreams`)."""
        return PairedDreams(self, name, min_pairs)


def open_dataset(root: str | os.PathLike) -> Dataset:
    """Read a dataset's meta, typed recipe, finished pairs and hash once.

    Raises:
        DreamganError: not a dreamgan dataset, malformed dataset.json, a bad recipe.
    """
    root = Path(root)
    meta = read_dataset_meta(root)
    rows = read_manifest(root)
    digest = hashlib.sha256(json.dumps([meta.get("identity", meta["recipe"]), sorted(rows)], sort_keys=True).encode()).hexdigest()
    return Dataset(root, meta, DreamConfig.from_dict(meta["recipe"]), rows, digest)


def dataset_hash(root: str | os.PathLike) -> str:
    """`open_dataset(root).hash`."""
    return open_dataset(root).hash


class PairedDreams:
    """All (natural, dream) pairs of one split, as uint8 tensors (N, 3, S, S).

    Args:
        data: an opened `Dataset`, or a dataset folder.
        split: train, val or test.
        min_pairs: fewest pairs accepted.

    Raises:
        DreamganError: malformed dataset, too few pairs, unreadable pair files.
    """

    def __init__(self, data: "Dataset | str | os.PathLike", split: str, min_pairs: int = 1):
        data = data if isinstance(data, Dataset) else open_dataset(data)
        root = data.root
        self.meta = data.meta
        rows = sorted((r for r in data.rows.values() if r["split"] == split), key=lambda r: r["id"])
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
