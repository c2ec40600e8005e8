"""One optimisation step of each GAN: the core the training loop repeats.

Order as in pix2pix: update D on (real, fake.detach()), then G against the updated D.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from dreamgan.devices import autocast_to
from dreamgan.models.diffaugment import diff_augment
from dreamgan.training.losses import GANLoss, diversity_hinge, lowpass_l1, residual_roughness_loss, shift_consistency

LossTerm = tuple[str, float, Callable[..., torch.Tensor]]
"""(name, weight, term): term(fake_b, real_a, real_b, generator) → a scalar; its log key is
loss_g_<name>."""


@dataclass(frozen=True)
class TermParts:
    """What the terms are made of: the loss modules a run built for the terms it weights (None
    for those it does not), G itself (as the step calls it: maybe DDP-wrapped), this process's
    part of the global batch and the dtype G's passes are autocast to."""

    stats_loss: Callable | None = None
    feature_loss: Callable | None = None
    objective_loss: Callable | None = None
    g: Callable | None = None
    part: tuple[int, int] = (0, 1)
    g_dtype: torch.dtype | None = None


PHOTO_TERMS: dict[str, Callable[[TermParts], Callable[..., torch.Tensor]]] = {
    "l1": lambda p: lambda fake, a, b, gen: F.l1_loss(fake, b),
    "stats": lambda p: lambda fake, a, b, gen: p.stats_loss(fake, b, real_a=a, generator=gen),
    "lowpass": lambda p: lambda fake, a, b, gen: lowpass_l1(fake, b),
    "feat": lambda p: lambda fake, a, b, gen: p.feature_loss(fake, b),
    "obj": lambda p: lambda fake, a, b, gen: p.objective_loss(fake, a, b, gen),
    "div": lambda p: lambda fake, a, b, gen: diversity_hinge(fake, p.g(a, gen, p.part), a, b),
    "tv": lambda p: lambda fake, a, b, gen: residual_roughness_loss(fake, a, b),
    "shift": lambda p: lambda fake, a, b, gen: shift_consistency(p.g, a, gen, part=p.part, g_dtype=p.g_dtype),
}
"""The photo → dream generator's non-adversarial terms by name (a config's weight for each is
its `lambda_<name>` field, `TrainConfig.loss_weights`), in the order they are summed and draw
random numbers:

  l1        pixel L1 to the true dream (always listed and logged)
  stats     `stats_loss` (a `DreamStatsLoss`: position-free dream statistics; draws projections)
  lowpass   `lowpass_l1` (8×-downsampled layout and colour)
  feat      `feature_loss` (a `DreamFeatureLoss`: dream-layer features, aligned)
  obj       `objective_loss` (a `DreamObjectiveLoss`: the guarded objective; draws transforms)
  div       `diversity_hinge` against a second draw of `g` with other noise (a noisy generator)
  tv        `residual_roughness_loss` (no rougher a change than the true dream's)
  shift     `shift_consistency` of `g` (two more passes of G; draws a shift and a noise field)

A new term is one entry here and its `lambda_<name>` field."""

NOISE_TERMS: dict[str, Callable[[TermParts], Callable[..., torch.Tensor]]] = {
    "stats": lambda p: lambda fake, a, b, gen: p.stats_loss(fake, b, generator=gen),
}
"""The noise → dream generator's terms: `stats` (a pooled `DreamStatsLoss`, the batch of samples
against the batch of true-dream crops). There is no photo: each term gets real_a = None."""


def _terms(registry: dict, weights: dict[str, float], parts: TermParts, always: tuple[str, ...] = ()) -> list[LossTerm]:
    unknown = sorted(name for name, weight in weights.items() if weight > 0 and name not in registry and name != "gan")
    if unknown:
        raise ValueError(f"no such loss term: {', '.join(unknown)} (terms: {', '.join(registry)})")
    return [(name, float(weights.get(name, 0.0)), make(parts)) for name, make in registry.items()
            if weights.get(name, 0.0) > 0 or name in always]


