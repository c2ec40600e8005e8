"""Metrics: FID/KID over the embedded TF Inception, and paired metrics that can see a dream
(the position-free distances they use are `metrics.stats`; the evaluation report of a run is
`metrics.report`).

Distribution metrics use torch-fidelity's (Obukhov et al.) formulas and feature extraction,
with our own feature extractors registered, so nothing is downloaded (and its feature cache,
which unpickles, is never used: ours holds arrays only):

  * `dreamgan-inception-v3-tf`: 2048-d pool3 features of the TF Inception-v3 that standard FID
    uses (Heusel et al. 2017), input resized to 299 with TF1-compatible bilinear interpolation;
  * `dreamgan-efficientnet-lite0`: 1280-d pooled features, a cross-network check so a score is
    not only measured in the dreaming network's own feature space.

FID/KID at small N cannot tell a photo from its dream, so `paired_dream_metrics` measures a
generated dream against the true dream *of the same photo* (see its docstring).

Result keys are the constants below.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from dreamgan.errors import DreamganError

KEY_FID = "fid"
KEY_KID_MEAN = "kid_mean"
KEY_KID_STD = "kid_std"
KEY_N = "n"
KEY_KID_SUBSET = "kid_subset_size"
INCEPTION = "dreamgan-inception-v3-tf"
EFFICIENTNET = "dreamgan-efficientnet-lite0"
EXTRACTORS = {"inception": INCEPTION, "efficientnet": EFFICIENTNET}


# -- 1. features ---------------------------------------------------------------------------------
def _extractor_classes():
    from torch_fidelity.feature_extractor_base import FeatureExtractorBase
    from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

    from dreamgan.backbones import load_backbone

    class _Extractor(FeatureExtractorBase):
        """One named feature vector per image; subclasses set FEATURE, SIZE and `features`."""

        FEATURE, SIZE = "", 0

        @classmethod
        def get_provided_features_list(cls):
            return (cls.FEATURE,)

        @classmethod
        def get_default_feature_layer_for_metric(cls, metric):
            return cls.FEATURE

        @staticmethod
        def can_be_compiled():
            return False

        @classmethod
        def get_dummy_input_for_compile(cls):
            return torch.zeros(1, 3, cls.SIZE, cls.SIZE, dtype=torch.uint8)

        def forward(self, x):
            return (self.features(x),)

    class InceptionTF(_Extractor):
        """uint8 (B, 3, H, W) → (B, 2048) pool3 features of the embedded TF Inception."""

        FEATURE, SIZE = "2048", 299

        def __init__(self, name, features_list, **kwargs):
            super().__init__(name, features_list)
            self.net = load_backbone("inception-v3-tf").folded()

        def features(self, x):
            x = interpolate_bilinear_2d_like_tensorflow1x(x.float(), size=(299, 299), align_corners=False)
            return self.net(x / 255.0, ["pool2"])["pool2"].flatten(1)

    class EfficientNetLite(_Extractor):
        """uint8 (B, 3, H, W) → (B, 1280) pooled features of EfficientNet-Lite0 at 224 px."""

        FEATURE, SIZE = "1280", 224

        def __init__(self, name, features_list, **kwargs):
            super().__init__(name, features_list)
            self.net = load_backbone("efficientnet-lite0")

        def features(self, x):
            x = F.interpolate(x.float() / 255.0, size=(224, 224), mode="bilinear", align_corners=False, antialias=True)
            return self.net(x, ["flatten"])["flatten"]

    return {INCEPTION: InceptionTF, EFFICIENTNET: EfficientNetLite}


def register_extractors() -> None:
    """Register dreamgan's feature extractors with torch-fidelity (idempotent)."""
    from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY, register_feature_extractor

    for name, cls in _extractor_classes().items():
        if name not in FEATURE_EXTRACTORS_REGISTRY:
            register_feature_extractor(name, cls)


class ImagesUint8(torch.utils.data.Dataset):
    """Image files as uint8 (3, S, S) tensors, read with dreamgan's loader (any mode, EXIF).

    Images are resized to S×S (Lanczos) unless already that size, so folders of mixed sizes
    batch together; S = 299 matches the Inception input.
    """

    def __init__(self, paths: Sequence[str | os.PathLike], size: int = 299):
        self.paths, self.size = [str(p) for p in paths], size

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        from dreamgan.images import load_image, resize_uint8

        img = load_image(self.paths[i])
        if img.shape[:2] != (self.size, self.size):
            img = resize_uint8(img, (self.size, self.size))
        return torch.from_numpy(np.array(img, copy=True)).permute(2, 0, 1)


