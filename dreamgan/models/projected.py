"""A discriminator in the frozen dreaming network's feature space (Sauer et al., "Projected GANs
Converge Faster", NeurIPS 2021), with differentiable augmentation (Zhao et al., "Differentiable
Augmentation for Data-Efficient GAN Training", NeurIPS 2020).

The statistics loss compares a dream's features through 64 random directions; it cannot see how
motifs are *arranged* or how many kinds there are. Small patch discriminators on the backbone's
own features at a few layers can: each sees the dream's features beside the photo's at the same
positions (conditional, as pix2pix's PatchGAN) and judges each cell, so "one orb stamped on every
kind of content" is something they learn to reject.

    D(a, b) = [head_l(cat(φ_l(aug(b)), φ_l(aug(a)))) for l in layers]   (patch logits per layer)

The backbone is frozen and not a registered submodule (out of the optimiser and checkpoints).
DiffAugment (colour, translation, cutout) is applied in training mode, to the photo and the
dream together and with fresh parameters on every call, so real and fake pairs meet the same
augmentations; it is differentiable, so G's gradient passes through it.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


def diff_augment(a: torch.Tensor, b: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """DiffAugment's colour, translation and cutout, the same draw on a photo and its dream.

    Args:
        a, b: (B, 3, H, W) in [0, 1].

    Returns:
        the augmented (a, b), (B, 3, H, W), differentiable in both (values may leave [0, 1]).
    """
    n, _, h, w = b.shape
    rand = lambda *shape: torch.rand(*shape, generator=generator).to(b.device)  # noqa: E731
    # 1. colour: brightness ±0.5, saturation ×[0, 2], contrast ×[0.5, 1.5] (one draw per image)
    brightness, saturation, contrast = rand(n, 1, 1, 1) - 0.5, rand(n, 1, 1, 1) * 2, rand(n, 1, 1, 1) + 0.5

    def colour(x):
        x = x + brightness
        mean = x.mean(1, keepdim=True)
        x = (x - mean) * saturation + mean
        mean = x.mean((1, 2, 3), keepdim=True)
        return (x - mean) * contrast + mean

    # 2. translation by up to 1/8 of the size, zero-filled
    shift = ((rand(n, 2) * 2 - 1) * torch.tensor([h, w], device=b.device) / 8).round().long()
    grid_y, grid_x = torch.meshgrid(torch.arange(h, device=b.device), torch.arange(w, device=b.device), indexing="ij")
    src_y = grid_y.unsqueeze(0) - shift[:, 0].view(n, 1, 1)
    src_x = grid_x.unsqueeze(0) - shift[:, 1].view(n, 1, 1)
    inside = ((src_y >= 0) & (src_y < h) & (src_x >= 0) & (src_x < w)).unsqueeze(1).float()
    index = (src_y.clamp(0, h - 1) * w + src_x.clamp(0, w - 1)).view(n, 1, -1).expand(-1, 3, -1)

    def translate(x):
        return torch.gather(x.flatten(2), 2, index).view_as(x) * inside

    # 3. cutout: a zeroed square of half the size, anywhere
    cy, cx = (rand(n) * h).long(), (rand(n) * w).long()
    keep = ~(((grid_y.unsqueeze(0) - cy.view(n, 1, 1)).abs() < h // 4) & ((grid_x.unsqueeze(0) - cx.view(n, 1, 1)).abs() < w // 4))
    keep = keep.unsqueeze(1).float()
    return tuple(translate(colour(x)) * keep for x in (a, b))


class ProjectedDiscriminator(nn.Module):
    """Conditional patch discriminators on the frozen backbone's features at `layers`.

    Args:
        backbone: a `Backbone` (the dataset's, e.g. Inception's conv_4, mixed_3, mixed_5).
        layers: the layers to judge at.
        width: channels of each head.
        augment: apply `diff_augment` in training mode.

    forward(real_a, b): (B, 3, H, W) in [0, 1] each → (B, N) logits, the patch logits of every
    layer, flattened and concatenated (a `GANLoss` takes them as any other logits).
    """

    def __init__(self, backbone, layers: Sequence[str], *, width: int = 64, augment: bool = True):
        super().__init__()
        from dreamgan.dream.engine import fit_min_size  # noqa: F401  (checked here: the forward uses it)

        self.layers = [backbone.resolve_layer(l) for l in layers]
        self.min_side = backbone.min_size(backbone.deepest(self.layers))
        net = backbone.truncated(self.layers).folded().eval()
        for p in net.parameters():
            p.requires_grad_(False)
        with torch.no_grad():
            probe = net(torch.zeros(1, 3, max(self.min_side, 96), max(self.min_side, 96)), self.layers)
        object.__setattr__(self, "_backbone", net)  # hidden from state_dict / parameters()
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Conv2d(2 * probe[l].shape[1], width, 1), nn.LeakyReLU(0.2),
                          nn.utils.spectral_norm(nn.Conv2d(width, width, 3, 1, 1)), nn.LeakyReLU(0.2),
                          nn.Conv2d(width, 1, 1))
            for l in self.layers)
        self.augment = augment

    def forward(self, real_a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        from dreamgan.dream.engine import fit_min_size

        net = self._backbone
        if net.mean.device != b.device:
            net.to(b.device)
        if self.training and self.augment:
            real_a, b = diff_augment(real_a, b)
        with torch.no_grad():
            photo = net(fit_min_size(real_a, self.min_side), self.layers)
        dream = net(fit_min_size(b, self.min_side), self.layers)  # gradients flow to b (G), not to the backbone
        logits = [head(torch.cat([dream[l], photo[l]], 1)).flatten(1) for l, head in zip(self.layers, self.heads)]
        return torch.cat(logits, 1)


__all__ = ["ProjectedDiscriminator", "diff_augment"]
