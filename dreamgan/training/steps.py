"""One optimisation step of each GAN: the core the training loop repeats.

Order as in pix2pix: update D on (real, fake.detach()), then G against the updated D.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from dreamgan.models.diffaugment import diff_augment
from dreamgan.training.losses import GANLoss, diversity_hinge, lowpass_l1, residual_roughness_loss


def pix2pix_step(g, d, opt_g, opt_d, real_a: torch.Tensor, real_b: torch.Tensor, *, gan_loss: GANLoss,
                 lambda_gan: float = 1.0, lambda_l1: float = 100.0, feature_loss=None, lambda_feat: float = 0.0,
                 objective_loss=None, lambda_obj: float = 0.0, lambda_tv: float = 0.0,
                 stats_loss=None, lambda_stats: float = 0.0, lambda_lowpass: float = 0.0, lambda_div: float = 0.0,
                 generator: torch.Generator | None = None, part: tuple[int, int] = (0, 1)) -> dict[str, float]:
    """One step on a batch of pairs (B, 3, H, W) in [0, 1]. Returns the losses as floats.

    `generator` draws the generator's noise (if it takes any), the random projections of
    `stats_loss` (a `DreamStatsLoss`) and the transforms of `objective_loss` (a
    `DreamObjectiveLoss`). `lambda_tv` weighs `residual_roughness_loss` (no rougher a change
    than the true dream's); `lambda_lowpass` weighs `lowpass_l1`. With `lambda_gan` 0 the
    discriminator is neither run nor updated. `lambda_div` weighs `diversity_hinge` between
    this fake and a second one of the same photos with other noise (a noisy generator only).
    `part` (k, K): the batch is the k-th of K parts of a global batch (a distributed run); the
    generator draws its noise for the global batch and keeps this part.
    """
    # 1. generate
    fake_b = g(real_a, generator, part)
    losses: dict[str, torch.Tensor] = {}
    loss_g = 0.0
    if lambda_gan > 0:
        # 2. discriminator: real pairs → real, generated pairs → fake
        opt_d.zero_grad(set_to_none=True)
        loss_d_real = gan_loss(d(real_a, real_b), True)
        loss_d_fake = gan_loss(d(real_a, fake_b.detach()), False)
        ((loss_d_real + loss_d_fake) * 0.5).backward()
        opt_d.step()
        loss_g_gan = gan_loss(d(real_a, fake_b), True, for_discriminator=False)
        loss_g = lambda_gan * loss_g_gan
        losses.update(loss_d_real=loss_d_real, loss_d_fake=loss_d_fake, loss_g_gan=loss_g_gan)
    # 3. generator: fool D, match the true dream in pixels, dream-layer features and statistics
    opt_g.zero_grad(set_to_none=True)
    loss_g_l1 = F.l1_loss(fake_b, real_b)
    loss_g = loss_g + lambda_l1 * loss_g_l1
    losses["loss_g_l1"] = loss_g_l1
    if stats_loss is not None and lambda_stats > 0:
        loss_g_stats = stats_loss(fake_b, real_b, real_a=real_a, generator=generator)
        loss_g = loss_g + lambda_stats * loss_g_stats
        losses["loss_g_stats"] = loss_g_stats
    if lambda_lowpass > 0:
        loss_g_lowpass = lowpass_l1(fake_b, real_b)
        loss_g = loss_g + lambda_lowpass * loss_g_lowpass
        losses["loss_g_lowpass"] = loss_g_lowpass
    if feature_loss is not None and lambda_feat > 0:
        loss_g_feat = feature_loss(fake_b, real_b)
        loss_g = loss_g + lambda_feat * loss_g_feat
        losses["loss_g_feat"] = loss_g_feat
    if objective_loss is not None and lambda_obj > 0:
        loss_g_obj = objective_loss(fake_b, real_a, real_b, generator)
        loss_g = loss_g + lambda_obj * loss_g_obj
        losses["loss_g_obj"] = loss_g_obj
    if lambda_div > 0:
        loss_g_div = diversity_hinge(fake_b, g(real_a, generator, part), real_a, real_b)  # the 2nd draw: other noise
        loss_g = loss_g + lambda_div * loss_g_div
        losses["loss_g_div"] = loss_g_div
    if lambda_tv > 0:
        loss_g_tv = residual_roughness_loss(fake_b, real_a, real_b)
        loss_g = loss_g + lambda_tv * loss_g_tv
        losses["loss_g_tv"] = loss_g_tv
    loss_g.backward()
    opt_g.step()
    return {k: float(v.detach()) for k, v in losses.items()}


def dcgan_step(g, d, opt_g, opt_d, real_b: torch.Tensor, *, gan_loss: GANLoss, generator: torch.Generator | None = None,
               part: tuple[int, int] = (0, 1), augment: bool = False) -> dict[str, float]:
    """One step on a batch of dreams (B, 3, S, S) in [0, 1]. Returns the losses as floats.

    G's noise (a z vector or a noise map, `g.noise_shape`) is drawn for the global batch from
    `generator` and this `part` kept, as in `pix2pix_step`. `augment`: DiffAugment on every
    image D sees, real and fake alike (fresh draws from `generator`), G's gradient through it.
    """
    k, parts = part
    b = real_b.shape[0]
    shape = getattr(g, "module", g).noise_shape(b * parts)  # g may be wrapped in DistributedDataParallel
    z = torch.randn(shape, generator=generator)[k * b:(k + 1) * b].to(real_b.device)
    seen = (lambda x: diff_augment(x, generator=generator)[0]) if augment else (lambda x: x)
    fake_b = g(z)
    opt_d.zero_grad(set_to_none=True)
    loss_d_real = gan_loss(d(seen(real_b)), True)
    loss_d_fake = gan_loss(d(seen(fake_b.detach())), False)
    ((loss_d_real + loss_d_fake) * 0.5).backward()
    opt_d.step()
    opt_g.zero_grad(set_to_none=True)
    loss_g_gan = gan_loss(d(seen(fake_b)), True, for_discriminator=False)
    loss_g_gan.backward()
    opt_g.step()
    return {"loss_d_real": loss_d_real.item(), "loss_d_fake": loss_d_fake.item(), "loss_g_gan": loss_g_gan.item()}


@torch.no_grad()
def update_ema(ema: torch.nn.Module, g: torch.nn.Module, decay: float, step: int) -> None:
    """ema ← d·ema + (1 − d)·g for the weights, d = min(decay, (1 + step) / (10 + step)) (the
    average warms up instead of dragging the initial weights along for ~1/(1 − decay) steps);
    buffers (BatchNorm's statistics) are copied."""
    d = min(decay, (1 + step) / (10 + step))
    for e, p in zip(ema.parameters(), g.parameters()):
        e.lerp_(p.detach(), 1 - d)
    for e, b in zip(ema.buffers(), g.buffers()):
        e.copy_(b)
