"""Figures: real PNGs with readable axes, written atomically, for every chart the project draws."""
from __future__ import annotations

import numpy as np
from PIL import Image

from dreamgan.training.plots import bar_chart, confusion_matrix_png, line_chart, line_panels, scatter_chart


def _image(path) -> np.ndarray:
    with Image.open(path) as img:
        assert img.format == "PNG"
        return np.asarray(img.convert("RGB"))


def test_charts_are_pngs_with_content(tmp_path):
    line_chart(tmp_path / "curve.png", {"kid": [(0.5, 0.4), (1.0, float("nan")), (2.0, 0.2)], "empty": []},
               title="t", xlabel="training minutes", ylabel="KID", hlines={"photos": 0.12}, logy=True)
    scatter_chart(tmp_path / "frontier.png", {"classical": [(0.09, 0.99, "1x1"), (2.1, 0.02, "4x10")], "fast": [(0.1, 0.16, "bundled")]},
                  xlabel="seconds per image", ylabel="stats ratio", logx=True, hlines={"photo": 1.0})
    bar_chart(tmp_path / "flicker.png", {"classical": {"DIS": 7.9, "none": 15.7}, "fast": {"DIS": 8.2, "none": 15.0}}, ylabel="flicker")
    confusion_matrix_png(tmp_path / "confusion.png", np.array([[5, 1], [0, 3]]), ["cats", "dogs"])
    panel = dict(series={"run": [(1.0, 0.5), (2.0, 0.3)]}, xlabel="training minutes", ylabel="ratio", hlines={"target": 0.4})
    line_panels(tmp_path / "panels.png", [panel, {**panel, "title": "second"}, panel])
    for name in ("curve", "frontier", "flicker", "confusion", "panels"):
        img = _image(tmp_path / f"{name}.png")
        assert img.shape[0] > 200 and img.shape[1] > 200, name
        assert img.std() > 10, f"{name} is blank"
    assert _image(tmp_path / "panels.png").shape[1] > 2.5 * _image(tmp_path / "panels.png").shape[0], "three panels side by side"
    assert not list(tmp_path.glob(".*")), "no temporary files are left behind"


def test_a_labelled_grid_puts_each_image_in_its_cell_names_the_columns_and_rows():
    import torch

    from dreamgan.images import labelled_grid

    red, blue = torch.zeros(3, 20, 30), torch.zeros(3, 20, 30)
    red[0], blue[2] = 1, 1
    plain = labelled_grid([[red, blue], [blue, red]], padding=2)
    assert plain.shape == (2 + 2 * 22, 2 + 2 * 32, 3) and plain.dtype == np.uint8
    assert tuple(plain[2 + 10, 2 + 15]) == (255, 0, 0) and tuple(plain[2 + 10, 34 + 15]) == (0, 0, 255)
    assert tuple(plain[24 + 10, 2 + 15]) == (0, 0, 255), "second row starts with blue"
    headed = labelled_grid([[red, blue], [blue, red]], ["photo", "dream"], padding=2)
    assert headed.shape[0] > plain.shape[0] and (headed[headed.shape[0] - plain.shape[0]:] == plain).all()
    assert (headed[:headed.shape[0] - plain.shape[0]] < 128).any(), "the header has dark text on white"
    named = labelled_grid([[red, blue], [blue, red]], row_labels=["a", "b"], padding=2)
    changed = (named != plain).any(-1)
    assert changed[:, :32].any() and not changed[:, 34:].any(), "row names are written on the first image only"
