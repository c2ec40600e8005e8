"""DCGAN for noise → dream (Radford, Metz & Chintala, 2016), at 64 or 128 px.

One block per doubling: the generator projects z to 4×4, then each transposed-conv block
doubles the size; the discriminator mirrors it with strided convs. BatchNorm everywhere but the
generator's output and the discriminator's input, ReLU / LeakyReLU(0.2), weights N(0, 0.02).
"""
from __future__ import annotations

import math

import torch
from torch import nn

SIZES = (64, 128)


def _init(m: nn.Module) -> None:
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def _check(size: int) -> int:
    if size not in SIZES:
        raise ValueError(f"DCGAN size must be one of {SIZES}, got {size}")
    return int(math.log2(size)) - 2  # doublings from 4×4


class DCGANGenerator(nn.Module):
    """z (B, z_dim) → image (B, 3, size, size) in [0, 1]."""

    def __init__(self, size: int = 64, z_dim: int = 100, ngf: int = 64):
        super().__init__()
        n = _check(size)
        self.size, self.z_dim = size, z_dim
        c = ngf * 2 ** (n - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(z_dim, c, 4, 1, 0, bias=False), nn.BatchNorm2d(c), nn.ReLU(True)]
        for _ in range(n - 1):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
            c //= 2
        layers += [nn.ConvTranspose2d(c, 3, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (self.net(z.view(z.shape[0], self.z_dim, 1, 1)) + 1) * 0.5


class DCGANDiscriminator(nn.Module):
    """image (B, 3, size, size) in [0, 1] → (B,) logits."""

    def __init__(self, size: int = 64, ndf: int = 64):
        super().__init__()
        n = _check(size)
        layers: list[nn.Module] = [nn.Conv2d(3, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True)]
        c = ndf
        for _ in range(n - 1):
            layers += [nn.Conv2d(c, c * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c * 2), nn.LeakyReLU(0.2, True)]
            c *= 2
        layers += [nn.Conv2d(c, 1, 4, 1, 0)]
        self.net = nn.Sequential(*layers)
        self.apply(_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * 2 - 1).flatten()


def interpolate_latents(z0: torch.Tensor, z1: torch.Tensor, steps: int) -> torch.Tensor:
    """Spherical interpolation between two latents (White 2016): (steps, z_dim)."""
    a, b = z0.flatten(), z1.flatten()
    omega = torch.arccos(torch.clamp((a / a.norm()) @ (b / b.norm()), -1, 1))
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    if omega.abs() < 1e-6:
        return (1 - t) * a + t * b
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)
