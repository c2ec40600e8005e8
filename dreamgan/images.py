"""Image I/O, validation and value-range conversions: the one place that touches image files.

Value ranges live in names:
  * `uint8`: numpy (H, W, 3) uint8 in [0, 255], RGB.
  * `x01`:   torch (B, 3, H, W) float32 in [0, 1].
  * `x11`:   torch (B, 3, H, W) float32 in [-1, 1].

`load_image` turns whatever a user points us at (grayscale, RGBA, palette, CMYK, 16-bit,
EXIF-rotated) into RGB uint8, and refuses corrupt, truncated, tiny or gigantic files with a
one-line `ImageError` *before* decoding the pixels (a decompression-bomb guard).
"""
from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Mapping

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin

from dreamgan.errors import ImageError
from dreamgan.fileio import write_bytes_atomic

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
MIN_SIDE = 16
"""Smallest image side we dream (px). Smaller images carry no structure to dream on."""
MAX_PIXELS = 64_000_000
"""Largest image we decode (pixels): 8000×8000. A 20000×20000 file is refused unread."""


def _check_size(path: str, width: int, height: int, max_pixels: int) -> None:
    if min(width, height) < MIN_SIDE:
        raise ImageError(
            f"{path}: image is {width}x{height}; dreamgan needs at least {MIN_SIDE}x{MIN_SIDE} px"
        )
    if width * height > max_pixels:
        raise ImageError(
            f"{path}: image is {width}x{height} = {width * height / 1e6:.0f} megapixels, over the "
            f"limit of {max_pixels / 1e6:.0f} MP (decompression-bomb guard); downscale it first"
        )


def _to_rgb_uint8(img: Image.Image) -> np.ndarray:
    """Convert any PIL mode to (H, W, 3) uint8 RGB. Transparency is composited on white."""
    mode = img.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        # 16-bit / 32-bit grayscale: scale by the type's range, not by truncation.
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if (mode.startswith("I;16") or arr.max(initial=0) > 255) else 255.0
        if mode == "F" and arr.max(initial=0) <= 1.0:
            top = 1.0
        gray = np.clip(np.round(arr / top * 255.0), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        mode = img.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(background, rgba).convert("RGB"))
    if mode != "RGB":
        img = img.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV
    return np.asarray(img)


def _decode(source, label: str, max_pixels: int) -> np.ndarray:
    """The one decoder behind `load_image` and `decode_image_bytes` (same guards, same errors)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as img:
                _check_size(label, img.width, img.height, max_pixels)  # header only: no decode yet
                img.load()
                img = ImageOps.exif_transpose(img)
                return np.ascontiguousarray(_to_rgb_uint8(img))
    except ImageError:
        raise
    except Image.DecompressionBombError as e:
        raise ImageError(f"{label}: refused by the decompression-bomb guard ({e}); downscale it first") from None
    except Image.UnidentifiedImageError:
        raise ImageError(f"{label}: not an image file (or a format Pillow cannot read)") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"{label}: corrupt or truncated image ({e})") from None


def load_image(path: str | os.PathLike, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read an image file as RGB.

    EXIF orientation is applied, so a phone photo comes out upright.

    Args:
        path: an image file of any format Pillow reads.
        max_pixels: refuse images with more pixels than this, without decoding them.

    Returns:
        (H, W, 3) uint8 array in [0, 255].

    Raises:
        ImageError: missing, unreadable, corrupt, truncated, non-image, too small or too large.
    """
    path = str(path)
    if not os.path.exists(path):
        raise ImageError(f"{path}: no such file")
    if os.path.isdir(path):
        raise ImageError(f"{path}: is a directory, not an image")
    return _decode(path, path, max_pixels)


