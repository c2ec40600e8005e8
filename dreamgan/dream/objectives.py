"""Composable dream objectives: what gradient ascent maximises.

An `Objective` maps backbone activations to one score per image, shape (B,). Objectives
compose like numbers, as in Lucid (Olah et al., "Feature Visualization", Distill 2017)::

    obj = layer("mixed_3") + 0.5 * channel("mixed_5", 12) - 0.2 * channel("mixed_5", 40)

Some objectives depend on the input or on a guide image (top-k channels, guided dreams);
`prepare(backbone, x01)` binds that state once, before the ascent starts.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

Acts = dict[str, torch.Tensor]


def _reduce(a: torch.Tensor, reduction: str) -> torch.Tensor:
    """(B, C, h, w) or (B, C) → (B, C): per-channel mean ('mean') or mean square ('l2')."""
    a = a.flatten(2) if a.ndim == 4 else a[:, :, None]
    return a.mean(2) if reduction == "mean" else a.pow(2).mean(2)


class Objective:
    """Base class: `__call__(acts) -> (B,)`, and the layers it reads."""

    layers: tuple[str, ...] = ()

    def __call__(self, acts: Acts) -> torch.Tensor:
        raise NotImplementedError

    def prepare(self, backbone, x01: torch.Tensor) -> "Objective":
        """Bind input-dependent state (default: none). `x01` is the (B, 3, H, W) input."""
        return self

    def __add__(self, other: "Objective") -> "Objective":
        return Sum([self, other])

    def __sub__(self, other: "Objective") -> "Objective":
        return Sum([self, Scaled(other, -1.0)])

    def __mul__(self, w: float) -> "Objective":
        return Scaled(self, float(w))

    __rmul__ = __mul__

    def __neg__(self) -> "Objective":
        return Scaled(self, -1.0)


class Sum(Objective):
    def __init__(self, terms: Sequence[Objective]):
        self.terms = [t for term in terms for t in (term.terms if isinstance(term, Sum) else [term])]
        self.layers = tuple(dict.fromkeys(l for t in self.terms for l in t.layers))

    def __call__(self, acts):
        return sum(t(acts) for t in self.terms)

    def prepare(self, backbone, x01):
        return Sum([t.prepare(backbone, x01) for t in self.terms])

    def __repr__(self):
        return " + ".join(map(repr, self.terms))


class Scaled(Objective):
    def __init__(self, term: Objective, weight: float):
        self.term, self.weight, self.layers = term, weight, term.layers

    def __call__(self, acts):
        return self.weight * self.term(acts)

    def prepare(self, backbone, x01):
        return Scaled(self.term.prepare(backbone, x01), self.weight)

    def __repr__(self):
        return f"{self.weight:g}*{self.term!r}"


class LayerObjective(Objective):
    """Mean ('mean') or mean square ('l2') of a layer, optionally of selected channels only.

    'l2' is Google's original DeepDream objective (its gradient is the activation itself);
    'mean' is the TF tutorial's `reduce_mean`.
    """

    def __init__(self, layer: str, *, reduction: str = "l2", channels: Sequence[int] | None = None):
        self.layer, self.reduction = layer, reduction
        self.channels = list(channels) if channels is not None else None
        self.layers = (layer,)

    def __call__(self, acts):
        per_channel = _reduce(acts[self.layer], self.reduction)  # (B, C)
        if self.channels is not None:
            per_channel = per_channel[:, self.channels]
        return per_channel.mean(1)

    def __repr__(self):
        ch = f", channels={self.channels}" if self.channels is not None else ""
        return f"{self.reduction}({self.layer}{ch})"


class TopKChannels(Objective):
    """The k most (or least) activated channels of a layer for each input image (Lucid-style).

    Channels are ranked once, on the input before any ascent, by their mean activation.
    """

    def __init__(self, layer: str, k: int, *, most: bool = True, reduction: str = "l2", index: torch.Tensor | None = None):
        self.layer, self.k, self.most, self.reduction, self.index = layer, k, most, reduction, index
        self.layers = (layer,)

    def prepare(self, backbone, x01):
        with torch.no_grad():
            a = backbone(_bounded(x01, backbone), [self.layer])[self.layer]
        means = _reduce(a, "mean")  # (B, C)
        k = min(self.k, means.shape[1])
        index = means.topk(k, dim=1, largest=self.most).indices  # (B, k)
        return TopKChannels(self.layer, k, most=self.most, reduction=self.reduction, index=index)

    def __call__(self, acts):
        if self.index is None:
            raise RuntimeError("TopKChannels must be prepared on the input first")
        per_channel = _reduce(acts[self.layer], self.reduction)  # (B, C)
        return per_channel.gather(1, self.index.to(per_channel.device)).mean(1)

    def __repr__(self):
        return f"top{self.k}{'' if self.most else '-least'}({self.layer})"


class Neuron(Objective):
    """One unit: channel `channel` of `layer` at (y, x), by default the centre of the map."""

    def __init__(self, layer: str, channel: int, y: int | None = None, x: int | None = None):
        self.layer, self.channel, self.y, self.x = layer, channel, y, x
        self.layers = (layer,)

    def __call__(self, acts):
        a = acts[self.layer][:, self.channel]
        if a.ndim == 1:
            return a
        h, w = a.shape[-2:]
        y = min(self.y if self.y is not None else h // 2, h - 1)
        x = min(self.x if self.x is not None else w // 2, w - 1)
        return a[:, y, x]

    def __repr__(self):
        return f"neuron({self.layer}, {self.channel})"


class ClassLogit(Objective):
    """The logit of class `index` at the backbone's logits layer."""

    def __init__(self, logits_layer: str, index: int):
        self.logits_layer, self.index = logits_layer, index
        self.layers = (logits_layer,)

    def __call__(self, acts):
        return acts[self.logits_layer][:, self.index]

    def __repr__(self):
        return f"class({self.index})"