class TensorUint8(torch.utils.data.Dataset):
    def __init__(self, x: torch.Tensor):
        self.x = x

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i]


def as_dataset(source) -> torch.utils.data.Dataset:
    """A folder, a list of image paths, a uint8 (N, 3, H, W) tensor, or a dataset, as a dataset.

    Raises:
        DreamganError: a missing folder or one without images.
    """
    if isinstance(source, torch.utils.data.Dataset):
        return source
    if torch.is_tensor(source):
        if source.dtype != torch.uint8 or source.ndim != 4:
            raise DreamganError(f"expected a uint8 (N, 3, H, W) tensor, got {source.dtype} {tuple(source.shape)}")
        return TensorUint8(source)
    if isinstance(source, (str, os.PathLike)):
        from dreamgan.images import list_images

        root = Path(source)
        if not root.is_dir():
            raise DreamganError(f"{root} is not a folder of images")
        paths = list_images([root])
        if not paths:
            raise DreamganError(f"{root} holds no images")
        return ImagesUint8(paths)
    return ImagesUint8(list(source))


def features(source, extractor: str = INCEPTION, batch_size: int = 32) -> np.ndarray:
    """(N, D) float64 features of `source` (see `as_dataset`) from a registered extractor."""
    register_extractors()
    from torch_fidelity.utils import create_feature_extractor, get_featuresdict_from_dataset

    fe = create_feature_extractor(extractor, list(_extractor_classes()[extractor].get_provided_features_list()),
                                  cuda=False, verbose=False)
    feats = get_featuresdict_from_dataset(as_dataset(source), fe, batch_size, False, True, False)
    return next(iter(feats.values())).double().numpy()


def mean_pairwise_distance(x01: torch.Tensor, extractor: str = INCEPTION) -> float:
    """Mean Euclidean distance between the `extractor` features of every two distinct images of
    a (N ≥ 2, 3, H, W) [0, 1] batch: how varied a set is (near 0: one image repeated)."""
    from dreamgan.images import x01_to_uint8_tensor

    f = torch.from_numpy(features(x01_to_uint8_tensor(x01).cpu(), extractor))
    n = len(f)
    if n < 2:
        raise DreamganError(f"a spread needs at least 2 images; got {n}")
    return float(torch.cdist(f, f).sum() / (n * (n - 1)))


# -- 2. distribution metrics ---------------------------------------------------------------------
def fid_kid(source_a, source_b, *, extractor: str = INCEPTION, batch_size: int = 32,
            cache_b: str | os.PathLike | None = None) -> dict:
    """FID and KID (mean ± std) between two image sets, by torch-fidelity's formulas on our
    extractors' features.

    KID's subset size follows N (min(1000, N_a, N_b)); N is always reported next to FID.
    `cache_b` (a path: folder + name) caches source_b's features there as `NAME.npz`, so a
    fixed reference set (the true dreams of a split) is featurised once per run; the name must
    change when the set does (e.g. carry the dataset hash). The cache holds arrays only and is
    read without unpickling (`_cached_features`): a file planted there can run no code.

    Returns:
        {fid, kid_mean, kid_std, n: [N_a, N_b], kid_subset_size, extractor}

    Raises:
        DreamganError: fewer than 2 images on a side, unreadable inputs, or a cache file that
            is not a feature array of this extractor.
    """
    from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric
    from torch_fidelity.metric_kid import KEY_METRIC_KID_MEAN, KEY_METRIC_KID_STD, kid_features_to_metric

    a, b = as_dataset(source_a), as_dataset(source_b)
    n = min(len(a), len(b))
    if n < 2:
        raise DreamganError(f"FID/KID need at least 2 images per set; got {len(a)} and {len(b)}")
    subset = min(1000, n)
    extract = lambda ds: features(ds, extractor, batch_size).astype(np.float32)  # noqa: E731  (torch-fidelity's own precision)
    feats_a = torch.from_numpy(extract(a))
    feats_b = torch.from_numpy(extract(b) if cache_b is None else _cached_features(Path(cache_b), len(b), lambda: extract(b)))
    fid = fid_statistics_to_metric(fid_features_to_statistics(feats_a), fid_features_to_statistics(feats_b), False)
    kid = kid_features_to_metric(feats_a, feats_b, kid_subset_size=subset, verbose=False)
    return {KEY_FID: float(fid["frechet_inception_distance"]), KEY_KID_MEAN: float(kid[KEY_METRIC_KID_MEAN]),
            KEY_KID_STD: float(kid[KEY_METRIC_KID_STD]), KEY_N: [len(a), len(b)], KEY_KID_SUBSET: subset,
            "extractor": extractor}


