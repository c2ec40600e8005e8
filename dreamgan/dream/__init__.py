"""The classical DeepDream engine and its composable objectives.

`DreamConfig` and the presets (`dreamgan.dream.config`) import without torch; the engine
(`DreamEngine`, `dream`, `build_objective`, `Progress`) and `objectives` load on first use.
"""
from dreamgan.dream.config import PRESETS, DreamConfig, preset

__all__ = ["PRESETS", "DreamConfig", "DreamEngine", "Progress", "build_objective", "dream", "objectives", "preset"]


def __getattr__(name: str):
    if name in ("DreamEngine", "Progress", "build_objective", "dream"):
        from dreamgan.dream import engine

        return getattr(engine, name)
    if name == "objectives":
        import importlib

        return importlib.import_module("dreamgan.dream.objectives")
    raise AttributeError(f"module 'dreamgan.dream' has no attribute {name!r}")
