"""What the studio page is built from: backbones, their layers (with hints), classes, limits.

Only registered backbone names are served: a client can never make the server open a path.
"""
from __future__ import annotations

import functools

from dreamgan.errors import BackboneError

SHAPE_SIDE = 299
"""Input side (px) at which layer shapes are reported."""
DEPTH_HINTS = {
    "shallow": "strokes, edges and fine textures",
    "middle": "swirls, arabesques, eye-like spots",
    "deep": "eyes, faces, animals and buildings",
    "vector": "whole-image features: no spatial map (use a class target for logits)",
}
DEFAULT_LAYERS = {"inception-v3-tf": ["mixed_3", "mixed_5"]}


def studio_info(checkpoint: dict | None, textures: dict | None = None) -> dict:
    """Everything the page needs at start: backbones, samples, request defaults and limits, the
    fast generator (`checkpoint`) and the texture generator (`textures`: `Textures.describe()`,
    or {"error": why there is none})."""
    from dreamgan import __version__
    from dreamgan.backbones import DEFAULT_BACKBONE, list_backbones
    from dreamgan.data.photos import EMBEDDED_PHOTOS
    from dreamgan.studio.mirror import MAX_FPS, MirrorRequest
    from dreamgan.studio.requests import MAX_UPLOAD_BYTES, MAX_UPLOAD_PIXELS, DreamRequest, FastRequest, ZoomRequest
    from dreamgan.studio.textures import StripRequest, TextureRequest

    return {
        "version": __version__,
        "default_backbone": DEFAULT_BACKBONE,
        "backbones": [{"name": b.name, "description": b.description, "available": b.available,
                       "detail": None if b.available else b.detail} for b in list_backbones()],
        "photos": list(EMBEDDED_PHOTOS),
        "dream": _fields(DreamRequest),
        "fast": _fields(FastRequest),
        "zoom": {k: v for k, v in _fields(ZoomRequest).items() if k in ("mode", "frames", "zoom", "rotate", "frame_steps", "fps")},
        "mirror": {**_fields(MirrorRequest), "max_fps": MAX_FPS},
        "upload": {"max_bytes": MAX_UPLOAD_BYTES, "max_pixels": MAX_UPLOAD_PIXELS},
        "checkpoint": describe_checkpoint(checkpoint),
        "textures": {**_fields(TextureRequest), **{k: v for k, v in _fields(StripRequest).items() if k != "seed_a"},
                     **(textures or {"error": "no texture generator"})},
    }


def _fields(model) -> dict:
    """{field: {default, minimum, maximum}} of a pydantic request model (the page's input ranges)."""
    schema = model.model_json_schema()
    out = {}
    for name, prop in schema["properties"].items():
        variants = prop.get("anyOf", [prop])
        limits = next((v for v in variants if "minimum" in v or "maximum" in v or "exclusiveMinimum" in v), {})
        out[name] = {"default": prop.get("default"), "minimum": limits.get("minimum", limits.get("exclusiveMinimum")),
                     "maximum": limits.get("maximum")}
    return out


def check_backbone(name: str) -> None:
    """Refuse every backbone the studio does not list, with one message whatever the value is:
    a client never makes the server open a path, nor learns whether a path exists.

    Raises:
        BackboneError: not a registered backbone name.
    """
    from dreamgan.backbones import backbone_names

    names = backbone_names()
    if name not in names:
        raise BackboneError(f"not a backbone the studio offers; choose one of: {', '.join(names)}")


@functools.lru_cache(maxsize=16)
def backbone_info(name: str) -> dict:
    """Layers (name, channels, depth, hint), classes and default layers of a registered backbone.

    Raises:
        BackboneError: not a registered name, or its weights are missing (says how to supply them).
    """
    from dreamgan.backbones import load_backbone

    check_backbone(name)
    bb = load_backbone(name)
    min_side = bb.min_size()
    side = max(SHAPE_SIDE, min_side)
    shapes = bb.layer_shapes(side)
    spatial = [layer for layer, shape in shapes if len(shape) == 3]
    layers = []
    for layer, shape in shapes:
        if len(shape) == 3:
            at = spatial.index(layer) / max(1, len(spatial) - 1)
            depth = "shallow" if at < 0.34 else "middle" if at < 0.67 else "deep"
        else:
            depth = "vector"
        layers.append({"name": layer, "channels": shape[0], "shape": list(shape), "depth": depth,
                       "hint": DEPTH_HINTS[depth], "logits": layer == bb.logits_layer})
    default = DEFAULT_LAYERS.get(name) or [spatial[round(0.55 * (len(spatial) - 1))]]
    return {"name": name, "layers": layers, "classes": list(bb.class_names or []), "default_layers": default,
            "min_size": min_side, "shape_side": side}


def describe_checkpoint(ckpt: dict | None) -> dict | None:
    """What the page shows about the loaded generator."""
    if ckpt is None:
        return None
    cfg = ckpt.get("config", {})
    recipe = ckpt.get("recipe") or {}
    return {"path": str(ckpt["path"]), "name": checkpoint_name(ckpt["path"]), "arch": ckpt.get("arch"), "step": ckpt.get("step"),
            "image_size": cfg.get("image_size"), "generator": cfg.get("generator"),
            "dataset_layers": recipe.get("layers"), "dataset_backbone": recipe.get("backbone")}


def checkpoint_name(path) -> str:
    """What the page calls a generator: its run's name (`00002-pix2pix-default/best.pt`), or
    `bundled generator` for the one in the package; never the server's full path."""
    from pathlib import Path

    from dreamgan.fast.loading import is_bundled

    path = Path(path)
    if is_bundled(path):
        return "bundled generator"
    return f"{path.parent.name}/{path.name}" if path.suffix == ".pt" else path.name
