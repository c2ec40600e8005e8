"""Coarse to fine: one residual generator applied once per octave, as the classical engine's
octave loop does (SinGAN, Shaham et al. 2019, and ConSinGAN, Hinz et al. 2021, for a shared
coarse-to-fine generator; Wang et al. 2017, multimodal transfer).

A single pass at full size can only grow motifs as large as its receptive field lets it, while
the true dream's largest swirls and eyes formed at the engine's coarsest octave. So:

    x_0 = photo at the smallest octave;        b_0 = G(x_0)
    x_k = photo at octave k + up(b_{k−1} − photo at octave k−1);   b_k = G(x_k)   (k = 1 … K−1)

with the same G every time (its noise drawn afresh per octave). What G adds at a coarse octave
is carried up as detail, and G refines it at the next. Cost: Σ_k scale^(−2k) passes, 1.9× one
pass for 4 octaves of 1.4.
"""
from __future__ import annotations

import torch
from torch import nn


class OctaveGenerator(nn.Module):
    """`g` applied coarse to fine over `octaves` octaves `scale` apart (see the module docstring).

    forward: real_a (B, 3, H, W) in [0, 1] → fake_b (B, 3, H, W) in [0, 1]; `generator` draws
    every octave's noise, in order, so a seed fixes the pixels.
    """

    def __init__(self, g: nn.Module, octaves: int = 3, scale: float = 1.4, min_side: int = 32):
        super().__init__()
        if octaves < 1 or scale <= 1:
            raise ValueError("octaves must be ≥ 1 and scale > 1")
        self.g, self.octaves, self.scale, self.min_side = g, octaves, scale, min_side

    def forward(self, real_a: torch.Tensor, generator: torch.Generator | None = None,
                part: tuple[int, int] = (0, 1)) -> torch.Tensor:
        from dreamgan.dream.engine import _resize, octave_sizes

        h, w = real_a.shape[-2:]
        sizes = octave_sizes(h, w, self.octaves, self.scale, min(self.min_side, h, w))[::-1]  # smallest first
        detail, fake_b = None, real_a
        for size in sizes:
            x = _resize(real_a, size)
            if detail is not None:
                x = (x + _resize(detail, size)).clamp(0, 1)
            fake_b = self.g(x, generator, part)
            detail = fake_b - _resize(real_a, size)  # what the dream added at this octave
        return fake_b


__all__ = ["OctaveGenerator"]