def _cached_features(cache: Path, n: int, compute) -> np.ndarray:
    """(n, D) features from `cache`.npz, or `compute()`d and written there atomically. The file
    is read with `allow_pickle=False`: arrays only, never objects.

    Raises:
        DreamganError: the file is not one float array of n rows (one line naming it).
    """
    import io

    from dreamgan.fileio import write_bytes_atomic

    path = cache.with_name(cache.name + ".npz")
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                feats = z["features"]
        except Exception as e:  # a zip with object arrays, a pickle, a truncated file: all refused alike
            raise DreamganError(f"{path} is not a feature cache dreamgan wrote ({type(e).__name__}); delete it to recompute") from None
        if feats.ndim != 2 or feats.shape[0] != n or feats.dtype.kind != "f":
            raise DreamganError(f"{path} holds features of shape {feats.shape} ({feats.dtype}), not ({n}, D) floats; delete it to recompute")
        return feats
    feats = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez(buf, features=feats)
    write_bytes_atomic(path, buf.getvalue())
    return feats


# -- 3. paired dream metrics ---------------------------------------------------------------------
@torch.no_grad()
def paired_dream_metrics(real_a: torch.Tensor, real_b: torch.Tensor, fake_b: torch.Tensor, recipe=None, *,
                         engine=None) -> dict:
    """Metrics of a generated dream against the true dream of the same photo.

    Args:
        real_a, real_b, fake_b: (N, 3, H, W) in [0, 1]: photos, their true dreams, generated dreams.
        recipe: the `DreamConfig` the true dreams were made with (its layers and weighting
            define J and the dream features); or pass a ready `engine`.

    Returns (per-image arrays under `per_image`, and their means):
        attainment: (J(fake_b) - J(real_a)) / (J(real_b) - J(real_a)); 1 = as strong as the true dream.
        feature_ratio: d(fake_b, real_b) / d(real_a, real_b), d the distance of dream-layer
            activations, each layer normalised by the true dream's mean square; < 1 = closer than the photo.
        stats_ratio: dream-statistics distance (`stats_ratio`) at the recipe's dream layers: how far
            the fake's *set* of dream features is from the true dream's, wherever the motifs fall,
            over the same for the photo. 0 = the true dream, 1 = no closer than the photo.
        stats_ratio_effnet: the same on EfficientNet-Lite0 (blocks.9, blocks.14), a network no
            generator trains against: a generator that games Inception scores well above and
            badly here.
        cond_stats_ratio: `stats_ratio` with the photo's tags beside every feature vector
            (`conditional_stats_ratio`): low only if the fake's motifs sit on the content the
            true dream's sit on. One motif stamped everywhere scores high here.
        lattice_index: `lattice_index` of the fake's change to the photo, in [0, 1]: how
            periodic it is (a lattice of one motif ≈ 1; true dreams ≈ 0.1).
        l1, psnr: pixel error against real_b (PSNR in dB, peak 1).
    """
    from dreamgan.dream.engine import DreamEngine

    engine = engine or DreamEngine(recipe)
    real_a, real_b, fake_b = (t.to(engine.device) for t in (real_a, real_b, fake_b))
    # one J for all three, bound on the photo
    j = dict(zip("abf", (s.double() for s in engine.scores([real_a, real_b, fake_b], reference01=real_a))))
    attainment = (j["f"] - j["a"]) / (j["b"] - j["a"]).where((j["b"] - j["a"]).abs() > 1e-12, torch.full_like(j["a"], 1e-12))
    layers = engine.objective.layers
    acts = {k: engine.activations(x) for k, x in (("a", real_a), ("b", real_b), ("f", fake_b))}

    def dist(x: dict, y: dict) -> torch.Tensor:
        total = 0.0
        for layer in layers:
            scale = acts["b"][layer].double().pow(2).flatten(1).mean(1) + 1e-12
            total = total + (x[layer].double() - y[layer].double()).pow(2).flatten(1).mean(1) / scale
        return total / len(layers)

    ratio = dist(acts["f"], acts["b"]) / (dist(acts["a"], acts["b"]) + 1e-12)
    stats = stats_ratio({k: acts[k] for k in "abf"}, layers)
    cond_stats = conditional_stats_ratio({k: acts[k] for k in "abf"}, layers)
    second = _second_network(engine.device)
    stats_second = stats_ratio({k: second(x, SECOND_LAYERS) for k, x in (("a", real_a), ("b", real_b), ("f", fake_b))},
                               SECOND_LAYERS)
    r_fake, r_true = (fake_b - real_a).flatten(1).double(), (real_b - real_a).flatten(1).double()
    norms = r_fake.norm(dim=1) * r_true.norm(dim=1)
    alignment = torch.where(norms > 1e-12, (r_fake * r_true).sum(1) / norms.clamp_min(1e-12), torch.zeros_like(norms))
    l1 = (fake_b - real_b).abs().flatten(1).double().mean(1)
    mse = (fake_b - real_b).pow(2).flatten(1).double().mean(1)
    psnr = 10 * torch.log10(1.0 / mse.clamp_min(1e-10))
    per_image = {"attainment": attainment, "feature_ratio": ratio, "stats_ratio": stats, "stats_ratio_effnet": stats_second,
                 "cond_stats_ratio": cond_stats, "lattice_index": lattice_index(real_a, fake_b),
                 "alignment": alignment, "l1": l1, "psnr": psnr}
    out = {k: float(v.mean()) for k, v in per_image.items()}
    out["alignment_std"] = float(alignment.std()) if len(alignment) > 1 else 0.0
    out["n"] = int(real_a.shape[0])
    out["per_image"] = {k: v.tolist() for k, v in per_image.items()}
    return out


