"""Image loading: every mode a user may have becomes RGB uint8; bad files get one clear error."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dreamgan.errors import ImageError
from dreamgan.images import (
    MIN_SIDE,
    list_images,
    load_image,
    overlay_uint8,
    read_png_text,
    save_png,
    to_minus_one_one,
    to_unit,
    uint8_to_x01,
    x01_to_uint8,
)


def _gradient_rgb(h=40, w=60):
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // (w - 1), y * 255 // (h - 1), np.full_like(x, 128)], 2).astype(np.uint8)


def test_rgb_roundtrip(tmp_path):
    rgb = _gradient_rgb()
    Image.fromarray(rgb).save(tmp_path / "a.png")
    out = load_image(tmp_path / "a.png")
    assert out.dtype == np.uint8 and out.shape == (40, 60, 3)
    assert np.array_equal(out, rgb)


def test_grayscale_becomes_three_equal_channels(tmp_path):
    gray = _gradient_rgb()[:, :, 0]
    Image.fromarray(gray, mode="L").save(tmp_path / "g.png")
    out = load_image(tmp_path / "g.png")
    assert out.shape == (40, 60, 3)
    assert np.array_equal(out[:, :, 0], gray) and np.array_equal(out[:, :, 1], gray)


def test_rgba_is_composited_on_white(tmp_path):
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[..., 0] = 255  # red
    rgba[:, :16, 3] = 255  # left half opaque, right half transparent
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    out = load_image(tmp_path / "a.png")
    assert tuple(out[5, 5]) == (255, 0, 0)
    assert tuple(out[5, 25]) == (255, 255, 255)


def test_palette_with_transparency(tmp_path):
    img = Image.fromarray(_gradient_rgb()).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    img.info["transparency"] = 0
    img.save(tmp_path / "p.png", transparency=0)
    out = load_image(tmp_path / "p.png")
    assert out.shape == (40, 60, 3) and out.dtype == np.uint8


def test_cmyk_jpeg(tmp_path):
    Image.fromarray(_gradient_rgb()).convert("CMYK").save(tmp_path / "c.jpg")
    out = load_image(tmp_path / "c.jpg")
    ref = _gradient_rgb().astype(int)
    assert out.shape == (40, 60, 3)
    assert np.abs(out.astype(int) - ref).mean() < 12, "CMYK must convert back to about the same colours"


def test_16bit_grayscale_scales_by_range_not_truncation(tmp_path):
    arr16 = (np.linspace(0, 65535, 48 * 48).reshape(48, 48)).astype(np.uint16)
    Image.fromarray(arr16).save(tmp_path / "g16.png")
    out = load_image(tmp_path / "g16.png")
    assert out[0, 0, 0] == 0 and out[-1, -1, 0] == 255
    assert abs(int(out[24, 0, 0]) - 128) <= 2


def test_exif_rotation_is_applied(tmp_path):
    rgb = _gradient_rgb(40, 60)
    img = Image.fromarray(rgb)
    exif = img.getexif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    img.save(tmp_path / "r.jpg", exif=exif.tobytes(), quality=95)
    out = load_image(tmp_path / "r.jpg")
    assert out.shape == (60, 40, 3), "a portrait photo stored sideways must come out upright"


@pytest.mark.parametrize("content,needle", [
    (b"this is not an image", "not an image"),
    (b"", "not an image"),
])
def test_non_image_files(tmp_path, content, needle):
    p = tmp_path / "x.jpg"
    p.write_bytes(content)
    with pytest.raises(ImageError, match=needle) as e:
        load_image(p)
    assert str(p) in str(e.value) and "\n" not in str(e.value)


def test_truncated_file(tmp_path):
    p = tmp_path / "t.png"
    Image.fromarray(np.random.randint(0, 255, (200, 200, 3), np.uint8)).save(p)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="corrupt or truncated"):
        load_image(p)


def test_missing_and_directory(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="directory"):
        load_image(tmp_path)


def test_tiny_image_is_refused(tmp_path):
    Image.new("RGB", (1, 1)).save(tmp_path / "one.png")
    with pytest.raises(ImageError, match=f"at least {MIN_SIDE}x{MIN_SIDE}"):
        load_image(tmp_path / "one.png")


def test_gigantic_image_is_refused_without_decoding(tmp_path):
    # A 20000×20000 1-bit PNG is tiny on disk but 1.2 GB as RGB: refused from its header.
    p = tmp_path / "huge.png"
    Image.new("1", (20000, 20000)).save(p)
    with pytest.raises(ImageError, match="decompression-bomb guard"):
        load_image(p)


def test_value_range_conversions(photo_uint8):
    x01 = uint8_to_x01(photo_uint8)
    assert x01.shape == (1, 3, 64, 64) and float(x01.min()) >= 0 and float(x01.max()) <= 1
    assert np.array_equal(x01_to_uint8(x01), photo_uint8)
    assert float((to_unit(to_minus_one_one(x01)) - x01).abs().max()) < 1e-6


def test_png_metadata_and_overlay(tmp_path, photo_uint8):
    dream = 255 - photo_uint8
    p = save_png(tmp_path / "d.png", dream, {"dreamgan.recipe": '{"steps": 3}'})
    assert read_png_text(p)["dreamgan.recipe"] == '{"steps": 3}'
    assert np.array_equal(overlay_uint8(photo_uint8, dream, 0.0), photo_uint8)
    assert np.array_equal(overlay_uint8(photo_uint8, dream, 1.0), dream)
    half = overlay_uint8(photo_uint8, dream, 0.5).astype(int)
    assert np.abs(half - 127.5).max() <= 1


def test_list_images_recurses_folders(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("a.png", "sub/b.JPG", "sub/notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    found = [p.relative_to(tmp_path).as_posix() for p in list_images([tmp_path])]
    assert found == ["a.png", "sub/b.JPG"]
