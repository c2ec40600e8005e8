"""The embedded natural photos: scikit-image's bundled colour photos, no download needed."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from dreamgan.errors import DreamganError
from dreamgan.fileio import ensure_writable_dir
from dreamgan.images import save_png

EMBEDDED_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left", "motorcycle_right", "hubble_deep_field")
_STEREO = {"motorcycle_left": 0, "motorcycle_right": 1}  # the two views of skimage.data.stereo_motorcycle()


def embedded_photo(name: str) -> np.ndarray:
    """A bundled photo as (H, W, 3) uint8 RGB.

    Raises:
        DreamganError: unknown name (lists the valid ones) or scikit-image's data missing.
    """
    if name not in EMBEDDED_PHOTOS:
        raise DreamganError(f"unknown embedded photo {name!r}; valid: {', '.join(EMBEDDED_PHOTOS)}")
    import skimage.data

    try:
        img = skimage.data.stereo_motorcycle()[_STEREO[name]] if name in _STEREO else getattr(skimage.data, name)()
    except Exception as e:  # pooch-fetched extras are not bundled in every scikit-image build
        raise DreamganError(f"sample photo {name} is not bundled with this scikit-image ({e}); pick another") from None
    return np.ascontiguousarray(img[..., :3].astype(np.uint8))


def write_embedded_photos(out_dir: str | os.PathLike, names: tuple[str, ...] = EMBEDDED_PHOTOS) -> list[Path]:
    """Write the bundled photos to `out_dir/<name>.png` (atomic); returns the paths written."""
    out = ensure_writable_dir(out_dir)
    return [save_png(out / f"{name}.png", embedded_photo(name)) for name in names]
