"""The pretrained fast-dream generator shipped inside the package.

`dreamgan sample photo.jpg -o out` and `dreamgan serve` use it when no `--checkpoint` is given,
so fast dreams work straight after `pip install`. It is one inference-only file,
`dreamgan/weights/fast_dream.pt` (≤ 10 MB; the only weights file in the repository), made by
`pipelines/release.toml` and described in `docs/model_card.md`. It has the format of a
training checkpoint without the discriminator and optimiser states, and loads with
`weights_only=True` like every checkpoint.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from dreamgan.errors import DreamganError
from dreamgan.fileio import atomic_path
from dreamgan.models.checkpoint import BUNDLED_GENERATOR, bundled_generator

MAX_BUNDLED_BYTES = 10 * 1024 * 1024
"""The largest bundled photo → dream generator."""
MAX_BUNDLED_TEXTURES_BYTES = 5 * 1024 * 1024
"""The largest bundled texture (noise → dream) generator."""
INFERENCE_KEYS = ("format", "arch", "config", "recipe", "step", "best", "dreamgan_version")


def write_bundled_generator(g, ckpt: dict, out: str | os.PathLike, *, provenance: dict | None = None,
                            max_bytes: int = MAX_BUNDLED_BYTES, half: bool = False) -> Path:
    """Write an inference-only copy of a loaded generator and its checkpoint dict
    (`fast.loading.load_generator`): G's weights, config, recipe, step and scores; no D, no
    optimisers; to `out`, atomically, with `provenance` (e.g. the evaluation) stored beside.
    `half`: its floating-point weights stored in float16 (half the bytes; they load back into
    the float32 network, `load_state_dict` converting them).

    Raises:
        DreamganError: the file would exceed `max_bytes`.
    """
    payload = {k: ckpt[k] for k in INFERENCE_KEYS if k in ckpt}
    payload["g"] = {k: (v.detach().half() if half and v.is_floating_point() else v.detach()).clone() for k, v in g.state_dict().items()}
    payload["weights_dtype"] = "float16" if half else "float32"
    payload["provenance"] = {"source_checkpoint": str(ckpt["path"]), **(provenance or {})}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        torch.save(payload, tmp)
        size = Path(tmp).stat().st_size
        if size > max_bytes:
            raise DreamganError(f"the exported generator is {size / 2**20:.1f} MiB, over the {max_bytes / 2**20:.0f} MiB "
                                "limit for a bundled file; train a smaller one (--ngf, --depth) or store it in float16 "
                                "([bundle] half = true)")
    return out


__all__ = ["BUNDLED_GENERATOR", "MAX_BUNDLED_BYTES", "MAX_BUNDLED_TEXTURES_BYTES", "bundled_generator", "write_bundled_generator"]
