"""`Backbone`: a pretrained CNN as an ordered chain of named stages.

Every network dreamgan dreams with (the TF Inception port, EfficientNet-Lite0, torchvision
models, user classifiers) is wrapped the same way, so the engine needs to know only this:

  * `forward(x01, layers)` scales [0, 1] input as the network expects, runs the stages in
    order and stops after the deepest requested layer (truncation: later stages never run);
  * `layer_names` are the network's own names (`mixed_3`, `layer3`, `inception4c`);
  * `logits_layer` names the stage whose output is the class logits, if any.
"""
from __future__ import annotations

import difflib
from typing import Iterable, Sequence

import torch
from torch import nn

from dreamgan.errors import BackboneError


class Backbone(nn.Module):
    """A frozen network with named layers.

    Args:
        name: registry name or checkpoint path, for messages and recipes.
        stages: (name, module) in execution order; each stage consumes the previous output.
        mean, std: per-channel input normalisation in [0, 1] units: x = (x01 - mean) / std.
        class_names: names of the logits, if the network has any.
        logits_layer: the stage that outputs (B, num_classes) logits.
        aliases: extra accepted layer names (e.g. `mixed_0` → `mixed`).
    """

    def __init__(
        self,
        name: str,
        stages: Sequence[tuple[str, nn.Module]],
        *,
        mean: Sequence[float],
        std: Sequence[float],
        class_names: Sequence[str] | None = None,
        logits_layer: str | None = None,
        aliases: dict[str, str] | None = None,
        weights_id: str = "",
    ):
        super().__init__()
        self.name = name
        self._names = [n for n, _ in stages]
        if len(set(self._names)) != len(self._names):
            raise ValueError(f"duplicate stage names in {self._names}")
        self.stage_modules = nn.ModuleList([m for _, m in stages])  # ModuleDict forbids '.' in names
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))
        self.class_names = list(class_names) if class_names is not None else None
        self.logits_layer = logits_layer
        self.aliases = dict(aliases or {})
        self.weights_id = weights_id
        self._min_size: dict[str, int] = {}
        self._channels: dict[str, int] = {}
        self.requires_grad_(False)
        self.eval()

    # -- names ------------------------------------------------------------------------------
    @property
    def layer_names(self) -> list[str]:
        return list(self._names)

    @property
    def stages(self) -> dict[str, nn.Module]:
        """{layer name: module} in execution order."""
        return dict(zip(self._names, self.stage_modules))

    def resolve_layer(self, layer: str) -> str:
        """The canonical name of `layer`, or a `BackboneError` listing the valid names."""
        if layer in self.stages:
            return layer
        if layer in self.aliases:
            return self.aliases[layer]
        if layer == "logits" and self.logits_layer:
            return self.logits_layer
        close = difflib.get_close_matches(layer, self.layer_names, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise BackboneError(
            f"unknown layer {layer!r} for backbone {self.name}{hint}; valid layers: {', '.join(self.layer_names)}"
        )

    def resolve_class(self, cls: str | int) -> int:
        """A class index from an index or a (case-insensitive) class name."""
        if not self.class_names:
            raise BackboneError(f"backbone {self.name} has no class logits; choose one that has (e.g. efficientnet-lite0)")
        n = len(self.class_names)
        text = str(cls).strip()
        if text.lstrip("-").isdigit():
            idx = int(text)
            if not 0 <= idx < n:
                raise BackboneError(f"class index {idx} out of range 0..{n - 1} for backbone {self.name}")
            return idx
        lowered = [c.lower() for c in self.class_names]
        if text.lower() in lowered:
            return lowered.index(text.lower())
        if n <= 50:
            valid = "valid classes: " + ", ".join(self.class_names)
        else:
            close = difflib.get_close_matches(text.lower(), lowered, n=5, cutoff=0.5)
            valid = (f"close matches: {', '.join(repr(self.class_names[lowered.index(c)]) for c in close)}; " if close else "")
            valid += f"all {n} names: `dreamgan classes {self.name}`"
        raise BackboneError(f"unknown class {text!r} for backbone {self.name}; {valid}")

    def deepest(self, layers: Iterable[str]) -> str:
        order = {name: i for i, name in enumerate(self.stages)}
        return max((self.resolve_layer(l) for l in layers), key=order.__getitem__)

    # -- running ----------------------------------------------------------------------------
    def normalize(self, x01: torch.Tensor) -> torch.Tensor:
        return (x01 - self.mean) / self.std

    def forward(self, x01: torch.Tensor, layers: Iterable[str]) -> dict[str, torch.Tensor]:
        """Activations of `layers` for (B, 3, H, W) input in [0, 1].

        Stages after the deepest requested layer do not run.

        Returns:
            {layer: (B, C, h, w) or (B, C) tensor} keyed by the names asked for.
        """
        asked = list(layers)
        wanted = {self.resolve_layer(l): l for l in asked}
        out: dict[str, torch.Tensor] = {}
        x = self.normalize(x01)
        for name, stage in self.stages.items():
            x = stage(x)
            if name in wanted:
                out[wanted[name]] = x
                if len(out) == len(wanted):
                    break
        return out

    def truncated(self, layers: Iterable[str]) -> "Backbone":
        """A Backbone sharing these weights with the stages after the deepest of `layers` dropped."""
        deepest = self.deepest(layers)
        kept = []
        for name, stage in self.stages.items():
            kept.append((name, stage))
            if name == deepest:
                break
        return self._with_stages(kept)

    def folded(self) -> "Backbone":
        """A copy whose frozen conv + batch-norm pairs are folded into single convs (faster, same
        function up to float rounding). The original is left untouched."""
        from dreamgan.backbones.inception_tf import fold_batchnorm

        return self._with_stages([(n, fold_batchnorm(m)) for n, m in self.stages.items()])

    def _with_stages(self, stages: list[tuple[str, nn.Module]]) -> "Backbone":
        names = {n for n, _ in stages}
        clone = Backbone(
            self.name, stages, mean=self.mean.flatten().tolist(), std=self.std.flatten().tolist(),
            class_names=self.class_names, logits_layer=self.logits_layer if self.logits_layer in names else None,
            aliases={k: v for k, v in self.aliases.items() if v in names}, weights_id=self.weights_id,
        )
        clone._min_size = dict(self._min_size)
        clone._channels = {k: v for k, v in self._channels.items() if k in names}
        return clone.to(self.mean.device)

    @torch.no_grad()
    def min_size(self, layer: str | None = None) -> int:
        """Smallest square input side (px) for which `layer` (default: the last) can be computed."""
        layer = self.resolve_layer(layer) if layer else self.layer_names[-1]
        if layer not in self._min_size:
            lo, hi = 1, 1024  # invariant: hi works
            device = self.mean.device
            while lo < hi:
                mid = (lo + hi) // 2
                try:
                    self.forward(torch.zeros(1, 3, mid, mid, device=device), [layer])
                    hi = mid
                except RuntimeError:
                    lo = mid + 1
            self._min_size[layer] = hi
        return self._min_size[layer]

    @torch.no_grad()
    def channels(self, layer: str) -> int:
        """Output channels of `layer` (one forward at its minimum size, then cached)."""
        layer = self.resolve_layer(layer)
        if layer not in self._channels:
            side = self.min_size(layer)
            out = self.forward(torch.zeros(1, 3, side, side, device=self.mean.device), [layer])[layer]
            self._channels[layer] = int(out.shape[1])
        return self._channels[layer]

    @torch.no_grad()
    def layer_shapes(self, size: int = 299) -> list[tuple[str, tuple[int, ...]]]:
        """(layer, output shape without batch) for a size×size input."""
        x = self.normalize(torch.zeros(1, 3, size, size, device=self.mean.device))
        shapes = []
        for name, stage in self.stages.items():
            x = stage(x)
            shapes.append((name, tuple(x.shape[1:])))
        return shapes