class Guided(Objective):
    """A guided dream: the guide image decides which features grow (Mordvintsev et al. 2015).

    mode 'weights': per-channel weights are the guide's activation sums at `layer`, clipped at
        0 and normalised to mean 1; the objective is the weighted per-channel reduction.
    mode 'dot': Google's reference guide. Each position of the input is matched to the guide
        feature vector with the largest dot product, and that dot product is maximised.
    """

    def __init__(self, layer: str, guide_x01: torch.Tensor, *, mode: str = "weights", reduction: str = "l2",
                 guide_acts: torch.Tensor | None = None):
        if mode not in ("weights", "dot"):
            raise ValueError(f"guide mode must be 'weights' or 'dot', got {mode!r}")
        self.layer, self.guide_x01, self.mode, self.reduction, self.guide_acts = layer, guide_x01, mode, reduction, guide_acts
        self.layers = (layer,)

    def prepare(self, backbone, x01):
        with torch.no_grad():
            g = backbone(_bounded(self.guide_x01.to(x01.device), backbone), [self.layer])[self.layer][:1]  # (1, C, h, w)
        if self.mode == "weights":
            w = _reduce(g, "mean")[0].clamp_min(0)  # (C,)
            guide = w / (w.mean() + 1e-8)
        else:
            guide = g[0].flatten(1) if g.ndim == 4 else g[0][:, None]  # (C, N)
        return Guided(self.layer, self.guide_x01, mode=self.mode, reduction=self.reduction, guide_acts=guide)

    def __call__(self, acts):
        if self.guide_acts is None:
            raise RuntimeError("Guided must be prepared first")
        a = acts[self.layer]
        if self.mode == "weights":
            return (_reduce(a, self.reduction) * self.guide_acts).mean(1)
        x = a.flatten(2) if a.ndim == 4 else a[:, :, None]  # (B, C, P)
        match = torch.einsum("bcp,cn->bpn", x.detach(), self.guide_acts).argmax(2)  # (B, P)
        best = self.guide_acts.t()[match]  # (B, P, C)
        return (x.transpose(1, 2) * best).sum(2).mean(1)

    def __repr__(self):
        return f"guided-{self.mode}({self.layer})"


GUIDE_MAX_SIDE = 512


def _bounded(x01: torch.Tensor, backbone) -> torch.Tensor:
    """Resize so the long side is ≤ GUIDE_MAX_SIDE and the short side ≥ the backbone minimum.

    Used for one-off analysis passes (ranking channels, reading a guide) on images of any size.
    """
    h, w = x01.shape[-2:]
    scale = min(1.0, GUIDE_MAX_SIDE / max(h, w))
    scale = max(scale, backbone.min_size() / min(h, w))
    if abs(scale - 1.0) < 1e-6:
        return x01
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    return F.interpolate(x01, size=size, mode="bilinear", align_corners=False, antialias=scale < 1)


# Lucid-style short constructors.
def layer(name: str, reduction: str = "l2") -> LayerObjective:
    return LayerObjective(name, reduction=reduction)


def channel(name: str, index: int | Sequence[int], reduction: str = "l2") -> LayerObjective:
    return LayerObjective(name, reduction=reduction, channels=[index] if isinstance(index, int) else index)
