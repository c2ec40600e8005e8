"""GAN losses (names as in pix2pix: loss_g_gan, loss_g_l1, loss_d_real, loss_d_fake) and the
dream-layer feature loss."""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

GAN_MODES = ("vanilla", "lsgan", "hinge")


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
