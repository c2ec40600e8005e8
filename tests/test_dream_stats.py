"""Dream statistics: the position-free distances, the loss built on them and the metric."""
from __future__ import annotations

import pytest
import torch

from dreamgan.metrics.stats import gram_distance, photo_tags, sliced_wasserstein, tagged_sliced_wasserstein, unit_projections
from dreamgan.training.losses import DreamStatsLoss, lowpass_l1


def _maps(seed, shape=(2, 6, 5, 7)):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _permute_positions(x, seed=1):
    b, c, h, w = x.shape
    perm = torch.randperm(h * w, generator=torch.Generator().manual_seed(seed))
    return x.flatten(2)[:, :, perm].view(b, c, h, w)


@pytest.mark.parametrize("distance", ["swd", "gram"])
def test_distances_are_zero_for_identical_sets_and_blind_to_positions(distance):
    x, y = _maps(0), _maps(1)
    proj = unit_projections(6, 32, generator=torch.Generator().manual_seed(0))
    d = (lambda a, b: sliced_wasserstein(a, b, proj)) if distance == "swd" else gram_distance
    assert torch.allclose(d(x, x), torch.zeros(2), atol=1e-10)
    assert torch.allclose(d(x, _permute_positions(x)), torch.zeros(2), atol=1e-6), "a shuffled map is the same set"
    assert torch.allclose(d(_permute_positions(x), y), d(x, y), atol=1e-5)
    assert (d(x, y) > 1e-3).all(), "different feature sets must be apart"


def test_sliced_wasserstein_is_the_mean_1d_wasserstein_over_directions():
    x, y = _maps(0), _maps(1)
    proj = unit_projections(6, 8, generator=torch.Generator().manual_seed(0))
    expected = torch.stack([
        torch.stack([(torch.sort(x[b].flatten(1).t() @ proj[:, k]).values
                      - torch.sort(y[b].flatten(1).t() @ proj[:, k]).values).pow(2).mean() for k in range(8)]).mean()
        for b in range(2)])
    assert torch.allclose(sliced_wasserstein(x, y, proj), expected, rtol=1e-5, atol=1e-7)


def test_sliced_wasserstein_gradient_is_that_of_the_sorted_matching():
    # d/dx of mean((sort(x·p) − sort(y·p))²) through torch.sort's own backward: the CPU path
    # sorts with NumPy and must give the same gradient (no ties in Gaussian data).
    x, y = _maps(0).requires_grad_(), _maps(1)
    proj = unit_projections(6, 8, generator=torch.Generator().manual_seed(0))
    sliced_wasserstein(x, y, proj).sum().backward()
    ref = x.detach().clone().requires_grad_()
    px = (proj.t() @ ref.flatten(2)).sort(dim=-1).values
    py = (proj.t() @ y.flatten(2)).sort(dim=-1).values
    (px - py).pow(2).flatten(1).mean(1).sum().backward()
    assert torch.allclose(x.grad, ref.grad, rtol=1e-5, atol=1e-8)


def test_sliced_wasserstein_is_differentiable_and_checks_shapes():
    x, y = _maps(0).requires_grad_(), _maps(1)
    proj = unit_projections(6, 16)
    assert torch.allclose(proj.norm(dim=0), torch.ones(16))
    sliced_wasserstein(x, y, proj).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="equal feature shapes"):
        sliced_wasserstein(x, y[:, :, :4], proj)


@pytest.mark.parametrize("kind", ["swd", "gram"])
def test_dream_stats_loss_ignores_where_motifs_fall_but_not_what_they_are(tiny, kind):
    torch.manual_seed(0)
    loss = DreamStatsLoss(tiny, ["conv1", "conv2"], kind=kind, projections=16)
    real_b = torch.rand(2, 3, 32, 32)
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    assert float(loss(real_b.clone(), real_b, generator=gen())) == pytest.approx(0.0, abs=1e-7)
    # a circular shift moves every motif but keeps (nearly) the same set of features
    shifted = torch.roll(real_b, shifts=(8, 8), dims=(2, 3))
    other = torch.rand(2, 3, 32, 32).requires_grad_()
    assert float(loss(shifted, real_b, generator=gen())) < 0.2 * float(loss(other.detach(), real_b, generator=gen()))
    loss(other, real_b, generator=gen()).backward()
    assert other.grad.abs().sum() > 0
    assert all(not p.requires_grad for p in loss.net.parameters()), "the backbone stays frozen"
    with pytest.raises(ValueError, match="must be one of"):
        DreamStatsLoss(tiny, ["conv1"], kind="nope")