STATS_PROJECTIONS = 256
SECOND_BACKBONE = "efficientnet-lite0"
SECOND_LAYERS = ("blocks.9", "blocks.14")


def stats_ratio(acts: dict, layers: Sequence[str], *, projections: int = STATS_PROJECTIONS, seed: int = 0,
                tag_weight: float = 0.0, tag_dims: int = 8) -> torch.Tensor:
    """Per-image dream-statistics distance of the fake over that of the photo (both to the true dream).

    Args:
        acts: {"a": photo, "b": true dream, "f": fake}, each {layer: (N, C, H, W)} activations.
        layers: the layers to use.
        projections, seed: fixed unit directions per layer (seeded: the metric is deterministic).
        tag_weight: > 0 conditions the statistics on the photo: every feature vector carries the
            photo's tag at its position (`metrics.stats.photo_tags`, `tag_dims` channels, fixed per
            layer) and the distance is `tagged_sliced_wasserstein` (see `conditional_stats_ratio`).

    Returns:
        (N,) float64: Σ_l SW_l(f, b) / Σ_l SW_l(a, b), each layer's sliced Wasserstein distance
        (`metrics.stats.sliced_wasserstein`) divided by the true dream's mean square. 0 for the
        true dream, 1 for the photo.
    """
    from dreamgan.metrics.stats import photo_tags, sliced_wasserstein, tagged_sliced_wasserstein, unit_projections

    num, den = 0.0, 0.0
    for i, layer in enumerate(layers):
        b = acts["b"][layer].double()
        gen = torch.Generator().manual_seed(seed + i)
        proj = unit_projections(b.shape[1], projections, generator=gen, device=b.device).double()
        if tag_weight > 0:
            tag_proj = unit_projections(tag_dims, projections, generator=gen, device=b.device).double()
            tags = photo_tags(acts["a"][layer].double(), tag_dims, seed=i)
            distance = lambda x: tagged_sliced_wasserstein(x, b, tags, proj, tag_proj, tag_weight)  # noqa: E731
        else:
            distance = lambda x: sliced_wasserstein(x, b, proj)  # noqa: E731
        scale = b.pow(2).flatten(1).mean(1) + 1e-12
        num = num + distance(acts["f"][layer].double()) / scale
        den = den + distance(acts["a"][layer].double()) / scale
    return num / den.clamp_min(1e-12)


TAG_WEIGHT, TAG_DIMS = 1.0, 8
"""The conditional statistics ratio's fixed tag weight and tag size (`conditional_stats_ratio`)."""


def conditional_stats_ratio(acts: dict, layers: Sequence[str], *, projections: int = STATS_PROJECTIONS, seed: int = 0) -> torch.Tensor:
    """`stats_ratio` over (photo context, dream feature) pairs, with the fixed `TAG_WEIGHT` and
    `TAG_DIMS`: (N,) float64; 0 for the true dream, 1 for the photo; a fake that puts the true
    dream's motifs on other content scores higher than under `stats_ratio`."""
    return stats_ratio(acts, layers, projections=projections, seed=seed, tag_weight=TAG_WEIGHT, tag_dims=TAG_DIMS)


