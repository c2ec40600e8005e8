"""Metrics: FID of a set with itself ≈ 0 and equal to a scipy reference; paired metrics' anchors."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
from PIL import Image

from dreamgan.dream import DreamConfig, dream
from dreamgan.errors import DreamganError
from dreamgan.metrics import EFFICIENTNET, KEY_FID, KEY_KID_MEAN, KEY_N, features, fid_kid, paired_dream_metrics


def _images(n, seed, size=64, stripes=False):
    """Smooth colour blobs, or (stripes=True) a structurally different set of striped images."""
    g = torch.Generator().manual_seed(seed)
    small = torch.randint(0, 256, (n, 3, 4, 4), generator=g, dtype=torch.uint8).float()
    x = torch.nn.functional.interpolate(small, size=(size, size), mode="bilinear")
    if stripes:
        x = x * (torch.arange(size).view(1, 1, 1, -1) // 4 % 2)
    return x.round().byte()


def _scipy_fid(f1: np.ndarray, f2: np.ndarray) -> float:
    """FID with scipy, written independently of torch-fidelity.

    With N < D the covariances have rank < N, and the non-zero eigenvalues of S1·S2 equal those of
    the N×N matrix (X1 X2ᵀ)(X1 X2ᵀ)ᵀ / (N-1)² (X centred), so Tr sqrt(S1·S2) is computed there.
    """
    mu1, mu2 = f1.mean(0), f2.mean(0)
    x1, x2 = f1 - mu1, f2 - mu2
    n1, n2 = len(f1) - 1, len(f2) - 1
    c = x1 @ x2.T
    tr_covmean = np.trace(scipy.linalg.sqrtm(c @ c.T / (n1 * n2)).real)
    tr1, tr2 = (x1 ** 2).sum() / n1, (x2 ** 2).sum() / n2
    return float(((mu1 - mu2) ** 2).sum() + tr1 + tr2 - 2 * tr_covmean)


@pytest.fixture(scope="module")
def sets():
    return _images(10, 0), _images(10, 1, stripes=True)


@pytest.fixture(scope="module")
def fid_ab(sets):
    a, b = sets
    return fid_kid(a, b, batch_size=5)


@pytest.mark.slow
def test_fid_of_a_set_with_itself_is_zero(sets, fid_ab):
    a, _ = sets
    out = fid_kid(a, a.clone())
    assert abs(out[KEY_FID]) < 1e-3 and out[KEY_N] == [10, 10] and out["kid_subset_size"] == 10
    # KID's unbiased estimator fluctuates around 0 at this N; it must be far below a real difference.
    assert abs(out[KEY_KID_MEAN]) < 0.2 * fid_ab[KEY_KID_MEAN], (out[KEY_KID_MEAN], fid_ab[KEY_KID_MEAN])


@pytest.mark.slow
def test_reference_features_are_cached_once_and_reused(sets, fid_ab, tmp_path):
    a, b = sets
    cache = tmp_path / "fid-cache" / "val-0123"
    first = fid_kid(a, b, cache_b=cache)
    assert first[KEY_FID] == pytest.approx(fid_ab[KEY_FID], rel=1e-6)
    assert any(cache.parent.iterdir()), "the reference features were written to the cache"
    # Same cache name: the cached features of b are used, whatever is passed now.
    again = fid_kid(a, a.clone(), cache_b=cache)
    assert again[KEY_FID] == pytest.approx(first[KEY_FID], rel=1e-6)


class _Planted:
    """A pickle that runs code when it is loaded (`os.system` through `__reduce__`)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


@pytest.mark.slow
def test_a_planted_feature_cache_runs_no_code_and_is_refused_in_one_line(sets, tmp_path):
    """A run's fid-cache is a file anyone who can write the run folder can replace: what is
    read there must be arrays only. A pickle, a torch file and an .npz holding an object are
    refused with one line naming the file, and no code runs."""
    a, b = sets
    cache = tmp_path / "fid-cache" / "val-0123"
    marker = tmp_path / "PWNED"
    path = cache.with_name(cache.name + ".npz")
    cache.parent.mkdir(parents=True)
    plants = {
        "torch.save": lambda: torch.save({"g": _Planted(marker)}, path),
        "npz with an object array": lambda: np.savez(path, features=np.array([_Planted(marker)], dtype=object)),
        "wrong shape": lambda: np.savez(path, features=np.zeros((3, 2048), np.float32)),
    }
    for name, plant in plants.items():
        plant()
        with pytest.raises(DreamganError, match=r"val-0123\.npz .*delete it") as err:
            fid_kid(a, b, cache_b=cache)
        assert "\n" not in str(err.value) and not marker.exists(), name
    # torch-fidelity's own cache names (a planted .pt beside ours) are never read
    path.unlink()
    torch.save({"g": _Planted(marker)}, cache.parent / "val-0123-dreamgan-inception-v3-tf-features-2048.pt")
    fid_kid(a, b, cache_b=cache)
    assert not marker.exists() and path.exists()


