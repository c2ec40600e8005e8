"""The classical DeepDream engine and its composable objectives."""
from dreamgan.dream.engine import PRESETS, DreamConfig, DreamEngine, Progress, build_objective, dream, preset
from dreamgan.dream import objectives

__all__ = ["PRESETS", "DreamConfig", "DreamEngine", "Progress", "build_objective", "dream", "objectives", "preset"]