def loss_terms(weights: dict[str, float] | None = None, **parts) -> list[LossTerm]:
    """The photo → dream terms (`PHOTO_TERMS`) with a weight > 0 in `weights` ({name: weight};
    default: pix2pix's {"l1": 100}), L1 always (logged even at weight 0), made of `parts`
    (`TermParts` fields; a weighted term needs its module). A "gan" weight is the step's, ignored here.

    Raises:
        ValueError: a weight > 0 for a name that is not a term here.
    """
    return _terms(PHOTO_TERMS, {"l1": 100.0} if weights is None else weights, TermParts(**parts), always=("l1",))


def noise_terms(weights: dict[str, float] | None = None, **parts) -> list[LossTerm]:
    """The noise → dream terms (`NOISE_TERMS`) with a weight > 0 in `weights`, made of `parts`.

    Raises:
        ValueError: a weight > 0 for a name that is not a term here."""
    return _terms(NOISE_TERMS, weights or {}, TermParts(**parts))


def _with_terms(loss_g, losses: dict, terms, fake_b, real_a, real_b, generator):
    """loss_g + Σ weight · term(fake_b, real_a, real_b, generator) over `terms`, in their order;
    each term's value is logged in `losses` as loss_g_<name>."""
    for name, weight, term in terms:
        value = term(fake_b, real_a, real_b, generator)
        loss_g = loss_g + weight * value
        losses[f"loss_g_{name}"] = value
    return loss_g


def _seen_by_d(augment: bool, generator: torch.Generator | None):
    """What D sees of its inputs: `diff_augment`ed alike (one draw per batch index, from
    `generator`, fresh on every call) when `augment`, else as they are. Tuple in, tuple out."""
    return (lambda *images: diff_augment(*images, generator=generator)) if augment else (lambda *images: images)


def pix2pix_step(g, d, opt_g, opt_d, real_a: torch.Tensor, real_b: torch.Tensor, *, gan_loss: GANLoss,
                 lambda_gan: float = 1.0, terms: list[LossTerm] | None = None, generator: torch.Generator | None = None,
                 part: tuple[int, int] = (0, 1), augment: bool = False, g_dtype: torch.dtype | None = None) -> dict[str, float]:
    """One step on a batch of pairs (B, 3, H, W) in [0, 1]. Returns the losses as floats.

    The generator's loss is lambda_gan · (fool D) plus Σ weight · term over `terms`
    (`loss_terms`; default: pix2pix's 100 · L1). With `lambda_gan` 0 the discriminator is
    neither run nor updated. `generator` draws G's noise and every random number of the
    terms. `part` (k, K): the batch is the k-th of K parts of a global batch (a distributed
    run); the generator draws its noise for the global batch and keeps this part. `augment`:
    DiffAugment on every pair D sees, photo and dream alike, real and fake alike (fresh draws
    from `generator`; the projected discriminator trains with it, `TrainConfig.augments_d`).
    `g_dtype` (e.g. bfloat16): G's forward pass autocast to it, as in `dcgan_step`.
    """
    terms = loss_terms() if terms is None else terms
    seen = _seen_by_d(augment, generator)
    # 1. generate
    with autocast_to(real_a.device.type, g_dtype):
        fake_b = g(real_a, generator, part)
    fake_b = fake_b.float()
    losses: dict[str, torch.Tensor] = {}
    loss_g = 0.0
    if lambda_gan > 0:
        # 2. discriminator: real pairs → real, generated pairs → fake
        opt_d.zero_grad(set_to_none=True)
        loss_d_real = gan_loss(d(*seen(real_a, real_b)), True)
        loss_d_fake = gan_loss(d(*seen(real_a, fake_b.detach())), False)
        ((loss_d_real + loss_d_fake) * 0.5).backward()
        opt_d.step()
        loss_g_gan = gan_loss(d(*seen(real_a, fake_b)), True, for_discriminator=False)
        loss_g = lambda_gan * loss_g_gan
        losses.update(loss_d_real=loss_d_real, loss_d_fake=loss_d_fake, loss_g_gan=loss_g_gan)
    # 3. generator: fool D and bring each term down
    opt_g.zero_grad(set_to_none=True)
    loss_g = _with_terms(loss_g, losses, terms, fake_b, real_a, real_b, generator)
    loss_g.backward()
    opt_g.step()
    return {k: float(v.detach()) for k, v in losses.items()}


