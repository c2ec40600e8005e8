"""Small dependency-free PNG plots (PIL): training curves and confusion matrices."""
from __future__ import annotations

import os
from typing import Mapping, Sequence

import numpy as np
from PIL import Image, ImageDraw

from dreamgan.images import save_png

PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75)]


def line_chart_image(series: Mapping[str, Sequence[tuple[float, float]]], *, title: str = "", xlabel: str = "",
                     hlines: Mapping[str, float] | None = None, size: tuple[int, int] = (640, 400)) -> np.ndarray:
    """Named (x, y) series as lines with a legend, plus labelled dashed reference levels
    (`hlines`, e.g. a target); the y range always shows them. Returns (H, W, 3) uint8."""
    w, h = size
    hlines = dict(hlines or {})
    left, right, bottom = 60, 20, 40
    top = max(30, 12 + 14 * len(series))  # the legend sits above the plot, beside the title
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    points = [p for s in series.values() for p in s if np.isfinite(p[1])]
    d.text((left, 8), title, fill="black")
    if points:
        xs, ys = [p[0] for p in points], [p[1] for p in points] + [v for v in hlines.values() if np.isfinite(v)]
        x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
        y0, y1 = min(ys), max(ys) if max(ys) > min(ys) else min(ys) + 1
        pad = 0.04 * (y1 - y0)
        y0, y1 = y0 - pad, y1 + pad
        sx = lambda x: left + (x - x0) / (x1 - x0) * (w - left - right)  # noqa: E731
        sy = lambda y: h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom)  # noqa: E731
        d.rectangle([left, top, w - right, h - bottom], outline="gray")
        for frac in (0, 0.5, 1):
            y = y0 + frac * (y1 - y0)
            d.text((4, sy(y) - 6), f"{y:.3g}", fill="black")
        d.text((left, h - bottom + 6), f"{x0:g}", fill="black")
        d.text((w - right - 40, h - bottom + 6), f"{x1:g}", fill="black")
        d.text(((w - len(xlabel) * 6) // 2, h - 16), xlabel, fill="black")
        for name, level in hlines.items():
            if not np.isfinite(level):
                continue
            y = sy(level)
            for x in range(left, w - right, 12):
                d.line([(x, y), (min(x + 6, w - right), y)], fill=(110, 110, 110), width=1)
            d.text((left + 4, y - 13), f"{name} ({level:.3g})", fill=(90, 90, 90))
        for i, (name, s) in enumerate(series.items()):
            color = PALETTE[i % len(PALETTE)]
            pts = [(sx(x), sy(y)) for x, y in s if np.isfinite(y)]
            if len(pts) > 1:
                d.line(pts, fill=color, width=2)
            for p in pts:
                d.ellipse([p[0] - 2, p[1] - 2, p[0] + 2, p[1] + 2], fill=color)
            d.text((w - right - 230, 6 + 14 * i), f"-- {name}", fill=color)  # ASCII: PIL's default font
    return np.asarray(img)


def line_chart(path: str | os.PathLike, series: Mapping[str, Sequence[tuple[float, float]]], *, title: str = "",
               xlabel: str = "", hlines: Mapping[str, float] | None = None, size: tuple[int, int] = (640, 400)) -> None:
    """`line_chart_image` written as a PNG, atomically."""
    save_png(path, line_chart_image(series, title=title, xlabel=xlabel, hlines=hlines, size=size))


def confusion_matrix_png(path: str | os.PathLike, matrix: np.ndarray, names: Sequence[str], *, cell: int = 40) -> None:
    """Rows: true class, columns: predicted. Cells are shaded by row-normalised count."""
    n = len(names)
    label_w = min(160, 8 + 7 * max(len(s) for s in names))
    w, h = label_w + n * cell + 10, label_w + n * cell + 10
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    rows = matrix.sum(1, keepdims=True).clip(min=1)
    for i in range(n):
        d.text((4, label_w + i * cell + cell // 2 - 6), names[i][:22], fill="black")
        d.text((label_w + i * cell + 4, label_w - 16 - (i % 2) * 12), names[i][:6], fill="black")
        for j in range(n):
            v = matrix[i, j] / rows[i, 0]
            shade = int(255 * (1 - v))
            color = (shade, shade, 255) if i == j else (255, shade, shade)
            x, y = label_w + j * cell, label_w + i * cell
            d.rectangle([x, y, x + cell - 1, y + cell - 1], fill=color, outline="gray")
            d.text((x + 4, y + cell // 2 - 6), str(int(matrix[i, j])), fill="white" if shade < 110 else "black")
    d.text((4, 4), "rows: true class, columns: predicted", fill="black")
    save_png(path, np.asarray(img))
