"""A discriminator in the frozen dreaming network's feature space (Sauer et al., "Projected GANs
Converge Faster", NeurIPS 2021), with differentiable augmentation (Zhao et al., "Differentiable
Augmentation for Data-Efficient GAN Training", NeurIPS 2020).

The statistics loss compares a dream's features through 64 random directions; it cannot see how
motifs are *arranged* or how many kinds there are. Small patch discriminators on the backbone's
own features at a few layers can: each sees the dream's features beside the photo's at the same
positions (conditional, as pix2pix's PatchGAN) and judges each cell, so "one orb stamped on every
kind of content" is something they learn to reject.

    D(a, b) = [head_l(cat(φ_l(b), φ_l(a))) for l in layers]   (patch logits per layer; a and b as the step augmented them)

The backbone is frozen and not a registered submodule (out of the optimiser and checkpoints).
The discriminator itself draws no random numbers: DiffAugment (colour, translation, cutout;
Projected GAN trains with it) is the training step's (`pix2pix_step` / `dcgan_step` with
`augment=True`), applied to the photo and the dream together with draws from the step's seeded
generator, so real and fake pairs meet the same augmentations and a run's weights depend on its
seed alone; it is differentiable, so G's gradient passes through it.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


class ProjectedDiscriminator(nn.Module):
    """Patch discriminators on the frozen backbone's features at `layers`, conditional on the
    photo (pix2pix) or not (noise → dream).

    Args:
        backbone: a `Backbone` (the dataset's, e.g. Inception's conv_4, mixed_3, mixed_5; or
            EfficientNet-Lite0's blocks for noise → dream, as Projected GAN).
        layers: the layers to judge at.
        width: channels of each head.
        conditional: each head sees the photo's features beside the dream's.
        min_input: images smaller than this are resized up to it first (the backbone's features
            of a 64 px crop are too coarse).

    forward(real_a, b) (conditional) or forward(b): (B, 3, H, W) in [0, 1] each → (B, N) logits,
    the patch logits of every layer, flattened and concatenated (a `GANLoss` takes them as any
    other logits).
    """

    def __init__(self, backbone, layers: Sequence[str], *, width: int = 64, conditional: bool = True,
                 min_input: int = 0):
        super().__init__()
        from dreamgan.dream.engine import fit_min_size  # noqa: F401  (checked here: the forward uses it)

        self.layers = [backbone.resolve_layer(l) for l in layers]
        self.min_side = max(backbone.min_size(backbone.deepest(self.layers)), min_input)
        self.conditional = conditional
        net = backbone.truncated(self.layers).folded().eval()
        for p in net.parameters():
            p.requires_grad_(False)
        with torch.no_grad():
            probe = net(torch.zeros(1, 3, max(self.min_side, 96), max(self.min_side, 96)), self.layers)
        object.__setattr__(self, "_backbone", net)  # hidden from state_dict / parameters()
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Conv2d((2 if conditional else 1) * probe[l].shape[1], width, 1), nn.LeakyReLU(0.2),
                          nn.utils.spectral_norm(nn.Conv2d(width, width, 3, 1, 1)), nn.LeakyReLU(0.2),
                          nn.Conv2d(width, 1, 1))
            for l in self.layers)

    def forward(self, *images: torch.Tensor) -> torch.Tensor:
        from dreamgan.dream.engine import fit_min_size

        net = self._backbone
        b = images[-1]
        if net.mean.device != b.device:
            net.to(b.device)
        dream = net(fit_min_size(images[-1], self.min_side), self.layers)  # gradients flow to b (G), not to the backbone
        if self.conditional:
            with torch.no_grad():
                photo = net(fit_min_size(images[0], self.min_side), self.layers)
            dream = {l: torch.cat([dream[l], photo[l]], 1) for l in self.layers}
        logits = [head(dream[l]).flatten(1) for l, head in zip(self.layers, self.heads)]
        return torch.cat(logits, 1)


__all__ = ["ProjectedDiscriminator"]