def roll_each(x: torch.Tensor, most: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each image of x (B, C, H, W) rolled (wrapping around) by its own random (dy, dx) in
    [0, most)²; the gradient flows back through it. For images that wrap (a spatial generator's
    samples), a roll is another view of the same texture, at another phase of the pixel grid."""
    shifts = torch.randint(0, most, (x.shape[0], 2), generator=generator).tolist()
    return torch.stack([torch.roll(img, (dy, dx), (-2, -1)) for img, (dy, dx) in zip(x, shifts)])


def dcgan_step(g, d, opt_g, opt_d, real_b: torch.Tensor, *, gan_loss: GANLoss, generator: torch.Generator | None = None,
               part: tuple[int, int] = (0, 1), augment: bool = False, roll: int = 0, terms: list[LossTerm] = (),
               g_dtype: torch.dtype | None = None) -> dict[str, float]:
    """One step on a batch of dreams (B, 3, S, S) in [0, 1]. Returns the losses as floats.

    G's loss is (fool D) plus Σ weight · term over `terms` (`noise_terms`; none by default).

    G's noise (a z vector or a noise map, `g.noise_shape`) is drawn for the global batch from
    `generator` and this `part` kept, as in `pix2pix_step`. `augment`: DiffAugment on every
    image D sees, real and fake alike (fresh draws from `generator`), G's gradient through it.
    `roll` > 0: D sees each fake rolled by its own random (dy, dx) in [0, roll)² (`roll_each`; for
    a generator whose samples wrap), the same roll in D's and G's pass; the terms read the fake
    unrolled. `g_dtype` (e.g. bfloat16): G's forward pass autocast to it (its weights, the
    optimiser and everything after G stay float32; `devices.autocast_dtype`).
    """
    k, parts = part
    b = real_b.shape[0]
    shape = getattr(g, "module", g).noise_shape(b * parts)  # g may be wrapped in DistributedDataParallel
    z = torch.randn(shape, generator=generator)[k * b:(k + 1) * b].to(real_b.device)
    seen = _seen_by_d(augment, generator)
    with autocast_to(real_b.device.type, g_dtype):
        fake_b = g(z)
    fake_b = fake_b.float()
    fake_d = roll_each(fake_b, roll, generator) if roll > 0 else fake_b  # what D sees of the fake
    opt_d.zero_grad(set_to_none=True)
    loss_d_real = gan_loss(d(*seen(real_b)), True)
    loss_d_fake = gan_loss(d(*seen(fake_d.detach())), False)
    ((loss_d_real + loss_d_fake) * 0.5).backward()
    opt_d.step()
    opt_g.zero_grad(set_to_none=True)
    loss_g_gan = gan_loss(d(*seen(fake_d)), True, for_discriminator=False)
    losses = {"loss_d_real": loss_d_real, "loss_d_fake": loss_d_fake, "loss_g_gan": loss_g_gan}
    loss_g = _with_terms(loss_g_gan, losses, terms, fake_b, None, real_b, generator)
    loss_g.backward()
    opt_g.step()
    return {k: float(v.detach()) for k, v in losses.items()}


@torch.no_grad()
def update_ema(ema: torch.nn.Module, g: torch.nn.Module, decay: float, step: int) -> None:
    """ema ← d·ema + (1 − d)·g for the weights, d = min(decay, (1 + step) / (10 + step)) (the
    average warms up instead of dragging the initial weights along for ~1/(1 − decay) steps);
    buffers (BatchNorm's statistics) are copied, the raw G's: before the average samples, the
    run gives it its own (`recalibrate_batchnorm`)."""
    d = min(decay, (1 + step) / (10 + step))
    for e, p in zip(ema.parameters(), g.parameters()):
        e.lerp_(p.detach(), 1 - d)
    for e, b in zip(ema.buffers(), g.buffers()):
        e.copy_(b)
