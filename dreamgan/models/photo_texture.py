"""The noise → dream recipe's texture generator, given the photo at every scale.

The U-Net generators put their noise into the *encoder* and decode one motif per cell of their
deepest level (docs/results.md, "The lattice of one motif"). The noise → dream recipe's
`TextureGenerator` draws real dream textures from a pyramid of fresh noise, one scale at a time,
coarse to fine. This generator is that decoder, conditioned on the photo:

    e_0 … e_L  = the photo's features at 1, 1/2, … 1/2^L of its size (blur before every stride)
    y_L        = convs(cat(e_L, z_L))
    y_j        = convs(cat(bilinear×2(y_{j+1}), e_j, z_j))        j = L − 1 … 0
    fake_b     = clamp(photo + head(y_0), 0, 1)                    head zero-initialised: G ≡ identity at init

z_j is fresh N(0, 1) noise drawn at the full (padded) size and area-pooled to 1/2^j (unit
variance again), so a shift of photo and noise by any number of pixels shifts what every scale
sees: no 2^L-px cell fixes where a motif sits. Two 3×3 convs with BatchNorm and LeakyReLU at
every scale, reflect padding (a photo does not wrap).

With `unshuffle` r > 1 the whole network runs at 1/r of the photo's size on its space-to-depth
rearrangement (3·r² channels in, 3·r² out, pixel-shuffled back; Shi et al. 2016): every pixel is
still predicted, at about 1/r² of the cost, and each scale sees r times as far in photo pixels.
The noise is then drawn at 1/r of the padded size.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dreamgan.images import to_minus_one_one
from dreamgan.models.pix2pix import Blur, NoisyResidualGenerator, UNetGeometry, pooled_noise


def _convs(c_in: int, c_out: int) -> nn.Sequential:
    """Two 3×3 convs, each with BatchNorm and LeakyReLU(0.2), reflect-padded."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False, padding_mode="reflect"), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2),
                         nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False, padding_mode="reflect"), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2))


class PhotoTextureGenerator(NoisyResidualGenerator):
    """Photo + noise pyramid → dream, decoded coarse to fine with noise at every scale.

    Args:
        ngf: width at full size; ×2 per scale, capped at 4·ngf.
        levels: stride-2 scales (inputs are reflect-padded to a multiple of 2^levels).
        noise: fresh noise channels at each of the levels + 1 scales (0 = deterministic).
        unshuffle: r ≥ 1, the network's resolution is 1/r of the photo's (see the module docstring).

    forward: real_a (B, 3, H, W) in [0, 1] → fake_b (B, 3, H, W) in [0, 1], any H, W ≥ 2; the
    noise comes from the `generator` passed (a seed fixes the pixels), drawn at the padded size
    (`UNetGeometry(full_res_noise=True)`), so ONNX export, videos' moving noise and seeds work as
    for the U-Net.
    """

    def __init__(self, ngf: int = 32, levels: int = 4, noise: int = 4, unshuffle: int = 1):
        super().__init__()
        if levels < 1 or noise < 0 or ngf < 1 or unshuffle < 1:
            raise ValueError("levels, ngf and unshuffle must be ≥ 1, noise ≥ 0")
        self.levels, self.noise, self.unshuffle = levels, noise, unshuffle
        self.geometry = UNetGeometry(levels, unshuffle, (noise,) * (levels + 1), full_res_noise=True,
                                     min_side=2 ** (levels + 1) * unshuffle)
        widths = [min(ngf * 2 ** j, ngf * 4) for j in range(levels + 1)]
        c_io = 3 * unshuffle ** 2
        self.stem = nn.Sequential(nn.Conv2d(c_io, widths[0], 3, 1, 1, padding_mode="reflect"), nn.LeakyReLU(0.2))
        self.downs = nn.ModuleList(
            nn.Sequential(Blur(widths[j]), nn.Conv2d(widths[j], widths[j + 1], 3, 2, 1, bias=False, padding_mode="reflect"),
                          nn.BatchNorm2d(widths[j + 1]), nn.LeakyReLU(0.2))
            for j in range(levels))
        self.coarsest = _convs(widths[levels] + noise, widths[levels])
        self.decoder = nn.ModuleList(_convs(widths[j + 1] + widths[j] + noise, widths[j]) for j in reversed(range(levels)))
        self.head = nn.Conv2d(widths[0], c_io, 3, 1, 1, padding_mode="reflect")
        nn.init.zeros_(self.head.weight)  # G ≡ 0 at init: fake_b = real_a exactly
        nn.init.zeros_(self.head.bias)

    def _noise_at(self, noises: list[torch.Tensor], j: int) -> list[torch.Tensor]:
        """Scale j's noise (B, noise, H/2^j, W/2^j) at unit variance, or nothing without noise."""
        return [pooled_noise(noises[j], 2 ** j)] if self.noise else []

    def core(self, padded: torch.Tensor, noises: list[torch.Tensor]) -> torch.Tensor:
        """padded (B, 3, H', W') in [0, 1], H' and W' multiples of 2^levels · unshuffle, and levels + 1
        noise tensors (B, noise, H'/unshuffle, W'/unshuffle) → residual (B, 3, H', W'). What
        `dreamgan export` writes."""
        x = to_minus_one_one(padded)
        feats = [self.stem(F.pixel_unshuffle(x, self.unshuffle) if self.unshuffle > 1 else x)]
        for down in self.downs:
            feats.append(down(feats[-1]))
        y = self.coarsest(torch.cat([feats[-1], *self._noise_at(noises, self.levels)], 1))
        for block, j in zip(self.decoder, reversed(range(self.levels))):
            up = F.interpolate(y, size=feats[j].shape[-2:], mode="bilinear", align_corners=False)
            y = block(torch.cat([up, feats[j], *self._noise_at(noises, j)], 1))
        out = self.head(y)
        return F.pixel_shuffle(out, self.unshuffle) if self.unshuffle > 1 else out


__all__ = ["PhotoTextureGenerator"]
