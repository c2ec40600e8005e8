"""A shift-equivariant photo → dream generator: a context aggregation network of dilated
convolutions at (1/r of) full resolution, with a noise input (Yu & Koltun 2016, dilated
convolutions; Chen, Xu & Koltun 2017, "Fast Image Processing with Fully-Convolutional
Networks", the CAN; Ulyanov et al. 2016 for the noise).

Why not the U-Net: its coarsest level has one cell per 32 px, and a noisy U-Net learns one motif
per cell at the same place in every cell, a lattice about 32–40 px apart on every photo (the
lattice index of `dreamgan.metrics`). Here no layer is strided: a shift of the photo (by the
unshuffle factor r) shifts the dream, and nothing in the network marks a grid, so where a motif
grows depends only on the photo and the noise around it.

Two grids it avoids on purpose:
  * dilations that are powers of two leave a checkerboard at the largest rate ("gridding", Wang
    et al. 2018, hybrid dilated convolution), so the rates grow as 1, 2, 3, 5, 8, 13, 21 (no
    common factor between neighbours). Receptive field: 2·(2 + Σ rates) + 1 cells of r px
    (depth 6, r = 2: 133 px across);
  * a pixel-shuffled output gives each of the r² sub-pixel positions its own output channel,
    and it learns a fixed sub-pixel offset: a stripe of period r everywhere. Here the features
    are reduced to 8 channels, upsampled bilinearly, and a 3×3 conv at full resolution on them
    and the photo draws the residual.

    fake_b = clamp(real_a + G(real_a, z), 0, 1),   G's last conv zero-initialised → G ≡ 0 at init

The same `UNetGeometry` describes its input (depth 0: pad to a multiple of r; one noise map of
`noise` channels at 1/r resolution), so seeds, videos' moving noise and the ONNX export work as
for the U-Net. The noise map is re-injected into every block through a learned 1×1 conv.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dreamgan.images import to_minus_one_one
from dreamgan.models.pix2pix import NoisyResidualGenerator, UNetGeometry


class _Block(nn.Module):
    """Residual dilated 3×3 conv → InstanceNorm → LeakyReLU, plus the noise projected in."""

    def __init__(self, width: int, dilation: int, noise: int):
        super().__init__()
        self.conv = nn.Conv2d(width, width, 3, 1, dilation, dilation=dilation, padding_mode="replicate")
        self.norm = nn.InstanceNorm2d(width, affine=True)
        self.noise = nn.Conv2d(noise, width, 1, bias=False) if noise else None

    def forward(self, x: torch.Tensor, z: torch.Tensor | None) -> torch.Tensor:
        y = self.conv(x)
        if self.noise is not None:
            y = y + self.noise(z)
        return x + F.leaky_relu(self.norm(y), 0.2)


RATES = (1, 2, 3, 5, 8, 13, 21, 34)
"""Dilation rates of the blocks, in order (`depth` of them, then one of rate 1)."""


class DilatedResidualNet(NoisyResidualGenerator):
    """Photo → dream residual by dilated convolutions, no striding (see the module docstring).

    Args:
        width: channels of every block.
        depth: blocks with the first `depth` of `RATES` (1, 2, 3, 5, 8, …), then one of rate 1.
        unshuffle: r: runs at 1/r resolution on space-to-depth input (3·r² channels).
        noise: channels of the N(0, 1) noise map at 1/r resolution (0 = deterministic).

    forward: real_a (B, 3, H, W) in [0, 1] → fake_b (B, 3, H, W) in [0, 1], any H, W ≥ 1.
    """

    def __init__(self, width: int = 32, depth: int = 5, unshuffle: int = 2, noise: int = 4):
        super().__init__()
        if width < 1 or not 1 <= depth <= len(RATES) or unshuffle < 1 or noise < 0:
            raise ValueError(f"width and unshuffle must be ≥ 1, depth in 1..{len(RATES)}, noise ≥ 0")
        self.depth, self.unshuffle, self.noise = depth, unshuffle, noise
        self.geometry = UNetGeometry(0, unshuffle, (noise,))
        c_io = 3 * unshuffle ** 2
        self.stem = nn.Sequential(nn.Conv2d(c_io + noise, width, 3, 1, 1, padding_mode="replicate"), nn.LeakyReLU(0.2))
        self.blocks = nn.ModuleList(_Block(width, rate, noise) for rate in (*RATES[:depth], 1))
        self.reduce = nn.Sequential(nn.Conv2d(width, 8, 1), nn.LeakyReLU(0.2))
        self.head = nn.Conv2d(8 + 3, 3, 3, 1, 1, padding_mode="replicate")
        nn.init.zeros_(self.head.weight)  # G ≡ 0 at init: fake_b = real_a exactly
        nn.init.zeros_(self.head.bias)

    def core(self, padded: torch.Tensor, noises: list[torch.Tensor]) -> torch.Tensor:
        """padded (B, 3, H', W') in [0, 1] (H', W' multiples of r) and its noise → residual (B, 3, H', W')."""
        photo = to_minus_one_one(padded)
        x = F.pixel_unshuffle(photo, self.unshuffle) if self.unshuffle > 1 else photo  # (B, 3r², H/r, W/r)
        z = noises[0] if self.noise else None
        y = self.stem(torch.cat([x, z], 1) if z is not None else x)
        for block in self.blocks:
            y = block(y, z)
        y = self.reduce(y)  # (B, 8, H/r, W/r)
        if self.unshuffle > 1:
            y = F.interpolate(y, scale_factor=self.unshuffle, mode="bilinear", align_corners=False)
        return self.head(torch.cat([y, photo], 1))  # (B, 3, H, W)
