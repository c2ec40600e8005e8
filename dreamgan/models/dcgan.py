"""Noise → dream networks: the classic DCGAN and the spatial texture GAN that replaces it.

Classic DCGAN (Radford, Metz & Chintala, 2016), at 64 or 128 px: the generator projects a
z vector to 4×4, then each transposed-conv block doubles the size; the discriminator mirrors it
with strided convs. BatchNorm everywhere but the generator's output and the discriminator's
input, ReLU / LeakyReLU(0.2), weights N(0, 0.02). Kept as `--noise-g dcgan --noise-d dcgan`
for comparison: on dream crops its BatchNorm discriminator normalises the real and the fake
batch each by its own statistics, so whatever all fakes share (their grey mean colour, one
repeated sample) is invisible to D and G never learns it (docs/results.md, "Why the DCGAN was
grey").

Spatial texture GAN (Jetchev et al. 2016, "Texture Synthesis with Spatial GANs"; Bergmann et
al. 2017, PSGAN), and the texture generator built on it (Ulyanov et al. 2016's noise at every
scale; the recipe's): z is a noise *map* (B, z_dim, H/16, W/16); the generator is fully
convolutional (nearest-neighbour upsampling + 3×3 convs, no checkerboard), so a bigger map
draws a bigger texture, and circular padding makes it wrap without a seam. Textures larger
than one part are drawn part by part (`synthesize`), in bounded memory.

Discriminators: `SNPatchDiscriminator` (spectral norm on every conv, no BatchNorm, patch
logits) and, in the recipe, the projected discriminator of `models/projected.py` (heads on a
frozen EfficientNet-Lite0; `noise_networks` builds either, or the classic one).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from dreamgan.images import to_minus_one_one, to_unit
from dreamgan.models.config import UPSAMPLES

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

    def noise_shape(self, batch: int, height: int | None = None, width: int | None = None) -> tuple[int, int]:
        """z for `batch` images; the classic DCGAN draws only its own size."""
        if (height or self.size) != self.size or (width or height or self.size) != self.size:
            raise ValueError(f"a classic DCGAN draws {self.size}×{self.size} px only; train with the spatial generator "
                             "(--noise-g spatial) for other sizes")
        return batch, self.z_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return to_unit(self.net(z.view(z.shape[0], self.z_dim, 1, 1)))


def _circular(net: nn.Module) -> None:
    """Every conv of `net` pads circularly: no edge for G to find, and textures that wrap."""
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            m.padding_mode = "circular"


def _pyramid_channels(k: int, doublings: int) -> int:
    """Channels of a coarse map that carries k noise images at each of `doublings` finer scales."""
    return k * sum(4 ** level for level in range(1, doublings + 1))


def _noise_pyramid(z: torch.Tensor, start: int, k: int, doublings: int) -> list[torch.Tensor]:
    """The noise images a coarse map z (B, C, h, w) carries from channel `start` on: k channels
    at 2×, 4×, … 2^doublings × its size, each pixel-shuffled out of k·r² coarse channels, so the
    fine noise of a bigger map is that of a smaller one where they overlap.
    Returns [(B, k, 2h, 2w), …, (B, k, 2^d·h, 2^d·w)]."""
    out = []
    for level in range(1, doublings + 1):
        r = 2 ** level
        out.append(nn.functional.pixel_shuffle(z[:, start:start + k * r * r], r))
        start += k * r * r
    return out


class CircularUpsample(nn.Module):
    """2× bilinear upsampling of a map that wraps around: (B, C, h, w) → (B, C, 2h, 2w), each edge
    interpolated with the opposite one (pad 1 circularly, upsample, crop 2), so a tileable map
    stays tileable."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up = nn.functional.interpolate(nn.functional.pad(x, (1, 1, 1, 1), mode="circular"), scale_factor=2, mode="bilinear",
                                       align_corners=False)
        return up[..., 2:-2, 2:-2]


