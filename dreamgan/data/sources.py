"""The photos a dataset is made from: finding them, reading them once, and telling scenes apart.

A source is an image file (any folder, recursively) or `skimage:NAME`, one of the embedded
scikit-image photos. Each readable photo is read once, deduplicated by the sha256 of its file
(or pixels), and given a signature (a 16×16 grey thumbnail) that groups near-duplicates (bursts,
stereo pairs, edits) into one scene, so that `dataset.py` can split by scene.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dreamgan.errors import DreamganError, ImageError
from dreamgan.fileio import sha256_file  # noqa: F401  (re-exported)
from dreamgan.images import IMAGE_SUFFIXES, load_image

EMBEDDED_SOURCE = "embedded"
"""`source` value for the bundled scikit-image photos."""


@dataclass(frozen=True)
class Photo:
    """A readable, deduplicated source photo."""

    source: str  # file path, or 'skimage:NAME' for an embedded photo
    sha256: str
    height: int
    width: int
    signature: tuple[float, ...] = ()
    """`photo_signature` of its pixels; () when unknown (then it is never a near-duplicate)."""



def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def find_sources(source: str | os.PathLike | None) -> list[str]:
    """Source identifiers: image files under `source` (recursive), or the embedded photos.

    Raises:
        DreamganError: `source` missing, not a folder, or holding no image files.
    """
    if source is None or str(source) == EMBEDDED_SOURCE:
        from dreamgan.data.photos import EMBEDDED_PHOTOS

        return [f"skimage:{name}" for name in EMBEDDED_PHOTOS]
    root = Path(source)
    if not root.exists():
        raise DreamganError(f"source folder {root} does not exist")
    if not root.is_dir():
        raise DreamganError(f"source {root} is not a folder")
    files = sorted(str(p) for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DreamganError(f"source folder {root} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return files


def read_source(source: str) -> tuple[np.ndarray, str]:
    """(RGB uint8 pixels, sha256) of a source identifier. Raises ImageError if unreadable."""
    if source.startswith("skimage:"):
        from dreamgan.data.photos import embedded_photo

        try:
            img = embedded_photo(source.split(":", 1)[1])
        except DreamganError as e:
            raise ImageError(str(e)) from None
        return img, _sha256_bytes(img.tobytes())
    img = load_image(source)
    return img, sha256_file(source)


NEAR_DUPLICATE = 0.8
"""Signature similarity from which two photos count as one scene (a stereo pair is 0.86, the
embedded photos are otherwise ≤ 0.31 apart)."""


def photo_signature(img: np.ndarray) -> tuple[float, ...]:
    """A 16×16 grey thumbnail of (H, W, 3) uint8 pixels, zero-mean and unit-norm: 256 floats.

    The dot product of two signatures is near 1 for near-duplicates (bursts, stereo pairs,
    re-encodes, resizes, exposure changes) and low for different scenes.
    """
    from PIL import Image

    v = np.asarray(Image.fromarray(img).convert("L").resize((16, 16), Image.Resampling.BOX), np.float64).ravel()
    v = v - v.mean()
    norm = float(np.linalg.norm(v))
    return tuple((v / norm).tolist()) if norm > 1e-9 else ()


def near_duplicate_groups(photos: list[Photo], threshold: float = NEAR_DUPLICATE) -> list[list[Photo]]:
    """Photos grouped into scenes: two photos whose signatures' dot product is ≥ `threshold` are
    one scene, and so, transitively, are their groups. Each photo is in exactly one group."""
    parent = list(range(len(photos)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    known = [i for i, p in enumerate(photos) if p.signature]
    if len(known) > 1:
        sig = np.array([photos[i].signature for i in known], np.float32)
        for start in range(0, len(known), 1024):  # blocks keep memory small for large folders
            sim = sig[start:start + 1024] @ sig.T
            for a, b in zip(*np.nonzero(sim >= threshold)):
                i, j = known[start + a], known[b]
                if i < j:
                    parent[root(j)] = root(i)
    groups: dict[int, list[Photo]] = {}
    for i, p in enumerate(photos):
        groups.setdefault(root(i), []).append(p)
    return list(groups.values())


def scan_photos(sources: list[str]) -> tuple[list[Photo], list[dict], int]:
    """Read every source once: (unique readable photos, skipped with reasons, duplicate count)."""
    photos: dict[str, Photo] = {}
    skipped, duplicates = [], 0
    for source in sources:
        try:
            img, sha = read_source(source)
        except ImageError as e:
            skipped.append({"source": source, "reason": str(e)})
            continue
        if sha in photos:
            duplicates += 1
            continue
        photos[sha] = Photo(source, sha, img.shape[0], img.shape[1], photo_signature(img))
    return list(photos.values()), skipped, duplicates


__all__ = ["EMBEDDED_SOURCE", "NEAR_DUPLICATE", "Photo", "find_sources", "near_duplicate_groups", "photo_signature",
           "read_source", "scan_photos", "sha256_file"]
