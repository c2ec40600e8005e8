"""Dream statistics: distances between the *sets* of feature vectors of two images, blind to
where in the image each vector sits.

A true dream depends on its jitter seed: two dreams of one photo put their eyes and swirls in
different places (their changes have cosine ≈ 0.16). Any aligned loss (pixel L1, per-position
feature MSE) therefore pulls a generator toward the mean of the dreams, which has no motifs.
These distances compare feature *distributions* per image instead, so a generator may draw its
own dream, with motifs wherever it likes, and still score well.

  * `sliced_wasserstein`: the sliced Wasserstein distance (Rabin et al. 2011; used as a
    texture loss by Heitz et al., "A Sliced Wasserstein Loss for Neural Texture Synthesis",
    CVPR 2021). Project the C-dim feature vectors of each image onto K unit directions, sort
    each 1-D projection, and compare sorted values: the optimal transport between two 1-D
    empirical distributions of equal size is the sorted matching.
  * `gram_distance`: the Gram-matrix distance of Gatys et al. 2015 (second moments only).

  * `tagged_sliced_wasserstein`: the sliced Wasserstein distance between sets of (photo
    context, dream feature) pairs: each feature vector carries a low-dimensional *tag* of the
    photo's own activations at its position (`photo_tags`; spatial tags of Heitz et al. 2021,
    guidance channels of Gatys et al. 2017). One motif stamped everywhere then costs wherever
    the photo differs, while where motifs fall within similar content stays free.

All take feature maps (B, C, H, W) and return one distance per image (B,).
"""
from __future__ import annotations

import numpy as np
import torch


def unit_projections(channels: int, k: int, *, generator: torch.Generator | None = None,
                     device: torch.device | str | None = None) -> torch.Tensor:
    """K random unit directions in feature space: (channels, k) float32, columns of norm 1.

    With a seeded `generator` the directions are fixed (the metric); drawn afresh each step they
    make a loss that matches the whole distribution in expectation.
    """
    proj = torch.randn(channels, k, generator=generator)
    return (proj / proj.norm(dim=0, keepdim=True)).to(device or "cpu")


def _as_sets(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) feature maps → (B, H·W, C) sets of feature vectors."""
    return x.flatten(2).transpose(1, 2)


def _projections(x: torch.Tensor, proj: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) feature maps and (C, K) directions → (B, K, H·W): every vector's projection
    on each direction, laid out so that each direction's values are contiguous for `_sorted`."""
    return proj.t() @ x.flatten(2)


def _sorted(v: torch.Tensor) -> torch.Tensor:
    """v (…, N) sorted along its last axis, differentiable (the gradient reaches each value at its
    place before the sort). On the CPU through NumPy's vectorised sorts (AVX-512 / AVX2
    quicksort, faster than `torch.sort`: `benchmarks/sliced_wasserstein.py` measures it, and
    docs/results.md has the figures): `np.argsort` where a gradient is needed, `np.sort`
    where none is. Elsewhere (another device, or a dtype NumPy lacks, as bfloat16) `torch.sort`."""
    if v.device.type != "cpu" or v.dtype not in (torch.float32, torch.float64):
        return v.sort(dim=-1).values
    if not v.requires_grad:
        return torch.from_numpy(np.sort(v.detach().numpy(), axis=-1))
    order = torch.from_numpy(np.argsort(v.detach().numpy(), axis=-1))
    return v.gather(-1, order)


