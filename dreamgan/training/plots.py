"""Figures with matplotlib (headless Agg): training curves, the speed/quality frontier and
confusion matrices, written as PNGs atomically.

Every chart has named axes with units, real tick labels (a log axis where asked) and a legend
placed where it covers the fewest points.
"""
from __future__ import annotations

import io
import os
from typing import Mapping, Sequence

import numpy as np

from dreamgan.fileio import write_bytes_atomic


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)  # no display: figures only ever go to files
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    _pyplot().close(fig)
    return buf.getvalue()


def _decorate(ax, *, title: str, xlabel: str, ylabel: str, hlines: Mapping[str, float] | None, logx: bool,
              logy: bool = False) -> None:
    """What every chart's axes get: labelled dashed reference levels (always inside the y range),
    log scales (x ticks as plain numbers: 0.2, 0.5, 2, not 2×10⁻¹), the titles, a light grid."""
    for name, level in (hlines or {}).items():
        if np.isfinite(level):
            ax.axhline(level, linestyle="--", linewidth=1, color="0.45", label=f"{name} ({level:.3g})")
    if logx:
        from matplotlib.ticker import FuncFormatter

        ax.set_xscale("log")
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        ax.xaxis.set_major_formatter(plain)
        ax.xaxis.set_minor_formatter(plain)
        ax.tick_params(axis="x", which="minor", labelsize=7)
    if logy:
        ax.set_yscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(True, which="both" if logx else "major", alpha=0.3)


def _lines(ax, series: Mapping[str, Sequence[tuple[float, float]]], *, title: str = "", xlabel: str = "", ylabel: str = "",
           hlines: Mapping[str, float] | None = None, logx: bool = False, logy: bool = False, markers: bool = True) -> None:
    """Named (x, y) series as lines on `ax` (non-finite y skipped), decorated, with a legend."""
    for name, points in series.items():
        pts = [(x, y) for x, y in points if np.isfinite(y)]
        if pts:
            xs, ys = zip(*pts)
            ax.plot(xs, ys, marker="o" if markers else None, markersize=3, linewidth=1.5, label=name)
    _decorate(ax, title=title, xlabel=xlabel, ylabel=ylabel, hlines=hlines, logx=logx, logy=logy)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=8, framealpha=0.85)


def line_chart_png(series: Mapping[str, Sequence[tuple[float, float]]], *, size: tuple[float, float] = (6.4, 4.0),
                   **kw) -> bytes:
    """Named (x, y) series as lines (non-finite y skipped), plus labelled dashed reference
    levels (`hlines`, e.g. a target, always inside the y range); PNG bytes. `kw`: title,
    xlabel, ylabel, hlines, logx, logy, markers."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=size)
    _lines(ax, series, **kw)
    return _png(fig)


def line_panels(path: str | os.PathLike, panels: Sequence[Mapping], *, size: tuple[float, float] = (5.0, 3.6)) -> None:
    """Line charts side by side in one figure, each panel the keyword arguments of
    `line_chart_png` (series, title, xlabel, ylabel, hlines, ...), `size` per panel; written to
    `path` as a PNG, atomically."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(size[0] * len(panels), size[1]), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        _lines(ax, **panel)
    fig.tight_layout()
    write_bytes_atomic(path, _png(fig))


def line_chart(path: str | os.PathLike, series: Mapping[str, Sequence[tuple[float, float]]], **kw) -> None:
    """`line_chart_png` written to `path`, atomically."""
    write_bytes_atomic(path, line_chart_png(series, **kw))


def scatter_chart(path: str | os.PathLike, groups: Mapping[str, Sequence[tuple[float, float, str]]], *, title: str = "",
                  xlabel: str = "", ylabel: str = "", hlines: Mapping[str, float] | None = None, logx: bool = False,
                  size: tuple[float, float] = (7.6, 4.6)) -> None:
    """Groups of labelled points (x, y, label), each group a line through its points sorted by x;
    every point's label is written beside it, the legend goes outside the axes (it never covers
    a point). Written to `path` as a PNG, atomically."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=size)
    for name, points in groups.items():
        pts = sorted(points)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", markersize=4, linewidth=1.2, label=name)
        for x, y, label in pts:
            if label:
                ax.annotate(label, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    _decorate(ax, title=title, xlabel=xlabel, ylabel=ylabel, hlines=hlines, logx=logx)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    write_bytes_atomic(path, _png(fig))


def bar_chart(path: str | os.PathLike, groups: Mapping[str, Mapping[str, float]], *, title: str = "", ylabel: str = "",
              size: tuple[float, float] = (6.4, 3.6)) -> None:
    """Grouped bars: {group: {bar: value}} (e.g. {mode: {flow: flicker}}), each bar labelled
    with its value; written to `path` as a PNG, atomically."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=size)
    bars = list(dict.fromkeys(b for g in groups.values() for b in g))
    width = 0.8 / max(1, len(bars))
    for i, bar in enumerate(bars):
        xs = [j + i * width for j in range(len(groups))]
        ys = [groups[g].get(bar, np.nan) for g in groups]
        rects = ax.bar(xs, ys, width, label=bar)
        ax.bar_label(rects, fmt="%.3g", fontsize=7)
    ax.set_xticks([j + width * (len(bars) - 1) / 2 for j in range(len(groups))], list(groups))
    ax.set(title=title, ylabel=ylabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)  # outside: it never covers a bar
    write_bytes_atomic(path, _png(fig))


def confusion_matrix_png(path: str | os.PathLike, matrix: np.ndarray, names: Sequence[str]) -> None:
    """Rows: true class, columns: predicted; cells shaded by row-normalised count, each with its
    count. Written to `path` as a PNG, atomically."""
    plt = _pyplot()
    n = len(names)
    side = min(12.0, 2.0 + 0.45 * n)
    fig, ax = plt.subplots(figsize=(side, side))
    normalised = matrix / matrix.sum(1, keepdims=True).clip(min=1)
    ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center", fontsize=8,
                    color="white" if normalised[i, j] > 0.6 else "black")
    labels = [s[:22] for s in names]
    ax.set_xticks(range(n), labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(n), labels, fontsize=8)
    ax.set(xlabel="predicted class", ylabel="true class", title="confusion matrix (val)")
    write_bytes_atomic(path, _png(fig))


__all__ = ["bar_chart", "confusion_matrix_png", "line_chart", "line_chart_png", "scatter_chart"]
