"""GAN losses (names as in pix2pix: loss_g_gan, loss_g_l1, loss_d_real, loss_d_fake) and the
dream-layer feature loss."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from dreamgan.models.config import GAN_MODES


class GANLoss(nn.Module):
    """Adversarial loss on discriminator logits.

    vanilla: BCE with logits (Goodfellow et al. 2014); lsgan: least squares (Mao et al. 2017);
    hinge: Lim & Ye 2017 (D: relu(1 ∓ logits), G: -logits).
    """

    def __init__(self, mode: str = "lsgan"):
        super().__init__()
        if mode not in GAN_MODES:
            raise ValueError(f"GAN loss must be one of {GAN_MODES}, got {mode!r}")
        self.mode = mode

    def forward(self, logits: torch.Tensor, target_is_real: bool, *, for_discriminator: bool = True) -> torch.Tensor:
        if self.mode == "hinge":
            if not for_discriminator:
                return -logits.mean()
            return F.relu(1 - logits).mean() if target_is_real else F.relu(1 + logits).mean()
        target = torch.full_like(logits, 1.0 if target_is_real else 0.0)
        if self.mode == "lsgan":
            return F.mse_loss(logits, target)
        return F.binary_cross_entropy_with_logits(logits, target)


class DreamFeatureLoss(nn.Module):
    """Match fake_b's activations to real_b's at the dream layers, each layer normalised.

    loss = mean over layers of  mean((φ_l(fake) - φ_l(real))²) / mean(φ_l(real)²)

    so every layer counts the same whatever its scale. `backbone` is frozen; gradients flow to
    fake_b only.
    """

    def __init__(self, backbone, layers: Sequence[str], weights: Sequence[float] | None = None):
        super().__init__()
        self.layers = [backbone.resolve_layer(l) for l in layers]
        self.weights = list(weights) if weights is not None else [1.0] * len(self.layers)
        self.min_side = backbone.min_size(backbone.deepest(self.layers))
        self.net = backbone.truncated(self.layers).folded()

    def forward(self, fake_b: torch.Tensor, real_b: torch.Tensor) -> torch.Tensor:
        from dreamgan.dream.engine import fit_min_size

        with torch.no_grad():
            target = self.net(fit_min_size(real_b, self.min_side), self.layers)
        acts = self.net(fit_min_size(fake_b, self.min_side), self.layers)
        total = 0.0
        for layer, w in zip(self.layers, self.weights):
            scale = target[layer].pow(2).mean() + 1e-8
            total = total + w * (acts[layer] - target[layer]).pow(2).mean() / scale
        return total / sum(self.weights)


class DreamObjectiveLoss(nn.Module):
    """Ask fake_b to excite the dream layers as much as the true dream does, and no more,
    under random jitter and scale transforms.

        attainment_T = (J(T fake_b) - J(T real_a)) / (J(T real_b) - J(T real_a))
        loss = mean over the batch of relu(1 - attainment_T)

    J is the dataset recipe's own objective (its layers and weighting). Two guards against the
    adversarial patterns that a bare `-J(fake_b)` term learns (measured: attainment 0.45 with
    rainbow streaks and a worse feature ratio):
      * the hinge: once fake_b reaches the true dream's J, the term is 0, so overshooting
        with streaks earns nothing;
      * `transforms`: each step draws one random roll (up to `jitter` of the crop side) and one
        rescale from `scales`, applied alike to photo, true dream and fake. Patterns that only
        work at one alignment and scale do not survive them; motifs do (Lucid's
        transformation robustness, Olah et al. 2017; the dream's own jitter and octaves).
    J and its network come from `engine`, the recipe's `DreamEngine` (the one the training
    loop scores with), so no second truncated copy of the backbone is built. The backbone is
    frozen; gradients reach fake_b only.
    """

    def __init__(self, engine, *, transforms: bool = True, jitter: float = 0.1,
                 scales: Sequence[float] = (1 / 1.4, 1.0, 1.4)):
        super().__init__()
        self.engine = engine
        self.transforms, self.jitter, self.scales = transforms, jitter, tuple(scales)

    def _transform(self, gen: torch.Generator | None):
        """One random T (roll + rescale), to apply alike to every image of a step."""
        if not self.transforms:
            return lambda x: x
        pick = lambda n: int(torch.randint(n, (1,), generator=gen))  # noqa: E731
        scale = self.scales[pick(len(self.scales))]
        frac_y, frac_x = (torch.rand(2, generator=gen) * 2 - 1) * self.jitter

        def apply(x: torch.Tensor) -> torch.Tensor:
            h, w = x.shape[-2:]
            x = torch.roll(x, shifts=(int(frac_y * h), int(frac_x * w)), dims=(2, 3))
            if scale != 1.0:
                x = F.interpolate(x, size=(max(8, round(h * scale)), max(8, round(w * scale))), mode="bilinear",
                                  align_corners=False, antialias=scale < 1)
            return x

        return apply

    def forward(self, fake_b: torch.Tensor, real_a: torch.Tensor, real_b: torch.Tensor,
                gen: torch.Generator | None = None) -> torch.Tensor:
        """fake_b, real_a, real_b: (B, 3, H, W) in [0, 1] → scalar loss in [0, ∞) (0 once matched)."""
        t = self._transform(gen)
        engine = self.engine
        with torch.no_grad():
            objective = engine.objective.prepare(engine.net, t(real_a))
            j_a, j_b = objective(engine.activations(t(real_a))), objective(engine.activations(t(real_b)))
        j_f = objective(engine.activations(t(fake_b)))
        attainment = (j_f - j_a) / (j_b - j_a).clamp_min(1e-6)
        return F.relu(1.0 - attainment).mean()


def residual_roughness_loss(fake_b: torch.Tensor, real_a: torch.Tensor, real_b: torch.Tensor) -> torch.Tensor:
    """Guarded total variation: the fake's change to the photo may be as rough as the true
    dream's change, and no rougher.

        loss = mean over the batch of relu(TV(fake_b - real_a) - TV(real_b - real_a))

    TV is the engine's `total_variation` (mean absolute neighbour difference). A plain TV term
    would also fight the dream's own high-frequency motifs; this one only bites on residuals
    rougher than the target's (the streaks and grids that game J). Inputs (B, 3, H, W) in
    [0, 1]; the result is a scalar ≥ 0, 0 for the true dream and for the photo.
    """
    from dreamgan.dream.engine import total_variation

    with torch.no_grad():
        limit = total_variation(real_b - real_a)
    return F.relu(total_variation(fake_b - real_a) - limit).mean()


def diversity_hinge(fake_b: torch.Tensor, fake_b2: torch.Tensor, real_a: torch.Tensor, real_b: torch.Tensor) -> torch.Tensor:
    """Two dreams of one photo, drawn with other noise, must differ: a bounded diversity term
    against the noise being ignored (Ulyanov et al., "Improved Texture Networks", 2017, and the
    mode-seeking loss of Mao et al., CVPR 2019, in a hinge form).

        loss = mean over the batch of relu(1 - L1(fake_b, fake_b2) / L1(real_a, real_b))

    The yardstick is the true dream's own change to the photo (two true dreams with other jitter
    seeds differ by about 1.3× that), so the term asks for no more variety than real dreams
    have, and stops pushing once it is there. Inputs (B, 3, H, W) in [0, 1]; the result is a
    scalar in [0, 1]: 1 when the two fakes are equal (the noise ignored), 0 once they differ
    as much as a dream differs from its photo.
    """
    with torch.no_grad():
        target = (real_b - real_a).abs().flatten(1).mean(1).clamp_min(1e-6)  # (B,)
    apart = (fake_b - fake_b2).abs().flatten(1).mean(1)  # (B,)
    return F.relu(1.0 - apart / target).mean()


def shift_consistency(g, real_a: torch.Tensor, generator: torch.Generator | None = None, *, part: tuple[int, int] = (0, 1),
                      margin: int = 8, g_dtype: torch.dtype | None = None) -> torch.Tensor:
    """How far G is from commuting with a shift of photo and noise together:

        loss = L1( G(crop_0(x), crop_0(z))[overlap], G(crop_d(x), crop_d(z))[overlap] )

    crop_d takes a (c, c) window at offset d = (dy, dx), each drawn from the multiples of r in
    [r, m), m the generator's multiple (2^levels · r: its coarsest stride) and r its
    `unshuffle` (1 for most), so d is never a multiple of the stride; c = the largest multiple
    of m that fits beside the offset, so neither window is padded. z is one noise field at the
    network's full size (the generator draws it so, `UNetGeometry.full_res_noise`: at 1/r of the
    photo's) cut at the same offsets (d / r). Where the two windows overlap (less
    `margin` px on every side, where their padding differs), a generator whose motifs are
    placed by photo and noise draws the same pixels; one that places them on its own grid draws
    them elsewhere. This is the equivariance asked for by "Making Convolutional Networks
    Shift-Invariant Again" (Zhang 2019) and alias-free GANs (Karras et al. 2021), as a loss.

    g: a `NoisyResidualGenerator` (or its DDP wrapper) with `full_res_noise`; real_a (B, 3, H, W)
    in [0, 1], H and W ≥ 2m; `generator` draws d and the noise (for the global batch, `part`
    kept, as `UNetGeometry.draw_noise`); `g_dtype`: G's passes autocast to it. Two extra G passes
    on c-px windows. Returns a scalar ≥ 0 (0 for the identity and for any shift-equivariant G).
    """
    from dreamgan.devices import autocast_to

    geometry = getattr(g, "module", g).geometry
    m = geometry.multiple
    h, w = real_a.shape[-2:]
    ch, cw = ((h - 1) // m) * m, ((w - 1) // m) * m
    if min(ch, cw) < m or min(ch, cw) <= 2 * margin + m:
        raise ValueError(f"shift consistency needs crops of at least {2 * m} px and > 2·margin + {m}, got {h}×{w}")
    r = geometry.unshuffle
    dy, dx = (r * int(v) for v in torch.randint(1, m // r, (2,), generator=generator))
    field = geometry.draw_noise(real_a, generator, part)  # the noise the whole crop would meet, at full size
    (zy, zx), (zh, zw) = (dy // r, dx // r), (ch // r, cw // r)
    with autocast_to(real_a.device.type, g_dtype):
        f0 = g(real_a[..., :ch, :cw], None, part, [z[..., :zh, :zw] for z in field])
        fd = g(real_a[..., dy:dy + ch, dx:dx + cw], None, part, [z[..., zy:zy + zh, zx:zx + zw] for z in field])
    f0 = f0.float()[..., dy + margin:ch - margin, dx + margin:cw - margin]
    fd = fd.float()[..., margin:ch - dy - margin, margin:cw - dx - margin]
    return F.l1_loss(f0, fd)


class DreamStatsLoss(nn.Module):
    """Position-free dream loss: match the *distribution* of the fake's feature vectors to the
    true dream's, per image, at several backbone layers (`dreamgan.metrics.stats`).

        loss = mean over layers of  D(φ_l(fake_b), φ_l(real_b)) / N_l

    D is the sliced Wasserstein distance with `projections` unit directions per layer drawn
    afresh every call (kind 'swd'), or the Gram distance (kind 'gram'). Where the motifs fall
    does not matter, which is what lets a generator with a noise input draw a dream of its own
    instead of the blurred mean of all possible dreams.

    N_l normalises each layer (`norm`):
      * 'energy': the true dream's mean square at that layer (each layer on one scale);
      * 'photo': D(φ_l(real_a), φ_l(real_b)), the same distance for the photo, so every layer
        starts at 1 at the identity and counts by how much *dream* it holds. With 'energy' the
        deep dream layers dominate (on 128-px crops their D is ≈10× the shallow layers'), and
        the shallow layers that carry the motifs' fine texture have almost no say.

    `tag_weight` > 0 (kind 'swd') conditions the statistics on the photo: every feature vector
    of fake and true dream carries the photo's tag at its position (`metrics.stats.photo_tags`, a
    fixed 8-dim projection of the photo's own activations at that layer), so one motif stamped
    on every kind of content no longer matches (`tagged_sliced_wasserstein`).

    `pooled` compares the whole batch's feature vectors as one set against the whole true
    batch's (unpaired: a noise → dream generator's samples against as many true-dream crops,
    Heitz et al.'s sliced-Wasserstein texture loss over a batch); it needs norm 'energy' and no
    tags, which need a photo per fake; true crops of another size are resized to the samples'.

    `shift` > 0 (pooled only) rolls the samples circularly by one random offset in [0, shift)
    px per axis, drawn from `generator` each call, before the backbone reads them, so their
    pattern meets the backbone's stride grid at a new phase every step (the true crops are cut
    at random places already). The samples of a circular-padded generator wrap without a
    seam, so the roll adds no edge.

    `scale` > 1 (pooled only) reads samples and true crops alike enlarged by one random factor
    in [1, scale] per call (bilinear). With `shift` it is the transformation robustness of
    feature visualisation (Olah et al. 2017). Read plain, the term can be met by a pixel
    pattern fitted to one sampling grid: images optimised directly on it turn to coloured
    pixel noise; through rolls and enlargements they draw eyes, swirls and meshes
    (`docs/stats_robustness_figure.py`).

    `dtype` (e.g. bfloat16): the backbone's passes are autocast to it (`devices.autocast_dtype`;
    on a CPU with bf16 units its forward pass costs about a third of float32's); the features
    are cast back to float32 before the distances, so sorting, projections and normalisation
    stay float32. None: float32 throughout.

    `backbone` is frozen; gradients reach fake_b only.
    """

    def __init__(self, backbone, layers: Sequence[str], *, kind: str = "swd", projections: int = 64, norm: str = "energy",
                 tag_weight: float = 0.0, tag_dims: int = 8, pooled: bool = False, shift: int = 0,
                 scale: float = 1.0, dtype: torch.dtype | None = None):
        super().__init__()
        from dreamgan.metrics.stats import STATS_KINDS, STATS_NORMS

        if kind not in STATS_KINDS:
            raise ValueError(f"dream-statistics loss must be one of {STATS_KINDS}, got {kind!r}")
        if norm not in STATS_NORMS:
            raise ValueError(f"dream-statistics normalisation must be one of {STATS_NORMS}, got {norm!r}")
        if projections < 1:
            raise ValueError("projections must be ≥ 1")
        if tag_weight < 0 or (tag_weight > 0 and kind != "swd"):
            raise ValueError("tag_weight must be ≥ 0, and tags need kind 'swd'")
        if pooled and (norm != "energy" or tag_weight > 0):
            raise ValueError("pooled statistics need norm 'energy' and no photo tags")
        if shift < 0 or scale < 1 or ((shift > 0 or scale > 1) and not pooled):
            raise ValueError("shift must be ≥ 0 and scale ≥ 1, and only pooled statistics (a noise generator's samples) "
                             "shift or scale")
        self.pooled, self.shift, self.scale, self.dtype = pooled, shift, scale, dtype
        self.layers = [backbone.resolve_layer(l) for l in layers]
        self.kind, self.projections, self.norm = kind, projections, norm
        self.tag_weight, self.tag_dims = tag_weight, tag_dims
        self.min_side = backbone.min_size(backbone.deepest(self.layers))
        self.net = backbone.truncated(self.layers).folded()
        for p in self.net.parameters():
            p.requires_grad_(False)

    def _transformed(self, fake_b: torch.Tensor, real_b: torch.Tensor, generator) -> tuple[torch.Tensor, torch.Tensor]:
        """The samples rolled by a random offset (`shift`), then both enlarged by one random factor (`scale`)."""
        if self.shift > 0:
            dy, dx = torch.randint(self.shift, (2,), generator=generator).tolist()
            fake_b = fake_b.roll((dy, dx), dims=(-2, -1))
        if self.scale > 1:
            s = 1 + (self.scale - 1) * float(torch.rand((), generator=generator))
            size = [round(n * s) for n in fake_b.shape[-2:]]
            fake_b, real_b = (F.interpolate(x, size=size, mode="bilinear", align_corners=False) for x in (fake_b, real_b))
        return fake_b, real_b

    def _features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """x (B, 3, H, W) in [0, 1] → {layer: (B, C, h, w) float32}, the backbone's pass autocast to `dtype`."""
        from dreamgan.devices import autocast_to
        from dreamgan.dream.engine import fit_min_size

        with autocast_to(x.device.type, self.dtype):
            acts = self.net(fit_min_size(x, self.min_side), self.layers)
        return {layer: a.float() for layer, a in acts.items()}

    def forward(self, fake_b: torch.Tensor, real_b: torch.Tensor, *, real_a: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """fake_b, real_b (and real_a, needed by norm 'photo'): (B, 3, H, W) in [0, 1] → scalar
        ≥ 0 (0 when the feature sets agree; ≈1 for the photo under norm 'photo')."""
        from dreamgan.metrics.stats import gram_distance, one_set, photo_tags, sliced_wasserstein, tagged_sliced_wasserstein, unit_projections

        needs_photo = self.norm == "photo" or self.tag_weight > 0
        if needs_photo and real_a is None:
            raise ValueError("norm 'photo' (and photo tags) needs real_a")
        if self.pooled and real_b.shape[-2:] != fake_b.shape[-2:]:  # crops of a dataset smaller than the samples
            real_b = F.interpolate(real_b, size=fake_b.shape[-2:], mode="bilinear", antialias=True, align_corners=False)
        fake_b, real_b = self._transformed(fake_b, real_b, generator)
        with torch.no_grad():
            target = self._features(real_b)
            photo = self._features(real_a) if needs_photo else None
        acts = self._features(fake_b)
        total = 0.0
        for i, layer in enumerate(self.layers):
            t, f = target[layer], acts[layer]
            if self.pooled:
                t, f = one_set(t), one_set(f)
            if self.kind == "swd" and self.tag_weight > 0:
                proj = unit_projections(t.shape[1], self.projections, generator=generator, device=t.device)
                tag_proj = unit_projections(self.tag_dims, self.projections, generator=generator, device=t.device)
                tags = photo_tags(photo[layer], self.tag_dims, seed=i)
                distance = lambda x: tagged_sliced_wasserstein(x, t, tags, proj, tag_proj, self.tag_weight)  # noqa: E731
            elif self.kind == "swd":
                proj = unit_projections(t.shape[1], self.projections, generator=generator, device=t.device)
                distance = lambda x: sliced_wasserstein(x, t, proj)  # noqa: E731
            else:
                distance = lambda x: gram_distance(x, t)  # noqa: E731
            if self.norm == "photo":
                with torch.no_grad():
                    scale = distance(photo[layer]).clamp_min(1e-12)  # (B,)
            else:
                scale = t.pow(2).flatten(1).mean(1) + 1e-8  # (B,); a Gram matrix scales with its square
                scale = scale if self.kind == "swd" else scale.pow(2)
            total = total + (distance(f) / scale).mean()
        return total / len(self.layers)


def lowpass_l1(fake_b: torch.Tensor, real_b: torch.Tensor, factor: int = 8) -> torch.Tensor:
    """L1 between `factor`×-downsampled (box-averaged) images: an anchor for the photo's layout
    and the dream's colour shift that leaves the motifs' detail free. (B, 3, H, W) in [0, 1] →
    scalar ≥ 0."""
    k = max(1, min(factor, *fake_b.shape[-2:]))
    return F.l1_loss(F.avg_pool2d(fake_b, k, ceil_mode=True), F.avg_pool2d(real_b, k, ceil_mode=True))