@pytest.mark.slow
def test_fid_matches_a_scipy_reference_and_is_batch_size_independent(sets, fid_ab):
    a, b = sets
    fa, fb = features(a, batch_size=5), features(b)
    ref = _scipy_fid(fa, fb)
    assert fid_ab[KEY_FID] > 1.0
    assert abs(fid_ab[KEY_FID] - ref) < 1e-3 * max(1.0, ref), f"{fid_ab[KEY_FID]} vs scipy {ref}"
    assert np.allclose(fa, features(a, batch_size=10), atol=1e-4), "features must not depend on the batch size"


@pytest.mark.slow
def test_features_are_the_ported_inceptions_pool3(sets):
    from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

    from dreamgan.backbones.inception_tf import load_torchscript

    a, _ = sets
    x = interpolate_bilinear_2d_like_tensorflow1x(a[:3].float(), size=(299, 299), align_corners=False)
    with torch.no_grad():
        ref = load_torchscript()((x - 128) / 128).double().numpy()
    assert np.allclose(features(a[:3]), ref, atol=1e-3)


@pytest.mark.slow
def test_cross_network_extractor_and_folders(tmp_path, sets):
    a, b = sets
    for name, batch in (("a", a), ("b", b)):
        (tmp_path / name).mkdir()
        for i, img in enumerate(batch):
            Image.fromarray(img.permute(1, 2, 0).numpy()).save(tmp_path / name / f"{i}.png")
    out = fid_kid(tmp_path / "a", tmp_path / "b", extractor=EFFICIENTNET)  # folders, cross-network features
    assert out["extractor"] == EFFICIENTNET and out[KEY_FID] > 0
    with pytest.raises(DreamganError, match="at least 2"):
        fid_kid(a[:1], b)
    with pytest.raises(DreamganError, match="not a folder"):
        fid_kid(tmp_path / "missing", tmp_path / "a")


@pytest.fixture(scope="module")
def dream_triplet():
    import skimage.data

    from dreamgan.images import resize_uint8, uint8_to_x01

    photos = [resize_uint8(getattr(skimage.data, n)()[:300, :300], (64, 64)) for n in ("chelsea", "coffee")]
    real_a = torch.cat([uint8_to_x01(p) for p in photos])
    recipe = DreamConfig(layers=("mixed_3",), octaves=1, steps=6, tile=0)
    return real_a, dream(real_a, recipe), recipe


def test_paired_metrics_of_a_perfect_replica(dream_triplet):
    real_a, real_b, recipe = dream_triplet
    m = paired_dream_metrics(real_a, real_b, real_b.clone(), recipe)
    assert m["attainment"] == pytest.approx(1.0, abs=1e-6)
    assert m["feature_ratio"] == pytest.approx(0.0, abs=1e-9)
    assert m["alignment"] == pytest.approx(1.0, abs=1e-6) and m["l1"] == 0 and m["psnr"] >= 99


def test_paired_metrics_of_the_identity_baseline(dream_triplet):
    real_a, real_b, recipe = dream_triplet
    m = paired_dream_metrics(real_a, real_b, real_a.clone(), recipe)
    assert m["attainment"] == pytest.approx(0.0, abs=1e-6)
    assert m["feature_ratio"] == pytest.approx(1.0, abs=1e-6)
    assert m["alignment"] == pytest.approx(0.0, abs=1e-9)
    assert m["l1"] == pytest.approx(float((real_a - real_b).abs().mean()), rel=1e-5)


def test_paired_metrics_rank_a_half_dream_between(dream_triplet):
    real_a, real_b, recipe = dream_triplet
    half = real_a + 0.5 * (real_b - real_a)
    m = paired_dream_metrics(real_a, real_b, half, recipe)
    assert 0 < m["attainment"] < 1 and 0 < m["feature_ratio"] < 1 and m["alignment"] == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow
