"""The classical DeepDream engine: gradient ascent on the input image.

Follows Google's reference notebook (Mordvintsev, Olah & Tyka, "Inceptionism", 2015,
github.com/google/deepdream) and the TF DeepDream tutorial:

  * an octave pyramid, coarse to fine, with *detail transfer*: what the dream added at one
    octave is upscaled and added to the next octave's base image;
  * random roll jitter each step, undone after the step (or, with `jitter_average` K, the
    gradient averaged over K random rolls: a steadier, more shift-consistent dream at K× the cost);
  * a normalised step `x += step_size * g / std(g)` (or `/ mean|g|`), pixels clipped to [0, 1];
  * tiled gradients with a random offset per step, so any image size dreams in bounded memory
    without seams (each tile also carries an overlap margin whose gradient is discarded).

Speed: the backbone is truncated after the deepest layer the objective reads and its weights
never get gradients; a batch of same-size images ascends together; where the CPU (or GPU) has
bf16 units, the passes autocast to bf16 (`precision="auto"`, the default).

One call from Python::

    out01 = dream(x01, DreamConfig(layers=("mixed_3", "mixed_5")))   # (B, 3, H, W) in [0, 1]
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

import dreamgan.dream.objectives as O
from dreamgan.backbones import Backbone, load_backbone
from dreamgan.devices import autocast_dtype, autocast_to, resolved_precision
from dreamgan.dream.config import PRESETS, DreamConfig, preset  # noqa: F401  (re-exported)
from dreamgan.errors import DreamganError

TILE_ALIGN = 32
"""Tile origins are multiples of this (≥ the total stride of any layer we dream with)."""


# -- objective from config ---------------------------------------------------------------------
def build_objective(config: DreamConfig, backbone: Backbone, guide_x01: torch.Tensor | None = None) -> O.Objective:
    """The objective a config describes (layer names and classes are validated here).

    Raises:
        BackboneError: unknown layer or class (the message lists the valid ones).
        DreamganError: a guide mode without a guide image, or similar.
    """
    if config.class_target is not None:
        index = backbone.resolve_class(config.class_target)  # first: says plainly when there are no logits
        return O.ClassLogit(backbone.logits_layer or backbone.resolve_layer("logits"), index)
    layers = [backbone.resolve_layer(l) for l in config.layers]
    weights = config.layer_weights or (1.0,) * len(layers)
    _check_channels(backbone, layers, config)
    if config.neuron is not None:
        return O.Neuron(layers[0], *config.neuron)
    if config.guide is not None and guide_x01 is None:
        from dreamgan.images import load_image_x01

        guide_x01 = load_image_x01(config.guide)
    terms = []
    for layer, w in zip(layers, weights):
        if guide_x01 is not None:
            term = O.Guided(layer, guide_x01, mode=config.guide_mode, reduction=config.reduction)
        elif config.top_k is not None:
            term = O.TopKChannels(layer, config.top_k, most=config.top_k_mode == "most", reduction=config.reduction)
        else:
            term = O.LayerObjective(layer, reduction=config.reduction, channels=config.channels)
        terms.append(term if w == 1.0 else w * term)
    return terms[0] if len(terms) == 1 else O.Sum(terms)


def _check_channels(backbone: Backbone, layers: list[str], config: DreamConfig) -> None:
    """Refuse channel indices (maplist, neuron) that a chosen layer does not have, and a top-k
    larger than a layer's channel count (never silently clamped)."""
    if config.top_k is not None and config.class_target is None and config.guide is None:
        for layer in layers:
            if config.top_k > (count := backbone.channels(layer)):
                raise DreamganError(f"top-k {config.top_k} is more than the {count} channels of {layer}")
    highest: dict[str, int] = {}  # layer -> the highest channel index asked of it
    if config.channels:
        highest = {layer: max(config.channels) for layer in layers}
    if config.neuron is not None:  # a neuron reads the first layer only
        highest[layers[0]] = max(highest.get(layers[0], -1), config.neuron[0])
    for layer, index in highest.items():
        count = backbone.channels(layer)
        if index >= count:
            raise DreamganError(f"channel {index} is out of range: {layer} has {count} channels (0..{count - 1})")


# -- helpers -----------------------------------------------------------------------------------
def octave_sizes(height: int, width: int, octaves: int, scale: float, min_side: int) -> list[tuple[int, int]]:
    """Octave sizes from the full image down; no octave's short side goes below `min_side`.

    Octaves that would be smaller are clamped to `min_side` (and duplicates dropped), so a
    small image dreams with fewer octaves instead of crashing.
    """
    sizes: list[tuple[int, int]] = []
    short = min(height, width)
    for i in range(octaves):
        f = max(scale ** -i, min(1.0, min_side / short))
        size = (max(1, round(height * f)), max(1, round(width * f)))
        if not sizes or size != sizes[-1]:
            sizes.append(size)
    return sizes