LATTICE_LAGS = (12, 100)
"""The lags (px, Euclidean) over which `lattice_index` looks for a repeat."""


def _periodicity(real_a: torch.Tensor, b: torch.Tensor, lags: tuple[int, int]):
    """The normalised autocorrelation of the luminance change (b − photo) at the lags of `lags`
    px (see `lattice_index`): ((N, L) values relative to lag 0, (L, 2) their (dy, dx) lags in
    px, (N,) whether the change is nonzero, (N, L) whether each is a local maximum), or None
    where no lag of that range fits."""
    w_lum = torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64, device=b.device).view(1, 3, 1, 1)
    d = ((b.double() - real_a.double()) * w_lum).sum(1)  # (N, H, W)
    n, h, w = d.shape
    d = d - d.mean((1, 2), keepdim=True)
    window = torch.outer(torch.hann_window(h, periodic=False, dtype=torch.float64, device=d.device),
                         torch.hann_window(w, periodic=False, dtype=torch.float64, device=d.device))

    def autocorrelation(x: torch.Tensor) -> torch.Tensor:  # (..., H, W) → (..., 2H, 2W), lag 0 at [0, 0]
        f = torch.fft.rfft2(x, s=(2 * h, 2 * w))
        return torch.fft.irfft2(f.real ** 2 + f.imag ** 2, s=(2 * h, 2 * w))

    acf = autocorrelation(d * window)  # (N, 2H, 2W)
    acf_w = autocorrelation(window)  # (2H, 2W)
    dy = torch.fft.fftfreq(2 * h, 1 / (2 * h), dtype=torch.float64, device=d.device).view(-1, 1)  # signed lags
    dx = torch.fft.fftfreq(2 * w, 1 / (2 * w), dtype=torch.float64, device=d.device).view(1, -1)
    radius = (dy ** 2 + dx ** 2).sqrt()
    # lags where the windows still overlap enough to estimate (≥ 5 % of lag 0's overlap)
    mask = (radius >= lags[0]) & (radius <= lags[1]) & (acf_w > 0.05 * acf_w[0, 0])
    if not bool(mask.any()):
        return None
    r = acf / acf_w.clamp_min(1e-12)
    # a repeat is a local maximum of the autocorrelation (3×3, across the lag grid's wrap), not
    # the slope down from lag 0 at the range's shortest lag
    padded = torch.cat([r[:, -1:], r, r[:, :1]], 1)
    padded = torch.cat([padded[:, :, -1:], padded, padded[:, :, :1]], 2)
    peak = r >= F.max_pool2d(padded.unsqueeze(1), 3, 1).squeeze(1)  # (N, 2H, 2W)
    values = r[:, mask] / r[:, 0, 0].clamp_min(1e-30).unsqueeze(1)
    where = torch.stack([dy.expand_as(radius)[mask], dx.expand_as(radius)[mask]], 1)
    return values, where, acf[:, 0, 0] > 1e-12, peak[:, mask]


def lattice_index(real_a: torch.Tensor, b: torch.Tensor, lags: tuple[int, int] = LATTICE_LAGS) -> torch.Tensor:
    """How periodic a dream's change to its photo is: the largest normalised autocorrelation of
    the luminance change (b − photo) at lags of `lags` px.

    The change is mean-removed and Hann-windowed; its autocorrelation (by FFT, zero-padded, so
    no wrap-around) is divided by the window's own, so that a perfectly periodic change scores
    ≈ 1 at its period whatever the window's overlap, and then by its value at lag 0. One motif
    stamped on a lattice scores near 1; DeepDream's aperiodic motifs score ≈ 0.1; white noise
    less.

    Args:
        real_a, b: (N, 3, H, W) in [0, 1], photos and their dreams.

    Returns:
        (N,) float64 in [0, 1] (a change of 0 scores 0).
    """
    found = _periodicity(real_a, b, lags)
    if found is None:
        return torch.zeros(real_a.shape[0], dtype=torch.float64)
    values, _, nonzero, _ = found
    index = values.max(1).values.clamp(0, 1)
    return torch.where(nonzero, index, torch.zeros_like(index)).cpu()