def test_stats_metric_is_zero_for_the_true_dream_one_for_the_photo_and_deterministic(dream_triplet):
    real_a, real_b, recipe = dream_triplet
    true = paired_dream_metrics(real_a, real_b, real_b.clone(), recipe)
    photo = paired_dream_metrics(real_a, real_b, real_a.clone(), recipe)
    for key in ("stats_ratio", "stats_ratio_effnet", "cond_stats_ratio"):
        assert true[key] == pytest.approx(0.0, abs=1e-9), key
        assert photo[key] == pytest.approx(1.0, abs=1e-9), key
    half = real_a + 0.5 * (real_b - real_a)
    first, again = (paired_dream_metrics(real_a, real_b, half, recipe) for _ in range(2))
    assert 0 < first["stats_ratio"] < 1 and 0 < first["stats_ratio_effnet"] < 1
    assert first["stats_ratio"] == again["stats_ratio"] and first["stats_ratio_effnet"] == again["stats_ratio_effnet"]


def test_lattice_index_is_high_for_a_tiled_motif_low_for_noise_and_deterministic():
    from dreamgan.metrics import lattice_index

    g = torch.Generator().manual_seed(0)
    photo = 0.4 + 0.2 * torch.rand(2, 3, 160, 200, generator=g)
    motif = torch.rand(1, 3, 40, 40, generator=g)
    tiled = photo + 0.3 * (motif.repeat(2, 1, 4, 5) - 0.5)
    noise = photo + 0.1 * (torch.rand(2, 3, 160, 200, generator=g) - 0.5)
    shuffled = tiled.flatten(2)[:, :, torch.randperm(160 * 200, generator=g)].view_as(tiled)  # the same pixels, no order
    assert (lattice_index(photo, tiled) > 0.9).all(), "one motif on a lattice"
    assert (lattice_index(photo, noise) < 0.1).all()
    assert (lattice_index(photo.flatten(2)[:, :, torch.randperm(160 * 200, generator=torch.Generator().manual_seed(1))].view_as(photo),
                          shuffled) < 0.2).all()
    assert torch.equal(lattice_index(photo, tiled), lattice_index(photo, tiled)), "deterministic"
    assert (lattice_index(photo, photo) == 0).all(), "no change, no lattice"


def test_lattice_period_is_the_motif_s_repeat_and_not_a_multiple_of_it():
    from dreamgan.metrics import lattice_period

    g = torch.Generator().manual_seed(0)
    photo = 0.4 + 0.2 * torch.rand(3, 3, 160, 200, generator=g)
    square = 0.3 * (torch.rand(1, 3, 32, 32, generator=g).repeat(1, 1, 5, 7)[..., :200] - 0.5)  # repeats every 32 px both ways
    wide = 0.3 * (torch.rand(1, 3, 160, 24, generator=g).repeat(1, 1, 1, 9)[..., :200] - 0.5)  # every 24 px across only
    dreams = photo + torch.cat([square, wide, torch.zeros(1, 3, 160, 200)])
    period = lattice_period(photo, dreams)
    assert period[0].tolist() in ([0, 32], [32, 0]), period[0]
    assert period[1].tolist() == [0, 24], period[1]
    assert period[2].tolist() == [0, 0], "no change, no period"
    ramp = torch.linspace(0, 0.3, 200).view(1, 1, 1, 200).expand(1, 3, 160, 200)  # one gradient: a slope from lag 0, no repeat
    assert lattice_period(photo[:1], photo[:1] + ramp).tolist() == [[0, 0]], "a slope from lag 0 is no period"


def test_conditional_stats_ratio_sees_motifs_moved_to_other_content():
    from dreamgan.metrics import conditional_stats_ratio, stats_ratio

    # the photo: two kinds of content (left and right halves); the dream: a motif on the left only
    a = torch.zeros(1, 4, 8, 16)
    a[:, 0, :, :8], a[:, 1, :, 8:] = 1.0, 1.0
    b = torch.zeros_like(a)  # at this layer the dream's features are its motif alone
    b[:, 2, :, :8] = torch.randn(1, 8, 8, generator=torch.Generator().manual_seed(0)) + 3
    moved = b.clone()
    moved = torch.roll(b, 8, dims=-1)  # the same motif features, on the other content
    acts = {"a": {"l": a}, "b": {"l": b}, "f": {"l": moved}}
    plain, cond = stats_ratio(acts, ["l"]), conditional_stats_ratio(acts, ["l"])
    assert float(plain) < 1e-9, "position-free statistics cannot tell where the motif went"
    assert float(cond) > 0.1, "conditioned on the photo, a motif on the wrong content costs"
