"""DiffAugment (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training",
NeurIPS 2020): colour, translation and cutout applied alike to what D sees of real and fake
images, differentiable, so a discriminator on few images does not memorise them and G's
gradient passes through the augmentation.
"""
from __future__ import annotations

import torch


def diff_augment(*images: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, ...]:
    """DiffAugment's colour, translation and cutout, one draw per batch index applied alike to
    every tensor given (a photo and its dream get the same augmentation).

    Args:
        images: one or more (B, 3, H, W) tensors in [0, 1], all of one shape.
        generator: draws the augmentation parameters (fresh on every call).

    Returns:
        the augmented tensors, same shapes, differentiable (values may leave [0, 1]).
    """
    b = images[0]
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
    return tuple(translate(colour(x)) * keep for x in images)


__all__ = ["diff_augment"]