def decode_image_bytes(data: bytes, *, label: str = "upload", max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """`load_image` for an encoded image held in memory (e.g. an upload): same guards and errors.

    Returns:
        (H, W, 3) uint8 array in [0, 255].

    Raises:
        ImageError: empty, corrupt, truncated, non-image, too small or too large (`label` names it).
    """
    if not data:
        raise ImageError(f"{label}: empty file")
    return _decode(io.BytesIO(data), label, max_pixels)


def uint8_to_x01(uint8: np.ndarray):
    """(H, W, 3) uint8 → (1, 3, H, W) float32 tensor in [0, 1]."""
    import torch

    if uint8.ndim != 3 or uint8.shape[2] != 3 or uint8.dtype != np.uint8:
        raise ValueError(f"expected (H, W, 3) uint8, got {uint8.shape} {uint8.dtype}")
    return torch.from_numpy(np.array(uint8, copy=True)).permute(2, 0, 1)[None].float().div_(255.0)


def x01_to_uint8(x01) -> np.ndarray:
    """(1, 3, H, W) or (3, H, W) tensor in [0, 1] → (H, W, 3) uint8 (values are clamped)."""
    if x01.ndim == 4:
        if x01.shape[0] != 1:
            raise ValueError(f"expected one image, got a batch of {x01.shape[0]}")
        x01 = x01[0]
    arr = x01.detach().float().clamp(0, 1).mul(255.0).round().byte().permute(1, 2, 0).cpu().numpy()
    return np.ascontiguousarray(arr)


def x01_to_uint8_tensor(x01):
    """(B, 3, H, W) float in [0, 1] → (B, 3, H, W) uint8 tensor (values are clamped)."""
    return x01.detach().clamp(0, 1).mul(255.0).round().byte()


def image_grid(x01, nrow: int = 8, *, padding: int = 2, pad_value: float = 1.0) -> np.ndarray:
    """(N, 3, H, W) tensor in [0, 1] → one (H', W', 3) uint8 grid, `nrow` images a row, white
    gutters (torchvision's `make_grid`)."""
    from torchvision.utils import make_grid

    return x01_to_uint8(make_grid(x01.detach().float().cpu(), nrow=nrow, padding=padding, pad_value=pad_value))


def save_image_grid(path: str | os.PathLike, x01, nrow: int = 8, text: Mapping[str, str] | None = None) -> Path:
    """`image_grid` written as a PNG, atomically."""
    return save_png(path, image_grid(x01, nrow), text)


def labelled_grid(rows, columns: list[str] | None = None, *, row_labels: list[str] | None = None,
                  padding: int = 2) -> np.ndarray:
    """Image rows as one uint8 grid with a white header naming each column: `rows` is a list of
    rows, each a list of (3, H, W) tensors in [0, 1] of one size (or an (N, 3, H, W) batch per
    row); `columns` labels them (None: no header); `row_labels` writes a name on each row's first
    image (white on a black outline). The one helper every sheet and figure uses."""
    import torch
    from PIL import ImageDraw

    tiles = [t for row in rows for t in (row if isinstance(row, (list, tuple)) else list(row))]
    ncol = len(tiles) // len(rows)
    grid = image_grid(torch.stack([t.detach().float().cpu().reshape(t.shape[-3:]) for t in tiles]), ncol, padding=padding)
    if row_labels:
        named = Image.fromarray(grid)
        draw = ImageDraw.Draw(named)
        for i, label in enumerate(row_labels):
            draw.text((padding + 4, padding + i * (tiles[0].shape[-2] + padding) + 3), label, fill="white",
                      stroke_width=2, stroke_fill="black")
        grid = np.asarray(named)
    if not columns:
        return grid
    head = Image.new("RGB", (grid.shape[1], 16), "white")
    draw = ImageDraw.Draw(head)
    cell = (grid.shape[1] - padding) / ncol
    for i, label in enumerate(columns):
        draw.text((padding + i * cell + 2, 2), label, fill="black")
    return np.concatenate([np.asarray(head), grid], 0)


def to_minus_one_one(x01):
    """[0, 1] → [-1, 1]."""
    return x01 * 2.0 - 1.0


def to_unit(x11):
    """[-1, 1] → [0, 1]."""
    return (x11 + 1.0) * 0.5


def load_image_x01(path: str | os.PathLike, *, max_pixels: int = MAX_PIXELS):
    """`load_image` as a (1, 3, H, W) float32 tensor in [0, 1]."""
    return uint8_to_x01(load_image(path, max_pixels=max_pixels))


def resize_uint8(uint8: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize (H, W, 3) uint8 to `size` = (width, height) with a Lanczos filter."""
    return np.asarray(Image.fromarray(uint8).resize(size, Image.Resampling.LANCZOS))


def fit_longest_side(uint8: np.ndarray, side: int) -> np.ndarray:
    """Shrink (H, W, 3) uint8 so its longest side is at most `side` px (aspect kept; never enlarged)."""
    h, w = uint8.shape[:2]
    if max(h, w) <= side:
        return uint8
    scale = side / max(h, w)
    return resize_uint8(uint8, (max(1, round(w * scale)), max(1, round(h * scale))))


def overlay_uint8(original: np.ndarray, dream: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Blend `dream` over `original`: (1 - alpha) * original + alpha * dream.

    Args:
        original, dream: (H, W, 3) uint8; `original` is resized to `dream`'s size if needed.
        alpha: opacity of the dream in [0, 1].
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if original.shape != dream.shape:
        original = resize_uint8(original, (dream.shape[1], dream.shape[0]))
    out = (1.0 - alpha) * original.astype(np.float32) + alpha * dream.astype(np.float32)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def png_bytes(uint8: np.ndarray, text: Mapping[str, str] | None = None, *, compress_level: int = 6) -> bytes:
    """Encode (H, W, 3) uint8 as PNG bytes, with optional tEXt metadata. `compress_level` is
    zlib's 0–9: 1 is several times faster and a little larger (for working files)."""
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buf = io.BytesIO()
    Image.fromarray(uint8).save(buf, format="PNG", pnginfo=info, compress_level=compress_level)
    return buf.getvalue()


def save_png(path: str | os.PathLike, uint8: np.ndarray, text: Mapping[str, str] | None = None, *,
             compress_level: int = 6) -> Path:
    """Write (H, W, 3) uint8 to `path` as PNG, atomically, with `text` as PNG tEXt chunks."""
    path = Path(path)
    write_bytes_atomic(path, png_bytes(uint8, text, compress_level=compress_level))
    return path


def read_png_text(path: str | os.PathLike) -> dict[str, str]:
    """The PNG tEXt metadata of `path` (e.g. the `dreamgan.recipe` a dream was made with)."""
    with Image.open(path) as img:
        return dict(getattr(img, "text", {}) or {})


def list_images(paths: list[str | os.PathLike]) -> list[Path]:
    """Expand files and directories (recursively) into a sorted list of image paths.

    Files are kept whatever their suffix (so a bad file still gets a clear error later);
    directories contribute only files with an image suffix.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in IMAGE_SUFFIXES))
        else:
            out.append(p)
    return out