def fit_min_size(x01: torch.Tensor, min_side: int) -> torch.Tensor:
    """Upsample (bilinear, differentiable) so the short side is at least `min_side`."""
    h, w = x01.shape[-2:]
    if min(h, w) >= min_side:
        return x01
    f = min_side / min(h, w)
    return F.interpolate(x01, size=(math.ceil(h * f), math.ceil(w * f)), mode="bilinear", align_corners=False)


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    down = size[0] < x.shape[-2]
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=down)


def _gaussian_blur(g: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (B, C, H, W), reflect padding."""
    radius = max(1, int(math.ceil(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=g.dtype, device=g.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    c = g.shape[1]
    radius_h, radius_w = min(radius, g.shape[-2] - 1), min(radius, g.shape[-1] - 1)
    g = F.pad(g, (radius_w, radius_w, radius_h, radius_h), mode="reflect") if min(radius_h, radius_w) > 0 else g
    kh = k[radius - radius_h: radius + radius_h + 1]
    kw = k[radius - radius_w: radius + radius_w + 1]
    g = F.conv2d(g, kw.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(g, kh.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels, per image: (B,)."""
    dy = (x[..., 1:, :] - x[..., :-1, :]).abs().flatten(1).mean(1)
    dx = (x[..., :, 1:] - x[..., :, :-1]).abs().flatten(1).mean(1)
    return dx + dy


def _spans(length: int, tile: int) -> list[tuple[int, int]]:
    """Split [0, length) into ceil(length / tile) near-equal spans."""
    n = max(1, math.ceil(length / tile))
    edges = [round(i * length / n) for i in range(n + 1)]
    return list(zip(edges[:-1], edges[1:]))


@dataclass
class Progress:
    """What a progress callback receives after each step."""

    step: int
    total: int
    octave: int
    octaves: int
    size: tuple[int, int]
    objective: float
    image01: torch.Tensor | None = field(default=None, repr=False)
    """The current full-size preview (B, 3, H, W): on the last step of each octave (and every
    `preview_every` steps when `DreamEngine.run` is asked for more)."""


class DreamEngine:
    """Gradient ascent with octaves, jitter and tiles, over one truncated backbone.

    Args:
        config: the recipe. `precision="auto"` is resolved for `device` here: `self.config` is
            the recipe with fp32 or bf16, what the dreams were made with.
        backbone: a loaded `Backbone` (default: `load_backbone(config.backbone)`).
        objective: overrides the objective the config describes (e.g. a composed one).
        guide_x01: (1, 3, h, w) guide image in [0, 1] for guided dreams.
        device: where to run (default: the backbone's device).
    """

    def __init__(self, config: DreamConfig, *, backbone: Backbone | None = None, objective: O.Objective | None = None,
                 guide_x01: torch.Tensor | None = None, device: str | torch.device | None = None):
        with torch.inference_mode(False):  # the folded net must be usable by autograd (see `run`)
            self._build(config, backbone, objective, guide_x01, device)

    def _build(self, config, backbone, objective, guide_x01, device) -> None:
        self.config = config
        full = backbone if backbone is not None else load_backbone(config.backbone, weights=config.weights)
        self.objective = objective if objective is not None else build_objective(config, full, guide_x01)
        deepest = full.deepest(self.objective.layers)
        self.min_side = full.min_size(deepest)
        # Speed: drop the stages after the deepest layer, fold frozen batch norms into convs.
        self.net = full.truncated(self.objective.layers).folded()
        self.device = torch.device(device) if device is not None else full.mean.device
        self.config = config = config.replace(precision=resolved_precision(config.precision, self.device))
        if self.device != full.mean.device:
            # truncated/folded modules still share leaf parameters with `full` (often the
            # process-wide cached backbone): move a private copy, never the shared one.
            self.net = copy.deepcopy(self.net)
        self.net.to(self.device)
        if config.channels_last:
            self.net.to(memory_format=torch.channels_last)

    # 1 forward + backward over one tile
    def _autocast(self):
        return autocast_to(self.device.type, autocast_dtype(self.config.precision, self.device))

    def activations(self, x01: torch.Tensor) -> dict[str, torch.Tensor]:
        """Activations of the objective's layers (inputs below the backbone minimum are upsampled)."""
        return self.net(fit_min_size(x01, self.min_side), self.objective.layers)

    def _score(self, objective: O.Objective, x01: torch.Tensor) -> torch.Tensor:
        """(B,) objective of x01, upsampling inputs below the backbone's minimum size."""
        x01 = fit_min_size(x01, self.min_side)
        if self.config.channels_last:
            x01 = x01.contiguous(memory_format=torch.channels_last)
        with self._autocast():
            acts = self.net(x01, objective.layers)
            score = objective({k: v.float() for k, v in acts.items()})
        if self.config.tv > 0:
            score = score - self.config.tv * total_variation(x01)
        return score

    def gradient(self, objective: O.Objective, x01: torch.Tensor, shift: tuple[int, int] = (0, 0)) -> tuple[torch.Tensor, float]:
        """Gradient of the objective of x01 rolled by `shift`, returned in x01's own coordinates.

        The roll is virtual: each tile is gathered from x01 with wrapped indices and its
        gradient scattered back the same way, so no full-size rolled copy is ever made.
        Objectives average over positions, so each tile's gradient is weighted by the tile's
        share of the image: the tiles together then give the whole-image gradient.

        Returns:
            (gradient like x01, mean objective over the tiles).
        """
        tile = self.config.tile
        oy, ox = shift
        h, w = x01.shape[-2:]
        with torch.enable_grad():  # works even when the caller is in no_grad mode
            if tile == 0 or (h <= tile and w <= tile):
                x = torch.roll(x01.detach(), shifts=(oy, ox), dims=(2, 3)).requires_grad_(True)
                score = self._score(objective, x)
                (g,) = torch.autograd.grad(score.sum(), x)
                return torch.roll(g, shifts=(-oy, -ox), dims=(2, 3)), float(score.detach().mean())
            grad = torch.zeros_like(x01)
            margin = max(8, tile // 16)
            total = 0.0
            for y0, y1 in _spans(h, tile):
                for x0, x1 in _spans(w, tile):
                    # The tile plus a margin of context; only the core's gradient is kept. The
                    # context starts on a multiple of TILE_ALIGN so strided layers sample the same
                    # grid as they would on the whole image.
                    ya = max(0, (y0 - margin) // TILE_ALIGN * TILE_ALIGN)
                    xa = max(0, (x0 - margin) // TILE_ALIGN * TILE_ALIGN)
                    yb, xb = min(h, y1 + margin), min(w, x1 + margin)
                    rows = (torch.arange(ya, yb, device=x01.device) - oy) % h  # rolled[i] = x01[(i - oy) % h]
                    cols = (torch.arange(xa, xb, device=x01.device) - ox) % w
                    x = x01.detach().index_select(2, rows).index_select(3, cols).requires_grad_(True)
                    share = (yb - ya) * (xb - xa) / (h * w)
                    score = self._score(objective, x)
                    (g,) = torch.autograd.grad(score.sum() * share, x)
                    core_rows, core_cols = rows[y0 - ya: y1 - ya], cols[x0 - xa: x1 - xa]
                    grad[:, :, core_rows[:, None], core_cols[None, :]] = g[..., y0 - ya: y1 - ya, x0 - xa: x1 - xa]
                    total += float(score.detach().mean()) * (y1 - y0) * (x1 - x0) / (h * w)
            return grad, total

    def step(self, objective: O.Objective, img01: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, float]:
        """One normalised ascent step on (B, 3, H, W) in [0, 1] (updated in place and returned)."""
        cfg = self.config
        h, w = img01.shape[-2:]
        # 1. jitter: a random roll (plus a random tile offset, so tile seams never stay put)
        reach_y, reach_x = cfg.jitter, cfg.jitter
        if cfg.tile and (h > cfg.tile or w > cfg.tile):
            reach_y, reach_x = max(reach_y, min(h, cfg.tile) // 2), max(reach_x, min(w, cfg.tile) // 2)
        # 2. ascend: the gradient of the rolled image, returned un-rolled (undoes the jitter);
        #    with jitter_average K, the mean over K rolls (less of the dream is the rolls' chance)
        g, score = None, 0.0
        for _ in range(cfg.jitter_average):
            oy = int(torch.randint(-reach_y, reach_y + 1, (1,), generator=gen)) if reach_y else 0
            ox = int(torch.randint(-reach_x, reach_x + 1, (1,), generator=gen)) if reach_x else 0
            g_k, s_k = self.gradient(objective, img01, (oy, ox))
            g, score = (g_k, s_k) if g is None else (g.add_(g_k), score + s_k)
        if cfg.jitter_average > 1:
            g, score = g.div_(cfg.jitter_average), score / cfg.jitter_average
        if cfg.blur > 0:
            g = _gaussian_blur(g, cfg.blur)
        # 3. normalise per image and clip the pixel range (in place: img01 is the engine's own)
        scale = g.std(dim=(1, 2, 3), keepdim=True) if cfg.step_norm == "std" else g.abs().mean(dim=(1, 2, 3), keepdim=True)
        g.mul_(cfg.step_size / (scale + 1e-8))
        img01.add_(g).clamp_(0.0, 1.0)
        return img01, score

    def run(self, images01: torch.Tensor, progress: Callable[[Progress], None] | None = None, *,
            preview_every: int = 0) -> torch.Tensor:
        """Dream a batch of same-size images: (B, 3, H, W) in [0, 1] → same shape in [0, 1].

        `progress` gets a `Progress` after every step, with a full-size preview at the end of
        each octave and, if `preview_every` > 0, also every that many steps. An exception it
        raises (e.g. a cancel) stops the dream.
        """
        if images01.ndim != 4 or images01.shape[1] != 3:
            raise DreamganError(f"expected images of shape (B, 3, H, W), got {tuple(images01.shape)}")
        if torch.is_inference_mode_enabled() or images01.is_inference():
            # Gradient ascent needs autograd: leave inference mode, and clone inference tensors
            # outside it (the documented way to use them with autograd).
            with torch.inference_mode(False):
                return self.run(images01.clone(), progress, preview_every=preview_every)
        cfg = self.config
        x01 = images01.detach().to(self.device, torch.float32)  # read only: the caller's tensor is never changed
        if float(x01.min()) < 0 or float(x01.max()) > 1:
            x01 = x01.clamp(0, 1)
        gen = torch.Generator().manual_seed(cfg.seed)
        objective = self.objective.prepare(self.net, x01)
        h, w = x01.shape[-2:]
        sizes = octave_sizes(h, w, cfg.octaves, cfg.octave_scale, self.min_side)
        bases = [_resize(x01, s) for s in sizes]  # full size first
        total, done = len(sizes) * cfg.steps, 0
        detail = None
        for octave, base in enumerate(reversed(bases)):
            # detail transfer: what the dream added so far, upscaled onto this octave's photo
            img = base.clone() if detail is None else _resize(detail, base.shape[-2:]).add_(base).clamp_(0, 1)
            detail = None  # big images: free it while this octave ascends
            for i in range(cfg.steps):
                img, score = self.step(objective, img, gen)
                done += 1
                if progress is not None:
                    show = i == cfg.steps - 1 or (preview_every > 0 and done % preview_every == 0)
                    preview = _resize(img, (h, w)) if show else None
                    progress(Progress(done, total, octave + 1, len(sizes), tuple(base.shape[-2:]), score, preview))
            if octave < len(sizes) - 1:
                detail = img - base
        return img

    def total_steps(self, height: int, width: int) -> int:
        """How many ascent steps `run` takes for an image of this size."""
        cfg = self.config
        return len(octave_sizes(height, width, cfg.octaves, cfg.octave_scale, self.min_side)) * cfg.steps

    def score(self, images01: torch.Tensor, reference01: torch.Tensor | None = None) -> torch.Tensor:
        """(B,) objective J of images, for measurements.

        Input-dependent objectives (top-k) are bound on `reference01` (default: the images), so
        a photo, its true dream and a generated dream can be scored with one J.
        """
        return self.scores([images01], reference01 if reference01 is not None else images01)[0]

    @torch.no_grad()
    def scores(self, batches: list[torch.Tensor], reference01: torch.Tensor) -> list[torch.Tensor]:
        """`score` of several (B, 3, H, W) batches with one J, bound on `reference01` once."""
        objective = self.objective.prepare(self.net, reference01.to(self.device))
        return [self._score(objective, x.to(self.device)) for x in batches]


def dream(images01: torch.Tensor, config: DreamConfig | None = None, *, backbone: Backbone | None = None,
          objective: O.Objective | None = None, guide_x01: torch.Tensor | None = None,
          progress: Callable[[Progress], None] | None = None) -> torch.Tensor:
    """Dream a batch of images in one call.

    Args:
        images01: (B, 3, H, W) float in [0, 1], or (3, H, W) for one image.
        config: the recipe (default `DreamConfig()`: the tutorial layers of inception-v3-tf).
        backbone, objective, guide_x01, progress: see `DreamEngine` and `Progress`.

    Returns:
        The dreams, same shape as `images01`, float32 in [0, 1].
    """
    single = images01.ndim == 3
    x = images01[None] if single else images01
    out = DreamEngine(config or DreamConfig(), backbone=backbone, objective=objective, guide_x01=guide_x01).run(x, progress)
    return out[0] if single else out