def test_pooled_stats_loss_matches_a_batch_of_samples_to_a_batch_of_dreams_in_any_order(tiny):
    """The noise → dream term: samples are not paired with true dreams, so which sample looks
    like which dream must not matter, only that the batch holds the same textures."""
    torch.manual_seed(0)
    loss = DreamStatsLoss(tiny, ["conv1", "conv2"], projections=16, pooled=True)
    paired = DreamStatsLoss(tiny, ["conv1", "conv2"], projections=16)
    flat = lambda: 0.5 + 0.02 * torch.randn(1, 3, 32, 32)  # noqa: E731
    real_b = torch.cat([flat(), torch.rand(1, 3, 32, 32)])  # one flat, one busy texture
    swapped = real_b.flip(0)
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    assert float(loss(swapped, real_b, generator=gen())) == pytest.approx(0.0, abs=1e-6), "the same two textures"
    assert float(paired(swapped, real_b, generator=gen())) > 0.1, "per image, the swap is a mismatch"
    alike = torch.cat([flat(), torch.rand(1, 3, 32, 32)])
    two_busy = torch.rand(2, 3, 32, 32)
    assert float(loss(two_busy, real_b, generator=gen())) > 5 * float(loss(alike.flip(0), real_b, generator=gen())), \
        "other draws of the same two textures are closer than two busy ones"
    smaller = torch.nn.functional.interpolate(real_b, size=24, mode="bilinear", antialias=True)
    assert float(loss(swapped, smaller, generator=gen())) < 0.5 * float(loss(two_busy, smaller, generator=gen())), \
        "true crops smaller than the samples are brought to their size"
    with pytest.raises(ValueError, match="pooled"):
        DreamStatsLoss(tiny, ["conv1"], norm="photo", pooled=True)


def test_shifted_pooled_stats_read_the_samples_rolled_by_a_fresh_offset_each_call(tiny):
    """--stats-shift: the backbone reads the samples rolled (they wrap) by an offset drawn from
    the step's generator, so G's pattern meets the backbone's stride grid at a new phase each
    step; the true crops are read as they are."""
    torch.manual_seed(0)
    fake, real = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    shifted = DreamStatsLoss(tiny, ["conv1", "conv2"], projections=16, pooled=True, shift=8)
    plain = DreamStatsLoss(tiny, ["conv1", "conv2"], projections=16, pooled=True)
    values = set()
    for seed in range(6):
        gen = torch.Generator().manual_seed(seed)
        dy, dx = torch.randint(8, (2,), generator=gen).tolist()
        expected = float(plain(fake.roll((dy, dx), dims=(-2, -1)), real, generator=gen))
        got = float(shifted(fake, real, generator=torch.Generator().manual_seed(seed)))
        assert got == pytest.approx(expected, rel=1e-5)
        values.add(round(got, 6))
    assert len(values) > 1, "other steps, other offsets"
    with pytest.raises(ValueError, match="pooled"):
        DreamStatsLoss(tiny, ["conv1"], shift=8)


def test_scaled_pooled_stats_read_samples_and_true_crops_enlarged_alike(tiny):
    """--stats-scale: one random factor in [1, S] per call enlarges the samples and the true
    crops alike before the backbone (after the samples' roll, when both are on)."""
    torch.manual_seed(0)
    fake, real = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    robust = DreamStatsLoss(tiny, ["conv1", "conv2"], projections=16, pooled=True, shift=8, scale=1.5)
    plain = DreamStatsLoss(tiny, ["conv1", "conv2"], projections=16, pooled=True)
    up = lambda x, side: torch.nn.functional.interpolate(x, size=side, mode="bilinear", align_corners=False)  # noqa: E731
    sides = set()
    for seed in range(6):
        gen = torch.Generator().manual_seed(seed)
        dy, dx = torch.randint(8, (2,), generator=gen).tolist()
        side = round(32 * (1 + 0.5 * float(torch.rand((), generator=gen))))
        sides.add(side)
        expected = float(plain(up(fake.roll((dy, dx), dims=(-2, -1)), side), up(real, side), generator=gen))
        assert float(robust(fake, real, generator=torch.Generator().manual_seed(seed))) == pytest.approx(expected, rel=1e-5)
    assert len(sides) > 1 and all(32 <= s <= 48 for s in sides)
    for bad in (dict(scale=0.5, pooled=True), dict(scale=1.5)):
        with pytest.raises(ValueError, match="scale"):
            DreamStatsLoss(tiny, ["conv1"], **bad)


def test_bf16_stats_run_the_backbone_in_bf16_and_score_and_pull_as_float32_does(tiny):
    """--stats-precision bf16: the backbone's convolutions run in bfloat16, the distances in
    float32 (a float32 loss, a float32 gradient on the samples), and the value and the gradient
    agree with float32's far more than float32's agree with another sample batch's."""
    torch.manual_seed(0)
    fake0, real = torch.rand(4, 3, 32, 32), torch.rand(4, 3, 32, 32)
    runs, dtypes = {}, {}
    for name, dtype, fake in (("fp32", None, fake0), ("bf16", torch.bfloat16, fake0), ("other", None, torch.rand(4, 3, 32, 32))):
        loss = DreamStatsLoss(tiny, ["conv1", "conv2"], projections=16, pooled=True, dtype=dtype)
        conv = next(m for m in loss.net.modules() if isinstance(m, torch.nn.Conv2d))
        hook = conv.register_forward_hook(lambda m, i, o, key=name: dtypes.__setitem__(key, o.dtype))
        x = fake.clone().requires_grad_(True)
        value = loss(x, real, generator=torch.Generator().manual_seed(3))
        value.backward()
        hook.remove()
        assert value.dtype == torch.float32 and x.grad.dtype == torch.float32 and torch.isfinite(x.grad).all(), name
        runs[name] = (float(value.detach()), x.grad.flatten())
    assert dtypes == {"fp32": torch.float32, "bf16": torch.bfloat16, "other": torch.float32}
    assert runs["bf16"][0] == pytest.approx(runs["fp32"][0], rel=0.05)
    cosine = lambda k: float(torch.nn.functional.cosine_similarity(runs[k][1], runs["fp32"][1], dim=0))  # noqa: E731
    assert cosine("bf16") > 0.9 and cosine("bf16") > cosine("other") + 0.3, (cosine("bf16"), cosine("other"))


