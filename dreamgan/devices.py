"""Where tensors run and in what precision: `--device auto|cpu|cuda[:N]` resolved once, with a clear
error; a precision option (`--precision`, `--g-precision`, `--stats-precision`: fp32, bf16 or auto)
resolved to an autocast dtype. The one rule for `auto`: bf16 where the device multiplies bf16 in
hardware (`bf16_is_native`), float32 elsewhere."""
from __future__ import annotations

import contextlib

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


PRECISIONS = ("fp32", "bf16", "auto")


def bf16_is_native(device: torch.device) -> bool:
    """Whether `device` multiplies bfloat16 matrices in hardware: a CUDA device that supports
    bf16, or a CPU with AMX tiles or AVX-512 BF16 (elsewhere the CPU emulates bf16, slower than
    float32)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    cpu = torch.cpu
    return any(getattr(cpu, name, lambda: False)() for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"))


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The dtype to autocast a network's forward pass to: None for 'fp32'; bfloat16 for 'bf16';
    for 'auto', bfloat16 where `bf16_is_native(device)`, else None.

    Raises:
        ValueError: a precision not in `PRECISIONS`.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "bf16" or (precision == "auto" and bf16_is_native(device)):
        return torch.bfloat16
    return None


def resolved_precision(precision: str, device: torch.device) -> str:
    """'fp32' or 'bf16': what `precision` (fp32, bf16 or auto) means on `device`
    (`autocast_dtype`'s rule, as a name to record in a manifest or a recipe).

    Raises:
        ValueError: a precision not in `PRECISIONS`.
    """
    return "bf16" if autocast_dtype(precision, device) is not None else "fp32"


def autocast_to(device_type: str, dtype: torch.dtype | None):
    """A context that autocasts to `dtype` on `device_type` ('cpu', 'cuda'), or does nothing for
    None (float32; `autocast_dtype`'s answer)."""
    return torch.autocast(device_type, dtype=dtype) if dtype is not None else contextlib.nullcontext()
