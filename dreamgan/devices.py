"""Where tensors run: `--device auto|cpu|cuda[:N]` resolved once, with a clear error."""
from __future__ import annotations

import torch

from dreamgan.errors import DreamganError

DEVICE_CHOICES = "auto, cpu, cuda or cuda:N"


def resolve_device(name: str) -> torch.device:
    """`auto` → the first CUDA device if there is one, else the CPU.

    Raises:
        DreamganError: an unknown name, or CUDA asked for where there is none.
    """
    name = (name or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise DreamganError(f"unknown device {name!r}; valid: {DEVICE_CHOICES}") from None
    if device.type == "cpu":
        return device
    if device.type != "cuda":
        raise DreamganError(f"unsupported device {name!r}; valid: {DEVICE_CHOICES}")
    if not torch.cuda.is_available():
        raise DreamganError(f"--device {name}, but no CUDA device is available here; use --device cpu or auto")
    if device.index is not None and device.index >= torch.cuda.device_count():
        raise DreamganError(f"--device {name}, but this machine has {torch.cuda.device_count()} CUDA device(s)")
    return device