class SpatialGenerator(nn.Module):
    """Noise map (B, z_dim, h, w) → texture (B, 3, 16h, 16w) in [0, 1] (4 doublings).

    `noise_shape(b, height, width)` gives the map for an image of that size (sides rounded up to
    a multiple of 16; crop the output to the size asked). Every conv pads circularly, in training
    too: G cannot tell where an edge is (zero padding taught it a dark frame at every edge,
    reflection mirrored streaks), and a texture whose sides are multiples of 16 wraps
    seamlessly (the left edge continues the right one).

    `fine_noise`: the map carries 4 + 16 + 64 + 256 more channels, one pixel-shuffled noise
    image per doubling (B, 1, 2h … 16h, 2w … 16w); after each doubling's conv and norm that
    noise is added times a learned per-channel weight (zero at the start; StyleGAN's noise
    inputs, Karras et al. 2019), so fine detail can vary from place to place apart from the
    coarse code, the way a dream's meshes and speckle do. One seed still fixes every pixel.

    `upsample`: 'nearest' (each pixel copied 2×2, then the conv) or 'bilinear' (interpolated
    across the wrap, `CircularUpsample`): the copied 2×2 blocks can leave a fine grid.

    `convs`: 3×3 convs (each with norm and ReLU) per doubling, ≥ 1. The first follows the
    enlargement; the others add depth at that scale, where a dream's rings and meshes are drawn
    (the fine noise still enters after the first).

    `jitter`: in training mode only, each doubling's enlarged map is rolled by a random 0 or 1 px
    along each axis (one draw per batch from torch's global generator): the half-pixel shift of
    that doubling against the coarser ones, so G cannot hang a pattern on one fixed phase
    between its 2×2 blocks. In eval mode (sampling) the phase is 0: one seed, one texture.
    """

    doublings = 4

    def __init__(self, size: int = 64, z_dim: int = 32, ngf: int = 64, *, fine_noise: bool = False, upsample: str = "nearest",
                 convs: int = 1, jitter: bool = False):
        super().__init__()
        if upsample not in UPSAMPLES:
            raise ValueError(f"upsample must be one of {UPSAMPLES}, got {upsample!r}")
        if convs < 1:
            raise ValueError(f"convs must be ≥ 1, got {convs}")
        self.size, self.z_dim, self.fine_noise, self.jitter = size, z_dim, fine_noise, jitter
        c = ngf * 8
        layers: list[nn.Module] = [nn.Conv2d(z_dim, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(True)]
        widths, self._noise_after, self._ups = [], [], []
        for _ in range(self.doublings):
            out = max(ngf // 2, c // 2)
            up = nn.Upsample(scale_factor=2, mode="nearest") if upsample == "nearest" else CircularUpsample()
            self._ups.append(len(layers))
            layers += [up, nn.Conv2d(c, out, 3, 1, 1, bias=False), nn.BatchNorm2d(out)]
            self._noise_after.append(len(layers) - 1)  # the index of this doubling's first norm
            layers += [nn.ReLU(True)]
            for _ in range(convs - 1):
                layers += [nn.Conv2d(out, out, 3, 1, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU(True)]
            c = out
            widths.append(out)
        layers += [nn.Conv2d(c, 3, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(_init)
        _circular(self)
        self.noise_weights = nn.ParameterList([nn.Parameter(torch.zeros(1, w, 1, 1)) for w in widths]) if fine_noise else None

    def noise_shape(self, batch: int, height: int | None = None, width: int | None = None) -> tuple[int, int, int, int]:
        """The noise map for `batch` images of height × width px (default: the training size)."""
        f = 2 ** self.doublings
        fine = _pyramid_channels(1, self.doublings) if self.fine_noise else 0
        return batch, self.z_dim + fine, -(-(height or self.size) // f), -(-(width or height or self.size) // f)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        jitter = self.jitter and self.training
        if not (self.fine_noise or jitter):
            return to_unit(self.net(z))
        x, level = z[:, :self.z_dim], 0
        noises = _noise_pyramid(z, self.z_dim, 1, self.doublings) if self.fine_noise else []  # (B, 1, 2h…16h, 2w…16w)
        for i, layer in enumerate(self.net):
            x = layer(x)
            if jitter and i in self._ups:
                x = torch.roll(x, tuple(torch.randint(0, 2, (2,)).tolist()), (-2, -1))
            if self.fine_noise and i in self._noise_after:  # after each doubling's first conv and norm
                x = x + self.noise_weights[level] * noises[level]
                level += 1
        return to_unit(x)


class TextureGenerator(nn.Module):
    """Noise pyramid (B, z_dim + k·340, h, w) → texture (B, 3, 16h, 16w) in [0, 1] (4 doublings).

    Texture Networks' multi-scale noise (Ulyanov et al. 2016) on the spatial generator's
    torus: at every scale, k fresh noise channels are *concatenated* to the enlarged map before
    its two 3×3 convs, so each scale has its own random source from the first step (a dream's
    eyes, rings and mesh cells fall anywhere, at any scale), not only what the coarse 1/16 code
    spells out. The noise for every scale is carried by the one coarse map, pixel-shuffled
    (k·4, k·16, k·64, k·256 channels for the scales 2h … 16h), so one seed still fixes every
    pixel and a bigger map draws a bigger texture. Every scale has two convs, and the widths
    stay up at the fine scales where the motifs' detail is drawn (8, 4, 2, 1.5, 1 × ngf from
    1/16 to full size; the spatial generator halves them down to ngf/2 at full size, one conv
    each). Circular padding everywhere, as `SpatialGenerator`: the texture wraps when its sides
    are multiples of 16.

    `upsample`: 'nearest' or 'bilinear' (across the wrap, `CircularUpsample`).
    """

    doublings = 4
    width_factors = (8, 4, 2, 1.5, 1)

    def __init__(self, size: int = 64, z_dim: int = 100, ngf: int = 32, *, noise_channels: int = 8, upsample: str = "nearest"):
        super().__init__()
        if upsample not in UPSAMPLES:
            raise ValueError(f"upsample must be one of {UPSAMPLES}, got {upsample!r}")
        self.size, self.z_dim, self.k = size, z_dim, noise_channels
        widths = [max(8, int(f * ngf)) for f in self.width_factors]

        def block(c_in: int, c_out: int) -> list[nn.Module]:
            return [nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]

        self.head = nn.Sequential(*block(z_dim, widths[0]), *block(widths[0], widths[0]))
        self.up = nn.Upsample(scale_factor=2, mode="nearest") if upsample == "nearest" else CircularUpsample()
        self.levels = nn.ModuleList(nn.Sequential(*block(c + noise_channels, w), *block(w, w))
                                    for c, w in zip(widths[:-1], widths[1:]))
        self.to_rgb = nn.Conv2d(widths[-1], 3, 3, 1, 1)
        self.apply(_init)
        _circular(self)

    def noise_shape(self, batch: int, height: int | None = None, width: int | None = None) -> tuple[int, int, int, int]:
        """The noise map for `batch` images of height × width px (default: the training size)."""
        f = 2 ** self.doublings
        return batch, self.z_dim + _pyramid_channels(self.k, self.doublings), -(-(height or self.size) // f), -(-(width or height or self.size) // f)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.head(z[:, :self.z_dim])  # (B, 8·ngf, h, w)
        for block, noise in zip(self.levels, _noise_pyramid(z, self.z_dim, self.k, self.doublings)):
            x = block(torch.cat([self.up(x), noise], 1))  # (B, width, r·h, r·w): noise (B, k, r·h, r·w)
        return to_unit(torch.tanh(self.to_rgb(x)))


class SNPatchDiscriminator(nn.Module):
    """image (B, 3, S, S) in [0, 1] → patch logits (B, 1, S/16, S/16).

    Strided 4×4 convs (S/2 … S/16), LeakyReLU(0.2), spectral norm on every conv and no
    BatchNorm: each image is judged on its own, so a colour or motif shared by a whole fake
    batch is as visible to D as any other flaw.
    """

    def __init__(self, size: int = 64, ndf: int = 64):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        layers: list[nn.Module] = []
        c_in, c = 3, ndf
        for _ in range(4):
            layers += [sn(nn.Conv2d(c_in, c, 4, 2, 1)), nn.LeakyReLU(0.2, True)]
            c_in, c = c, min(c * 2, ndf * 8)
        layers += [sn(nn.Conv2d(c_in, 1, 3, 1, 1))]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(to_minus_one_one(x))


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
        return self.net(to_minus_one_one(x)).flatten()


def interpolate_latents(z0: torch.Tensor, z1: torch.Tensor, steps: int) -> torch.Tensor:
    """Spherical interpolation between two latents of any one shape (White 2016): (steps, *z0.shape)."""
    a, b = z0.flatten(), z1.flatten()
    omega = torch.arccos(torch.clamp((a / a.norm()) @ (b / b.norm()), -1, 1))
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    if omega.abs() < 1e-6:
        z = (1 - t) * a + t * b
    else:
        z = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)
    return z.view(steps, *z0.shape)


@torch.no_grad()
def noise_dreams(g, n: int, *, seed: int = 0, height: int | None = None, width: int | None = None, chunk: int = 16) -> torch.Tensor:
    """n dreams from noise, (n, 3, height, width) in [0, 1] on the CPU (default size: the
    generator's own): the noise for all n is drawn from `seed` at once, so n images of one
    seed begin with the images of fewer."""
    h, w = height or g.size, width or height or g.size
    z = torch.randn(g.noise_shape(n, h, w), generator=torch.Generator().manual_seed(seed))
    out = torch.cat([g(z[i:i + chunk].to(next(g.parameters()).device)).cpu() for i in range(0, n, chunk)])
    return out[..., :h, :w]


TILE_CELLS = 32
"""`synthesize`: the side, in noise cells (16 px each), of the part of a texture drawn at once."""
HALO_CELLS = 6
"""`synthesize`: noise cells of context around each part, beyond the generator's reach (the
texture generator's convs and bilinear enlargements see about 5 cells away), so the parts join
without a seam."""


@torch.no_grad()
def synthesize(g, z: torch.Tensor, *, tile_cells: int = TILE_CELLS, halo_cells: int = HALO_CELLS) -> torch.Tensor:
    """g(z) for a noise map (B, C, h, w) of a fully convolutional noise → dream generator, in
    bounded memory: parts of `tile_cells`² cells are drawn one at a time, each with `halo_cells`
    of the map around it (gathered across the wrap, as the generator's circular padding sees
    it) and cut back to its own cells. Equal to g(z) (to float rounding), at the memory of one
    part, however large the map; a map that fits in one part is drawn in one pass.

    Returns:
        (B, 3, 16h, 16w) in [0, 1] on z's device.
    """
    _, _, h, w = z.shape
    if h <= tile_cells and w <= tile_cells or not hasattr(g, "doublings"):
        return g(z)
    f = 2 ** g.doublings
    out = None
    for y0 in range(0, h, tile_cells):
        for x0 in range(0, w, tile_cells):
            y1, x1 = min(y0 + tile_cells, h), min(x0 + tile_cells, w)
            ys = torch.arange(y0 - halo_cells, y1 + halo_cells, device=z.device) % h  # wraps, as circular padding does
            xs = torch.arange(x0 - halo_cells, x1 + halo_cells, device=z.device) % w
            part = g(z[:, :, ys][:, :, :, xs])  # (B, 3, 16·(y1 - y0 + 2·halo), …)
            if out is None:
                out = part.new_empty(z.shape[0], 3, h * f, w * f)
            m = halo_cells * f
            out[..., y0 * f:y1 * f, x0 * f:x1 * f] = part[..., m:m + (y1 - y0) * f, m:m + (x1 - x0) * f]
    return out


@torch.no_grad()
def recalibrate_batchnorm(g: nn.Module, *, batches: int = 32, batch: int = 16, seed: int = 0,
                          inputs: list[torch.Tensor] | None = None) -> nn.Module:
    """Set a noise → dream generator's BatchNorm running statistics to those of its *own*
    activations: the cumulative mean and variance over `batches` batches of `batch` fresh noise
    maps at its training size (`torch.optim.swa_utils.update_bn`, as SWA does for averaged
    weights). An average of G's weights (the EMA) otherwise samples with the statistics the raw
    G's last steps left, which normalise the average's activations wrongly: the further the
    two have drifted apart (a high learning rate, an early best step), the worse
    (docs/results.md, "The average's own statistics"). Deterministic (its own noise, seeded);
    the global RNG is left as it was (a generator that draws from it in training mode, the
    spatial one's jitter, draws on after it as if it had never run). Returns g in eval mode.

    `inputs`: the batches to run instead of noise maps, for a photo → dream generator (photo
    crops (B, 3, S, S) in [0, 1]); its noise is then drawn from the global RNG seeded by `seed`."""
    from torch.optim.swa_utils import update_bn

    if inputs is None:
        noise = torch.Generator().manual_seed(seed)
        inputs = [torch.randn(g.noise_shape(batch), generator=noise) for _ in range(batches)]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        update_bn(inputs, g, device=next(g.parameters()).device)
    return g.eval()


PROJECTED_LAYERS = ("blocks.2", "blocks.4", "blocks.10")
"""EfficientNet-Lite0 layers the projected discriminator judges (1/4, 1/8 and 1/16 of its input)."""


def effnet_discriminator(ndf: int, d_size: int, *, conditional: bool) -> nn.Module:
    """The projected discriminator on a frozen EfficientNet-Lite0 at `PROJECTED_LAYERS`, heads `ndf`
    wide, inputs enlarged to ≥ `d_size` px: the noise → dream recipe's D (`conditional` False) and
    pix2pix's `--d-input projected-effnet` (the photo's features beside the dream's). Its
    DiffAugment is the training step's (`TrainConfig.augments_d`)."""
    from dreamgan.backbones import load_backbone
    from dreamgan.models.projected import ProjectedDiscriminator

    return ProjectedDiscriminator(load_backbone("efficientnet-lite0"), PROJECTED_LAYERS, width=ndf, conditional=conditional, min_input=d_size)


def noise_networks(noise_g: str, noise_d: str, size: int, z_dim: int, ngf: int, ndf: int, *,
                   fine_noise: bool = False, upsample: str = "nearest", g_convs: int = 1, g_jitter: bool = False,
                   d_size: int = 128) -> tuple[nn.Module, nn.Module]:
    """(G, D) of a noise → dream run: `noise_g` spatial (with `fine_noise`, noise inputs at every
    doubling; `upsample` nearest or bilinear; `g_convs` convs per doubling; `g_jitter` random phases
    between doublings in training), texture (`TextureGenerator`: noise at every scale; `upsample`)
    or dcgan; `noise_d` patch (spectral norm), projected (heads on a frozen
    EfficientNet-Lite0, inputs resized to ≥ `d_size` px; its DiffAugment is the step's, see
    `augments_d`) or dcgan (the classic BatchNorm D)."""
    if noise_g == "spatial":
        g = SpatialGenerator(size, z_dim, ngf, fine_noise=fine_noise, upsample=upsample, convs=g_convs, jitter=g_jitter)
    elif noise_g == "texture":
        g = TextureGenerator(size, z_dim, ngf, upsample=upsample)
    else:
        g = DCGANGenerator(size, z_dim, ngf)
    if noise_d == "projected":
        d = effnet_discriminator(ndf, d_size, conditional=False)
    else:
        d = SNPatchDiscriminator(size, ndf) if noise_d == "patch" else DCGANDiscriminator(size, ndf)
    return g, d
