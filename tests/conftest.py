"""Shared fixtures: tiny random backbones and small synthetic or bundled photos."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dreamgan.backbones import register_backbone
from dreamgan.backbones.base import Backbone


def tiny_backbone(num_classes: int = 5, seed: int = 0) -> Backbone:
    """A 3-stage random CNN with logits, wrapped like every real backbone (fast on CPU)."""
    torch.manual_seed(seed)
    stages = [
        ("conv1", nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())),
        ("conv2", nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())),
        ("conv3", nn.Sequential(nn.Conv2d(16, 16, 3, stride=2), nn.ReLU())),
        ("pool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten(1)),
        ("fc", nn.Linear(16, num_classes)),
    ]
    return Backbone("tiny", stages, mean=[0.5] * 3, std=[0.25] * 3,
                    class_names=[f"class{i}" for i in range(num_classes)], logits_layer="fc")


@pytest.fixture(scope="session", autouse=True)
def dreamgan_cache(tmp_path_factory):
    """The tests' ONNX exports go to a temporary cache, never the user's ~/.cache (subprocesses
    inherit it through the environment)."""
    import os

    path = tmp_path_factory.mktemp("dreamgan-cache")
    old, os.environ["DREAMGAN_CACHE"] = os.environ.get("DREAMGAN_CACHE"), str(path)
    yield path
    if old is None:
        os.environ.pop("DREAMGAN_CACHE", None)
    else:
        os.environ["DREAMGAN_CACHE"] = old


@pytest.fixture(scope="session")
def tiny_pairs(tmp_path_factory, registered_tiny_backbone):
    """A paired dataset dreamed with the tiny backbone: 8 pairs of 48 px from 6 smooth random photos."""
    from PIL import Image

    from dreamgan.data.dataset import make_dataset
    from dreamgan.dream import DreamConfig

    root = tmp_path_factory.mktemp("gan")
    src = root / "photos"
    src.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        small = rng.integers(0, 255, (4, 4, 3), dtype=np.uint8)
        Image.fromarray(small).resize((64, 64), Image.Resampling.BICUBIC).save(src / f"p{i}.png")
    out = root / "data" / "tiny"
    make_dataset(out, source=src, count=8, size=48, recipe=DreamConfig(backbone="tiny", layers=("conv2",), octaves=1, steps=3, tile=0),
                 val=0.2, test=0.2, seed=0)
    return out


@pytest.fixture
def tiny():
    return tiny_backbone()


@pytest.fixture(scope="session", autouse=True)
def registered_tiny_backbone(tmp_path_factory):
    """`backbone="tiny"` works by name in every library call (recipes, datasets, training, the
    studio), through the same registry as the real networks: tests where the real Inception adds
    nothing dream with it. Its weights are a real file, hashed into datasets like any other."""
    path = tmp_path_factory.mktemp("tiny-backbone") / "tiny.pt"
    torch.save(tiny_backbone().state_dict(), path)

    def build(weights):
        net = tiny_backbone()
        net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        return net

    register_backbone("tiny", build, weights=path, description="tests: a 3-stage random CNN (conv1, conv2, conv3)")
    return path


@pytest.fixture
def photo_uint8():
    """A real photo (scikit-image's chelsea), centre-cropped and resized to 64×64."""
    import skimage.data

    from dreamgan.images import resize_uint8

    img = skimage.data.chelsea()[:, 75:375]
    return resize_uint8(img, (64, 64))


@pytest.fixture
def noise_x01():
    g = torch.Generator().manual_seed(0)
    return torch.rand(2, 3, 48, 48, generator=g)


@pytest.fixture(autouse=True)
def _two_threads():
    torch.set_num_threads(2)
    np.random.seed(0)