def one_set(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) feature maps → (1, C, H, B·W): the batch side by side, so the distances
    below compare all of its feature vectors as one set."""
    b, c, h, w = x.shape
    return x.permute(1, 2, 0, 3).reshape(1, c, h, b * w)


def sliced_wasserstein(x: torch.Tensor, y: torch.Tensor, proj: torch.Tensor) -> torch.Tensor:
    """Squared sliced Wasserstein-2 distance between each image's set of feature vectors.

    Args:
        x, y: feature maps (B, C, H, W) of two images per batch item; H·W must match.
        proj: (C, K) unit directions (see `unit_projections`).

    Returns:
        (B,) ≥ 0: mean over directions and sorted positions of the squared difference. 0 for
        identical sets, the same for any permutation of one map's positions, differentiable.
    """
    if x.shape != y.shape:
        raise ValueError(f"sliced_wasserstein needs equal feature shapes, got {tuple(x.shape)} and {tuple(y.shape)}")
    px = _sorted(_projections(x, proj))  # (B, K, HW)
    py = _sorted(_projections(y, proj))
    return (px - py).pow(2).flatten(1).mean(1)


def gram_distance(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of the (C, C) Gram matrices of x and y (each / H·W): (B,) ≥ 0."""
    gx = _as_sets(x).transpose(1, 2) @ _as_sets(x) / x[0, 0].numel()  # (B, C, C)
    gy = _as_sets(y).transpose(1, 2) @ _as_sets(y) / y[0, 0].numel()
    return (gx - gy).pow(2).flatten(1).mean(1)


def photo_tags(photo: torch.Tensor, dims: int = 8, *, seed: int = 0, smooth: int = 3) -> torch.Tensor:
    """The photo's context at each position, as a tag: a fixed random projection of its
    activations to `dims` channels, box-smoothed `smooth`×`smooth`, standardised per image and
    channel (mean 0, std 1 over positions).

    Args:
        photo: the photo's activations (B, C, H, W) at one layer.
        seed: fixes the projection (the same function of the photo every call).

    Returns:
        (B, dims, H, W), no gradient to `photo` needed (it is context, not a prediction).
    """
    proj = unit_projections(photo.shape[1], dims, generator=torch.Generator().manual_seed(seed), device=photo.device)
    tags = torch.einsum("bchw,ck->bkhw", photo, proj.to(photo.dtype))
    if smooth > 1:
        tags = torch.nn.functional.avg_pool2d(tags, smooth, 1, smooth // 2, count_include_pad=False)
    flat = tags.flatten(2)
    return ((flat - flat.mean(2, keepdim=True)) / flat.std(2, keepdim=True).clamp_min(1e-6)).view_as(tags)


def tagged_sliced_wasserstein(x: torch.Tensor, y: torch.Tensor, tags: torch.Tensor, proj: torch.Tensor,
                              tag_proj: torch.Tensor, weight: float = 1.0) -> torch.Tensor:
    """Squared sliced Wasserstein-2 distance between the sets of (tag, feature) pairs of x and y.

    Every direction has a feature part and a tag part of equal norm, so every 1-D projection
    mixes where (in the photo's terms) with what (the dream's features): a motif matches only
    if it sits on content like the one it sits on in the true dream.

    Args:
        x, y: feature maps (B, C, H, W) of the fake and the true dream (same shape).
        tags: (B, T, H, W) the photo's tags at the same positions (`photo_tags`).
        proj: (C, K) and tag_proj: (T, K) unit directions.
        weight: the tags' scale in units of y's feature std per image; 0 = plain SW, large
            values align positions (and bring back the motif-free mean of aligned losses).

    Returns:
        (B,) ≥ 0: 0 for identical inputs; invariant to permuting positions that share a tag.
    """
    if x.shape != y.shape or tags.shape[-2:] != x.shape[-2:]:
        raise ValueError(f"tagged_sliced_wasserstein needs equal shapes, got {tuple(x.shape)}, {tuple(y.shape)}, tags {tuple(tags.shape)}")
    scale = weight * y.detach().flatten(1).std(1).view(-1, 1, 1)  # (B, 1, 1)
    t = _projections(tags, tag_proj) * scale  # (B, K, HW), the same for x and y
    px = _sorted((_projections(x, proj) + t) / 2 ** 0.5)
    py = _sorted((_projections(y, proj) + t) / 2 ** 0.5)
    return (px - py).pow(2).flatten(1).mean(1)


STATS_KINDS = ("swd", "gram")
STATS_NORMS = ("energy", "photo")

__all__ = ["STATS_KINDS", "STATS_NORMS", "gram_distance", "photo_tags", "sliced_wasserstein", "tagged_sliced_wasserstein",
           "unit_projections"]