def test_lowpass_anchor_sees_colour_and_layout_not_fine_detail():
    x = torch.rand(1, 3, 32, 32)
    checker = (torch.arange(32).view(-1, 1) + torch.arange(32)).remainder(2).float().expand(1, 3, 32, 32)
    assert float(lowpass_l1(x + 0.05 * (checker - 0.5), x)) < 1e-6, "a zero-mean 1-px pattern averages out"
    assert float(lowpass_l1(x + 0.1, x)) == pytest.approx(0.1, rel=1e-4), "a colour shift does not"


@pytest.mark.parametrize("kind", ["swd", "gram"])
def test_photo_normalised_stats_loss_is_one_for_the_photo_on_every_layer(tiny, kind):
    loss = DreamStatsLoss(tiny, ["conv1", "conv2", "conv3"], kind=kind, projections=16, norm="photo")
    real_a = torch.rand(2, 3, 32, 32)
    real_b = (real_a + 0.2 * torch.randn_like(real_a)).clamp(0, 1)
    gen = torch.Generator().manual_seed(0)
    assert float(loss(real_a, real_b, real_a=real_a, generator=gen)) == pytest.approx(1.0, rel=1e-4)
    assert float(loss(real_b, real_b, real_a=real_a, generator=gen)) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="needs real_a"):
        loss(real_b, real_b)


def test_tagged_statistics_pair_motifs_with_the_content_under_them():
    g = torch.Generator().manual_seed(0)
    photo = torch.zeros(2, 5, 6, 8)
    photo[:, 0, :, :4], photo[:, 1, :, 4:] = 1.0, 1.0  # two kinds of content: left, right
    tags = photo_tags(photo, 4, seed=0)
    assert tags.shape == (2, 4, 6, 8) and torch.allclose(tags.flatten(2).std(2), torch.ones(2, 4), atol=1e-5)
    proj, tag_proj = unit_projections(6, 64, generator=g), unit_projections(4, 64, generator=g)
    d = lambda x, y: tagged_sliced_wasserstein(x, y, tags, proj, tag_proj, 1.0)  # noqa: E731
    y = torch.randn(2, 6, 6, 8, generator=g)
    assert torch.allclose(d(y, y), torch.zeros(2), atol=1e-10), "0 for identical inputs"
    # permuting positions that share a tag (columns 0-2 are left content after 3×3 smoothing) changes nothing …
    block = y[..., :3].flatten(2)
    within = y.clone()
    within[..., :3] = block[..., torch.randperm(block.shape[-1], generator=g)].view(2, 6, 6, 3)
    assert torch.allclose(d(within, y), torch.zeros(2), atol=1e-6)
    # … but swapping the motif of the left onto the right content costs
    swapped = torch.cat([y[..., 4:], y[..., :4]], -1)
    assert (d(swapped, y) > 1e-2).all()
    assert torch.allclose(sliced_wasserstein(swapped, y, proj), torch.zeros(2), atol=1e-5), "plain SW is blind to it"
    x = torch.randn(2, 6, 6, 8, generator=g, requires_grad=True)
    d(x, y).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0, "differentiable"


def test_the_stats_loss_with_tags_is_zero_for_the_true_dream_and_one_for_the_photo(tiny):
    g = torch.Generator().manual_seed(0)
    a = torch.rand(2, 3, 48, 48, generator=g)
    b = (a + 0.2 * torch.rand(2, 3, 48, 48, generator=g)).clamp(0, 1)
    loss = DreamStatsLoss(tiny, ["conv1", "conv2"], norm="photo", tag_weight=1.0)
    assert float(loss(b, b, real_a=a, generator=torch.Generator().manual_seed(1))) < 1e-8
    assert float(loss(a, b, real_a=a, generator=torch.Generator().manual_seed(1))) == pytest.approx(1.0, abs=1e-5)


def test_sliced_wasserstein_takes_bfloat16_features():
    # bf16 autocast hands the distance bf16 features, which NumPy cannot sort: torch.sort does
    x, y = _maps(0).bfloat16().requires_grad_(), _maps(1).bfloat16()
    proj = unit_projections(6, 8, generator=torch.Generator().manual_seed(0)).bfloat16()
    d = sliced_wasserstein(x, y, proj)
    d.sum().backward()
    assert torch.allclose(d.float(), sliced_wasserstein(x.detach().float(), y.float(), proj.float()), rtol=0.05)
    assert x.grad is not None
