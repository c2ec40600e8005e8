"""pix2pix networks for photo → dream (Isola et al., "Image-to-Image Translation with
Conditional Adversarial Networks", 2017; reference: junyanz/pytorch-CycleGAN-and-pix2pix).

Built for the problem: a dream is a small, high-frequency change of the photo (≈0.016 mean L1).
A plain U-Net spends its capacity relearning the photo and returns a blurred, colour-shifted
copy. So the generator here is *residual* and starts as the identity:

    fake_b = clamp(real_a + G(real_a), 0, 1),   G's last conv zero-initialised → G ≡ 0 at init

and all its capacity goes to the dream pattern. It upsamples by resize-conv (nearest + 3×3
conv: no checkerboards, Odena et al. 2016) and reflect-pads any input to a multiple of
2^depth, cropping back, so 299×299 and odd sizes work.

The discriminator is the 70×70 PatchGAN conditioned on the photo: it sees (real_a, b) and
judges each 70×70 patch, which is what demands dream *texture* where L1 would average it away.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from dreamgan.images import to_minus_one_one


def _norm(c: int) -> nn.Module:
    return nn.InstanceNorm2d(c, affine=True)


def _group_norm(c: int) -> nn.Module:
    """GroupNorm also normalises over channels, so it works on the 1×1 maps of small inputs."""
    return nn.GroupNorm(8 if c % 8 == 0 else 1, c)


class Blur(nn.Module):
    """(B, C, H, W) → the same, low-passed by the separable binomial filter [1, 2, 1] / 4 with
    reflect padding: the anti-aliasing filter before a stride (Zhang, "Making Convolutional
    Networks Shift-Invariant Again", ICML 2019), so that a stride-2 sampling keeps little of
    what the sub-grid's phase would decide. No parameters (the kernel is not saved)."""

    def __init__(self, channels: int):
        super().__init__()
        k = torch.tensor([1.0, 2.0, 1.0]) / 4
        self.register_buffer("kernel", torch.outer(k, k).expand(channels, 1, 3, 3).contiguous(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), self.kernel.to(x.dtype), groups=self.kernel.shape[0])


class Down(nn.Module):
    """4×4 stride-2 conv → norm → LeakyReLU(0.2): halves the size. `antialias`: the input is
    blurred first (`Blur`), so the stride samples a band-limited map."""

    def __init__(self, c_in: int, c_out: int, norm: bool = True, antialias: bool = False):
        super().__init__()
        self.blur = Blur(c_in) if antialias else nn.Identity()
        self.block = nn.Sequential(nn.Conv2d(c_in, c_out, 4, 2, 1, padding_mode="reflect"),
                                   _norm(c_out) if norm else nn.Identity(), nn.LeakyReLU(0.2))

    def forward(self, x):
        return self.block(self.blur(x))


class Up(nn.Module):
    """Resize-conv: ×2 (nearest, or bilinear with `antialias`: no 2×2 blocks that keep the
    coarse grid's phase) → 3×3 conv → norm → ReLU, then concat the skip."""

    def __init__(self, c_in: int, c_skip: int, c_out: int, antialias: bool = False):
        super().__init__()
        self.mode = "bilinear" if antialias else "nearest"
        self.block = nn.Sequential(nn.Conv2d(c_in, c_out, 3, 1, 1, padding_mode="reflect"), _norm(c_out), nn.ReLU())
        self.c_out = c_out + c_skip

    def forward(self, x, skip):
        x = F.interpolate(x, size=skip.shape[-2:], mode=self.mode, **({"align_corners": False} if self.mode == "bilinear" else {}))
        return torch.cat([self.block(x), skip], 1)


def pooled_noise(noise: torch.Tensor, scale: int) -> torch.Tensor:
    """Unit-normal noise (B, n, h, w) area-pooled by `scale` and rescaled to unit variance again
    (the mean of s² unit normals has std 1/s): full-size noise brought to a coarser level."""
    return F.avg_pool2d(noise, scale) * scale if scale > 1 else noise


@dataclass(frozen=True)
class UNetGeometry:
    """The shape arithmetic around a `ResidualUNet`: padding to its multiple and the sizes of
    its noise inputs. Kept apart from the network so that the ONNX runner (which has no torch
    network) does exactly what PyTorch does."""

    depth: int
    unshuffle: int
    noise_per_level: tuple[int, ...]
    """Noise channels of the stem's input, then of each encoder level's input."""
    full_res_noise: bool = False
    """Every level's noise is drawn at the (unshuffled) input's full size and pooled to its level
    by the network (`pool_noise`), so a shift of photo and noise by any number of pixels shifts
    what every level sees, instead of each coarse level's noise being one draw per cell."""
    min_side: int = 0
    """Inputs are also padded to at least this many pixels a side (a multiple of `multiple`): a
    network whose coarsest level runs 3×3 reflect-padded convs needs that level 2 px wide."""

    @property
    def multiple(self) -> int:
        """Inputs are reflect-padded to a multiple of this many pixels."""
        return 2 ** self.depth * self.unshuffle

    def pad(self, real_a: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) → (B, 3, H', W') reflect-padded at the bottom and right to `multiple`,
        and to at least `min_side`."""
        h, w = real_a.shape[-2:]
        if min(h, w) < 2:
            raise ValueError(f"a generator's input must be at least 2 px a side, got {h}×{w}")
        ph, pw = (max(side + (-side) % self.multiple, self.min_side) - side for side in (h, w))
        x = real_a
        while ph or pw:  # reflect needs pad < size: pad in steps for tiny inputs
            sh, sw = min(ph, x.shape[-2] - 1), min(pw, x.shape[-1] - 1)
            x = F.pad(x, (0, sw, 0, sh), mode="reflect")
            ph, pw = ph - sh, pw - sw
        return x

    def noise_shapes(self, batch: int, height: int, width: int) -> list[tuple[int, int, int, int]]:
        """The noise tensors a padded (batch, 3, height, width) input takes, in draw order (the
        stem's, then each encoder level's; levels without noise are left out)."""
        h, w = height // self.unshuffle, width // self.unshuffle
        shapes = []
        for level, n in enumerate(self.noise_per_level):
            scale = 1 if self.full_res_noise else self.level_scale(level)
            if n:
                shapes.append((batch, n, h // scale, w // scale))
        return shapes

    @staticmethod
    def level_scale(level: int) -> int:
        """How many input pixels one pixel of encoder level `level`'s input spans (the stem
        keeps the size; each Down halves it)."""
        return 2 ** max(0, level - 1)

    def pool_noise(self, noise: torch.Tensor, level: int) -> torch.Tensor:
        """Full-size noise (B, n, h, w) → level `level`'s size, area-pooled and rescaled to unit
        variance (with `full_res_noise`; otherwise the noise is already at its level's size)."""
        return pooled_noise(noise, self.level_scale(level)) if self.full_res_noise else noise

    def draw_noise(self, padded: torch.Tensor, generator: torch.Generator | None = None,
                   part: tuple[int, int] = (0, 1)) -> list[torch.Tensor]:
        """Fresh N(0, 1) noise for a padded input, from `generator` (a seed fixes the pixels).

        `part` (k, K): `padded` is the k-th of K equal parts of a global batch (one process of
        a distributed run). The noise is drawn for the whole global batch and this part kept,
        so each image meets the noise it would meet in one process."""
        device = generator.device if generator is not None else padded.device
        k, parts = part
        b = padded.shape[0]
        return [torch.randn(*shape, generator=generator, device=device)[k * b:(k + 1) * b].to(padded.device, padded.dtype)
                for shape in self.noise_shapes(b * parts, *padded.shape[-2:])]


class NoisyResidualGenerator(nn.Module):
    """What every photo → dream generator with a `UNetGeometry` shares: it pads its input,
    draws (or is given) its noise and adds the residual its `core(padded, noises)` predicts.
    Subclasses set `self.geometry` and define `core`; so seeds, videos' moving noise and the
    ONNX export (`fast.onnx`, which writes `core`) work alike for all of them."""

    geometry: UNetGeometry

    def core(self, padded: torch.Tensor, noises: list[torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    @property
    def noise_per_level(self) -> list[int]:
        """Noise channels of each noise input (levels without noise are 0)."""
        return list(self.geometry.noise_per_level)

    def residual(self, real_a: torch.Tensor, generator: torch.Generator | None = None,
                 part: tuple[int, int] = (0, 1), noises: list[torch.Tensor] | None = None) -> torch.Tensor:
        """The predicted change (B, 3, H, W), unbounded; `generator` draws the noise (if any),
        `part` says which part of a global batch this is (`UNetGeometry.draw_noise`); or the
        given `noises`, shaped as `geometry.draw_noise` makes them for the padded input."""
        h, w = real_a.shape[-2:]
        padded = self.geometry.pad(real_a)
        if noises is None:
            noises = self.geometry.draw_noise(padded, generator, part)
        return self.core(padded, noises)[..., :h, :w]

    def forward(self, real_a: torch.Tensor, generator: torch.Generator | None = None,
                part: tuple[int, int] = (0, 1), noises: list[torch.Tensor] | None = None) -> torch.Tensor:
        """fake_b (B, 3, H, W) in [0, 1]: the noise drawn from `generator` (see `residual`), or the
        given `noises` (a forward pass that DDP sees, for the shift-consistency term)."""
        return (real_a + self.residual(real_a, generator, part, noises)).clamp(0, 1)

    def dream_with_noise(self, real_a: torch.Tensor, noises: list[torch.Tensor]) -> torch.Tensor:
        """fake_b (B, 3, H, W) in [0, 1] for given noise tensors, shaped as `geometry.draw_noise`
        makes them for the padded input (a video keeps one noise field moving with the scene)."""
        return (real_a + self.residual(real_a, noises=noises)).clamp(0, 1)


class ResidualUNet(NoisyResidualGenerator):
    """U-Net generator that predicts the dream *residual* of a photo.

    Args:
        ngf: channels of the first level (doubling per level, capped at 8·ngf).
        depth: number of stride-2 levels; inputs are reflect-padded to a multiple of 2**depth.
        unshuffle: r > 1 runs the U-Net at 1/r resolution on space-to-depth input (3·r² channels)
            and pixel-shuffles the 3·r² output channels back (Shi et al. 2016): every output pixel
            is still predicted, at about 1/r² of the full-resolution cost. For the fastest CPU generators.
        noise: n > 0 concatenates n fresh N(0, 1) channels to the input of the stem and of every
            encoder level (the noise pyramid of Texture Networks, Ulyanov et al. 2016). A true
            dream depends on its jitter seed; with noise the generator can draw *one* dream of
            the photo, with motifs of its own even on flat skies, instead of the motif-free mean
            of all of them. The noise comes from `generator`, so a seed fixes the pixels.
        noise_levels: how many of the depth + 1 encoder inputs (stem first, finest first) get
            noise; None = all of them. Fewer leaves the coarse layout to the photo alone.
        antialias: blur before every stride (`Down`), bilinear doublings (`Up`) and noise drawn
            at full resolution and pooled to each level (`UNetGeometry.full_res_noise`): without
            it, each cell of the deepest level (2^depth px) draws its motif at a fixed phase, and
            the fast dream is a lattice of period 2^depth.

    forward: real_a (B, 3, H, W) in [0, 1] → fake_b (B, 3, H, W) in [0, 1], any H, W ≥ 2.
    """

    def __init__(self, ngf: int = 32, depth: int = 5, unshuffle: int = 1, noise: int = 0, noise_levels: int | None = None,
                 antialias: bool = False):
        super().__init__()
        if depth < 1 or unshuffle < 1 or noise < 0:
            raise ValueError("depth and unshuffle must be ≥ 1, noise ≥ 0")
        self.depth, self.unshuffle, self.noise = depth, unshuffle, noise
        levels = depth + 1 if noise_levels is None else max(0, min(noise_levels, depth + 1))
        self.geometry = UNetGeometry(depth, unshuffle, tuple(noise if i < levels else 0 for i in range(depth + 1)),
                                     full_res_noise=antialias)
        c_io = 3 * unshuffle ** 2
        widths = [min(ngf * 2 ** i, ngf * 8) for i in range(depth + 1)]
        self.stem = nn.Sequential(nn.Conv2d(c_io + self.noise_per_level[0], widths[0], 3, 1, 1, padding_mode="reflect"),
                                  nn.LeakyReLU(0.2))
        self.downs = nn.ModuleList(Down(widths[i] + self.noise_per_level[i + 1], widths[i + 1], norm=i > 0, antialias=antialias)
                                   for i in range(depth))
        ups, c = [], widths[depth]
        for i in reversed(range(depth)):
            up = Up(c, widths[i], widths[i], antialias=antialias)
            ups.append(up)
            c = up.c_out
        self.ups = nn.ModuleList(ups)
        self.head = nn.Conv2d(c, c_io, 3, 1, 1, padding_mode="reflect")
        nn.init.zeros_(self.head.weight)  # G ≡ 0 at init: fake_b = real_a exactly
        nn.init.zeros_(self.head.bias)

    def core(self, padded: torch.Tensor, noises: list[torch.Tensor]) -> torch.Tensor:
        """The network proper: padded (B, 3, H', W') in [0, 1] and its noise → residual (B, 3, H', W').
        Shape arithmetic stays outside, so this is what `dreamgan export` writes to ONNX."""
        x = to_minus_one_one(padded)
        if self.unshuffle > 1:
            x = F.pixel_unshuffle(x, self.unshuffle)  # (B, 3r², H/r, W/r)
        queue = list(noises)

        def with_noise(t: torch.Tensor, level: int) -> torch.Tensor:
            return torch.cat([t, self.geometry.pool_noise(queue.pop(0), level)], 1) if self.noise_per_level[level] else t

        skips = [self.stem(with_noise(x, 0))]
        for i, down in enumerate(self.downs):
            skips.append(down(with_noise(skips[-1], i + 1)))
        y = skips.pop()
        for up in self.ups:
            y = up(y, skips.pop())
        y = self.head(y)
        if self.unshuffle > 1:
            y = F.pixel_shuffle(y, self.unshuffle)  # back to (B, 3, H, W)
        return y


class PatchGAN(nn.Module):
    """70×70 PatchGAN on (real_a, b): (B, 6, H, W) → (B, 1, h, w) patch logits.

    C64-C128-C256-C512 (4×4 convs, strides 2, 2, 2, 1) then a 1-channel 4×4 conv, as in
    pix2pix; no norm on the first layer. Inputs in [0, 1] are mapped to [-1, 1].
    With `conditional=False` it sees `b` alone, (B, 3, H, W): a judge of dream *texture*
    that does not pair positions with the photo.
    """

    def __init__(self, ndf: int = 64, conditional: bool = True):
        super().__init__()
        self.conditional = conditional
        c = [ndf, ndf * 2, ndf * 4, ndf * 8]
        self.net = nn.Sequential(
            nn.Conv2d(6 if conditional else 3, c[0], 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(c[0], c[1], 4, 2, 1), _norm(c[1]), nn.LeakyReLU(0.2),
            nn.Conv2d(c[1], c[2], 4, 2, 1), _norm(c[2]), nn.LeakyReLU(0.2),
            nn.Conv2d(c[2], c[3], 4, 1, 1), _norm(c[3]), nn.LeakyReLU(0.2),
            nn.Conv2d(c[3], 1, 4, 1, 1),
        )

    def forward(self, real_a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self.net(to_minus_one_one(torch.cat([real_a, b], 1) if self.conditional else b))


class BackboneUNet(nn.Module):
    """A generator that sees what causes the motifs: the *frozen* dreaming network is its encoder.

    The dream ascent amplifies what the backbone's dream layers already detect, so the features
    of those layers (and a few shallower ones, for position) are the natural input to predict
    where eyes and swirls grow. A learned decoder (resize-conv, skip connections from each
    tapped layer and from the photo itself) turns them into the dream residual:

        fake_b = clamp(real_a + D(φ_taps(real_a), real_a)),   D's last conv zero-initialised.

    The backbone is not a registered submodule: its weights stay frozen, out of the optimiser
    and out of checkpoints (it is rebuilt from the embedded weights).

    Args:
        backbone: a `Backbone` (e.g. `load_backbone("inception-v3-tf")`).
        taps: layer names, shallow to deep (e.g. conv_2, conv_4, mixed_2, mixed_5).
        ngf: decoder width.
    """

    def __init__(self, backbone, taps, ngf: int = 32):
        super().__init__()
        self.taps = [backbone.resolve_layer(t) for t in taps]
        order = {n: i for i, n in enumerate(backbone.layer_names)}
        self.taps.sort(key=order.__getitem__)
        self.min_side = backbone.min_size(self.taps[-1])
        net = backbone.truncated(self.taps).folded().eval()
        with torch.no_grad():
            probe = net(torch.zeros(1, 3, max(self.min_side, 96), max(self.min_side, 96)), self.taps)
        channels = [probe[t].shape[1] for t in self.taps]
        object.__setattr__(self, "_backbone", net)  # hidden from state_dict / parameters()
        width = lambda i: ngf * min(4, 2 ** i)  # noqa: E731
        self.reduce = nn.ModuleList(nn.Sequential(nn.Conv2d(c, width(i), 1), nn.LeakyReLU(0.2)) for i, c in enumerate(channels))
        self.fuse = nn.ModuleList(
            # replicate padding: deep maps of small inputs can be 1×1, where reflect is undefined
            nn.Sequential(nn.Conv2d(width(i) + width(i + 1), width(i), 3, 1, 1, padding_mode="replicate"), _group_norm(width(i)), nn.ReLU())
            for i in range(len(channels) - 1))
        self.photo = nn.Sequential(nn.Conv2d(3, ngf, 3, 1, 1, padding_mode="reflect"), nn.LeakyReLU(0.2))
        self.final = nn.Sequential(nn.Conv2d(width(0) + ngf, ngf, 3, 1, 1, padding_mode="reflect"), _group_norm(ngf), nn.ReLU())
        self.head = nn.Conv2d(ngf, 3, 3, 1, 1, padding_mode="reflect")
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def residual(self, real_a: torch.Tensor) -> torch.Tensor:
        from dreamgan.dream.engine import fit_min_size

        net = self._backbone
        if net.mean.device != real_a.device:
            net.to(real_a.device)
        with torch.no_grad():  # the encoder is frozen: its features are inputs
            feats = net(fit_min_size(real_a, self.min_side), self.taps)
        y = self.reduce[-1](feats[self.taps[-1]])
        for i in reversed(range(len(self.taps) - 1)):
            skip = self.reduce[i](feats[self.taps[i]])
            y = F.interpolate(y, size=skip.shape[-2:], mode="nearest")
            y = self.fuse[i](torch.cat([y, skip], 1))
        photo = self.photo(to_minus_one_one(real_a))
        y = F.interpolate(y, size=photo.shape[-2:], mode="bilinear", align_corners=False)
        return self.head(self.final(torch.cat([y, photo], 1)))

    def forward(self, real_a: torch.Tensor, generator: torch.Generator | None = None,
                part: tuple[int, int] = (0, 1)) -> torch.Tensor:
        """`generator` and `part` are accepted for a uniform call and unused: this generator is deterministic."""
        return (real_a + self.residual(real_a)).clamp(0, 1)


@torch.no_grad()
def run_generator(g, x01: torch.Tensor, *, seed: int = 0, chunk: int = 4) -> torch.Tensor:
    """A photo → dream generator on (B, 3, H, W) in [0, 1], `chunk` images at a time → the
    dreams, same shape, in [0, 1]. A generator with a noise input draws it from `seed`: the
    same seed gives the same pixels, another seed another dream of the same photo."""
    gen = torch.Generator(device=x01.device).manual_seed(seed)
    return torch.cat([g(x01[i:i + chunk], gen) for i in range(0, len(x01), chunk)])