def lattice_period(real_a: torch.Tensor, b: torch.Tensor, lags: tuple[int, int] = LATTICE_LAGS) -> torch.Tensor:
    """Where a dream's change to its photo repeats: the lag (dy, dx) in px, within `lags`
    (Euclidean), of the highest local maximum of the normalised autocorrelation that
    `lattice_index` reads (the shortest within 5 % of it: a lattice peaks at its period's
    multiples too; a change whose autocorrelation only falls from lag 0 has none), with dy ≥ 0
    (a lag and its negative are the same repeat). A generator that stamps one motif per
    cell of its deepest level repeats at (±2^depth, ±2^depth) or (0, 2^depth).

    Args:
        real_a, b: (N, 3, H, W) in [0, 1], photos and their dreams.

    Returns:
        (N, 2) int64 lags in px; (0, 0) where the change is 0, no lag fits or none is a peak.
    """
    found = _periodicity(real_a, b, lags)
    if found is None:
        return torch.zeros(real_a.shape[0], 2, dtype=torch.int64)
    values, where, nonzero, peak = found
    # among the local maxima, the shortest lag within 5 % of the highest: a lattice of period p
    # peaks alike at p, 2p, ...
    radius = where.pow(2).sum(1).sqrt()  # (L,)
    values = torch.where(peak, values, torch.full_like(values, -float("inf")))
    near_peak = peak & (values >= 0.95 * values.max(1, keepdim=True).values.clamp_min(0))
    lag = where[torch.where(near_peak, radius, torch.full_like(values, float("inf"))).argmin(1)].round().long()  # (N, 2)
    nonzero = nonzero & near_peak.any(1)
    lag = torch.where((lag[:, :1] < 0) | ((lag[:, :1] == 0) & (lag[:, 1:] < 0)), -lag, lag)
    return torch.where(nonzero.unsqueeze(1), lag, torch.zeros_like(lag)).cpu()


_SECOND: dict = {}


def _second_network(device):
    """EfficientNet-Lite0 cut at SECOND_LAYERS (built once per device): x01 → {layer: maps}."""
    key = str(device)
    if key not in _SECOND:
        from dreamgan.backbones import load_backbone

        _SECOND[key] = load_backbone(SECOND_BACKBONE, device=device).truncated(SECOND_LAYERS).folded().eval()
    return _SECOND[key]


def fid_kid_x01(fake01: torch.Tensor, real01: torch.Tensor, *, cache_real: str | os.PathLike | None = None,
                extractor: str = INCEPTION) -> dict:
    """FID/KID of two (N, 3, H, W) [0, 1] batches: {fid, kid_mean, kid_std, fid_n}
    (`cache_real`: see `fid_kid`'s cache_b; the extractor's name is appended to it)."""
    from dreamgan.images import x01_to_uint8_tensor

    if cache_real is not None and extractor != INCEPTION:
        cache_real = f"{cache_real}-{extractor}"
    s = fid_kid(x01_to_uint8_tensor(fake01).cpu(), x01_to_uint8_tensor(real01).cpu(), cache_b=cache_real, extractor=extractor)
    return {"fid": s[KEY_FID], "kid_mean": s[KEY_KID_MEAN], "kid_std": s[KEY_KID_STD], "fid_n": s[KEY_N][0]}


def dream_scores(real_a: torch.Tensor, real_b: torch.Tensor, fake_b: torch.Tensor, recipe=None, *, engine=None,
                 fid: bool = True, cache_real: str | os.PathLike | None = None) -> dict:
    """The paired dream metrics' means and, with fid and N ≥ 2, FID/KID of fake_b against real_b
    on both extractors: Inception (fid, kid_mean, kid_std, fid_n) and EfficientNet-Lite0
    (fid_effnet, kid_effnet_mean, kid_effnet_std); real_b's features cached at `cache_real`."""
    out = {k: v for k, v in paired_dream_metrics(real_a, real_b, fake_b, recipe, engine=engine).items() if k != "per_image"}
    if fid and len(real_b) >= 2:
        out.update(fid_kid_both_x01(fake_b, real_b, cache_real=cache_real))
    return out


def fid_kid_both_x01(fake01: torch.Tensor, real01: torch.Tensor, *, cache_real: str | os.PathLike | None = None) -> dict:
    """`fid_kid_x01` on both extractors: {fid, kid_mean, kid_std, fid_n} on Inception and
    {fid_effnet, kid_effnet_mean, kid_effnet_std} on EfficientNet-Lite0."""
    second = fid_kid_x01(fake01, real01, cache_real=cache_real, extractor=EFFICIENTNET)
    return {**fid_kid_x01(fake01, real01, cache_real=cache_real),
            "fid_effnet": second["fid"], "kid_effnet_mean": second["kid_mean"], "kid_effnet_std": second["kid_std"]}
