"""The options of a GAN run: `TrainConfig`, its presets and the default preset.

No torch at import (the CLI builds `--help` from here); values are checked when a config is
made, so a bad option fails before any data is read.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

from dreamgan.errors import DreamganError, require

ARCHS = ("pix2pix", "dcgan")
MAX_SEED = 2 ** 63 - 1
"""Seeds are torch.Generator seeds: 0 … 2^63 − 1 (training, sampling, pipelines)."""
BOUNDS = {"steps": (1, 10_000_000), "batch_size": (1, 1024), "eval_every": (1, 10_000_000), "eval_crops": (2, 4096),
          "image_size": (16, 2048), "ngf": (1, 512), "ndf": (1, 512), "depth": (1, 8), "unshuffle": (1, 8), "noise": (0, 64),
          "noise_levels": (0, 9), "z_dim": (1, 1024), "d_size": (32, 1024), "g_octaves": (1, 8), "g_convs": (1, 8),
          "stats_projections": (1, 4096), "stats_shift": (0, 1024), "stats_scale": (1.0, 8.0), "stats_tag": (0.0, 1000.0),
          "d_roll": (0, 1024), "seed": (0, MAX_SEED), "minutes": (0.0, 100_000.0)}
"""The range of every bounded numeric option: values outside it would only end in an allocation
failure or an overflow far into a run, so they are refused when the config is made."""
NOISE_GENERATORS = ("spatial", "texture", "dcgan")
"""dcgan generators (`models.dcgan.noise_networks`)."""
UPSAMPLES = ("nearest", "bilinear")
"""How the spatial and texture generators double their maps (`models.dcgan.SpatialGenerator(upsample=...)`)."""
NOISE_DISCRIMINATORS = ("patch", "projected", "dcgan")
"""dcgan discriminators (`models.dcgan.noise_networks`)."""
GAN_MODES = ("vanilla", "lsgan", "hinge")
"""The adversarial losses (`training.losses.GANLoss`)."""
D_INPUTS = ("pair", "dream", "projected", "projected-effnet")
"""What a pix2pix discriminator sees (`TrainConfig.d_input`)."""


@dataclass(frozen=True)
class TrainConfig:
    """Every option of a GAN run (saved in config.json and in each checkpoint).

    The defaults are the default training, the `dream` preset (docs/training.md): a
    full-resolution residual U-Net (ngf 16, depth 5) with 4 noise channels per level, trained by
    the position-free dream-statistics loss (sliced Wasserstein, each layer normalised by the
    photo's distance) plus a low-pass colour/layout anchor; no aligned pixel or feature loss and no
    discriminator, so it draws its own dream instead of the motif-free mean of all dreams that
    aligned losses learn. dcgan runs start from `DCGAN_DEFAULTS` instead.
    """

    data: str
    """The dataset made by `dreamgan make-dataset` (data/NAME)."""
    arch: str = "pix2pix"
    """pix2pix (photo → dream) or dcgan (noise → dream)."""
    generator: str = "unet"
    """pix2pix generator: 'unet' (residual U-Net), 'dilated' (shift-equivariant dilated convs: ngf wide,
    depth dilation doublings, at 1/unshuffle resolution; `models/context.py`), 'backbone' (frozen
    dreaming network as encoder) or 'texture' (the noise recipe's texture decoder given the photo at
    each of depth + 1 scales, noise at every scale; `models/photo_texture.py`)."""
    taps: tuple[str, ...] = ("conv_2", "conv_4", "mixed_2")
    """With generator='backbone': shallow backbone layers tapped besides the dataset's dream layers."""
    out: str = "checkpoints"
    """Where run directories go."""
    steps: int = 2000
    """How many steps to train; with `minutes`, the most it may train."""
    minutes: float = 0.0
    """A time budget: train as many steps as end within this many minutes of the run's clock
    (metrics.jsonl's `seconds`: setup, evals and checkpoints included), at most `steps`, planned
    again at every eval from the measured step and eval times; the learning rate decays over the
    second half of the planned steps (`training/budget.py`). 0 = off: exactly `steps` steps."""
    image_size: int = 128
    """Training crop (pix2pix) or output size (dcgan: 64 or 128)."""
    batch_size: int = 4
    """The global batch (under torchrun, split evenly over the processes)."""
    lr: float = 5e-4
    """Adam's learning rate, for G and D."""
    beta1: float = 0.9
    """Adam's β1."""
    ngf: int = 16
    """Generator width."""
    depth: int = 5
    """U-Net depth: stride-2 levels."""
    unshuffle: int = 1
    """U-Net and texture generators: run at 1/r resolution on space-to-depth input (r > 1 is r²× cheaper)."""
    noise: int = 4
    """U-Net generator: fresh noise channels at every encoder level (0 = deterministic generator)."""
    noise_levels: int = 0
    """How many encoder inputs, finest first, get that noise (0 = all)."""
    antialias: bool = False
    """U-Net generator: blur before every stride, bilinear doublings, and noise drawn at full
    resolution and pooled to each level (`models.pix2pix.ResidualUNet(antialias=True)`), so that
    no 2^depth-px cell of the deepest level fixes where its motif sits."""
    ndf: int = 64
    """Discriminator width."""
    z_dim: int = 100
    """dcgan: noise channels (the spatial generator's noise map has z_dim channels per 16×16 px)."""
    noise_g: str = "spatial"
    """dcgan generator: 'spatial' (fully convolutional on a noise map, resize-convs: any size, tileable),
    'texture' (the same on a noise pyramid: fresh noise channels concatenated at every scale, two convs
    and wider maps at each; `models.dcgan.TextureGenerator`) or 'dcgan' (the classic transposed-conv
    DCGAN on a z vector, its own size only)."""
    fine_noise: bool = False
    """dcgan, spatial generator: noise inputs at every doubling (`SpatialGenerator(fine_noise=True)`)."""
    upsample: str = "nearest"
    """dcgan, spatial or texture generator: how each doubling enlarges, nearest or bilinear (across the wrap)."""
    g_convs: int = 1
    """dcgan, spatial generator: 3×3 convs per doubling (`SpatialGenerator(convs=…)`)."""
    g_jitter: bool = False
    """dcgan, spatial generator: in training, each doubling's map is rolled by a random 0 or 1 px
    along each axis (`SpatialGenerator(jitter=True)`), so no doubling's 2×2 blocks keep one phase
    against the coarser ones'."""
    d_roll: int = 0
    """dcgan, spatial generator: each fake is rolled by a random (dy, dx) in [0, N) px before D
    sees it (the samples wrap, so a roll is another view of the same texture), so D's strided
    patch grid no longer lines up with G's doublings (0 = off)."""
    g_precision: str = "fp32"
    """G's forward pass in training, autocast to 'bf16', kept in 'fp32', or 'auto' (bf16 where
    the device multiplies bf16 in hardware: a CPU with AMX or AVX-512 BF16, a bf16 CUDA device;
    `devices.autocast_dtype`); what it saves is in docs/results.md ("G in bf16"). G's
    weights, its optimiser and D stay float32 (the statistics term has `stats_precision`), and
    sampling runs in float32."""
    stats_precision: str = "fp32"
    """The statistics term's passes through its frozen backbone (the true crops' and the samples',
    with G's gradient back through it), autocast to 'bf16', kept in 'fp32', or 'auto' (bf16 where
    the device multiplies bf16 in hardware; `devices.autocast_dtype`). The features are cast back
    to float32 before the distances (`DreamStatsLoss(dtype=...)`)."""
    noise_d: str = "patch"
    """dcgan discriminator: 'patch' (spectral norm, no BatchNorm, patch logits), 'projected' (heads on a
    frozen EfficientNet-Lite0's features, Projected GAN) or 'dcgan' (the classic BatchNorm discriminator,
    which cannot see what a fake batch shares: docs/results.md)."""
    d_size: int = 128
    """The EfficientNet-Lite0 discriminator (dcgan's projected, pix2pix's projected-effnet): crops are
    enlarged to this side before EfficientNet-Lite0 reads them (64 px crops give it too coarse features; at 96 a D pass costs 0.43× of 128's)."""
    diffaugment: bool = False
    """dcgan: DiffAugment (colour, translation, cutout) on everything D sees, real and fake alike. Off:
    at the 30-minute CPU budget it slowed training (docs/results.md, "A DCGAN that dreams")."""
    ema: float = 0.999
    """Decay of the exponential moving average of G's weights used for sampling (0 = off): dcgan and
    the pix2pix texture generator (`TrainConfig.averages_g`); the other pix2pix generators train without."""
    gan_mode: str = "lsgan"
    """The adversarial loss: vanilla, lsgan or hinge."""
    d_input: str = "pair"
    """What D sees: pair (photo and dream, PatchGAN), dream (dream texture alone, PatchGAN), projected
    (patch heads on the frozen backbone's features of both, with DiffAugment; `models/projected.py`) or
    projected-effnet (the same on a frozen EfficientNet-Lite0's features, read at ≥ d_size px, as the
    noise → dream recipe's D, made conditional on the photo)."""
    g_octaves: int = 1
    """Apply the generator coarse to fine over this many octaves (`models/octaves.py`; 1 = one pass)."""
    g_octave_scale: float = 1.4
    """Size ratio between those octaves."""
    d_layers: tuple[str, ...] = ("conv_4",)
    """With d_input='projected': layers judged besides the dataset's dream layers."""
    lambda_gan: float = 0.0
    """Weight of the PatchGAN term (0 = no discriminator)."""
    lambda_l1: float = 0.0
    """Pixel anchor (pix2pix uses 100; the legacy-aligned preset 10)."""
    lambda_feat: float = 0.0
    """Aligned dream-layer feature loss (the legacy-aligned preset: 100)."""
    lambda_obj: float = 0.0
    """Weight of the guarded dream-objective term (`DreamObjectiveLoss`); 0 = off."""
    obj_transforms: bool = True
    """Apply random jitter/scale transforms before J in that term (the anti-adversarial guard)."""
    lambda_tv: float = 0.0
    """Weight of the guarded roughness term (`residual_roughness_loss`); 0 = off."""
    lambda_stats: float = 100.0
    """Weight of the position-free dream-statistics loss (`DreamStatsLoss`); 0 = off."""
    stats_kind: str = "swd"
    """swd (sliced Wasserstein) or gram."""
    stats_layers: tuple[str, ...] = ()
    """Layers of that loss; empty = conv_2, conv_4 and mixed plus the dataset's dream layers."""
    stats_projections: int = 64
    """Random unit directions per layer and step (swd)."""
    stats_norm: str = "photo"
    """Per-layer normalisation of that loss: energy (true dream's mean square) or photo (the photo's distance)."""
    stats_tag: float = 0.0
    """Photo-conditioned statistics (swd): the weight of the photo's tags beside each feature vector
    (`metrics.stats.tagged_sliced_wasserstein`); 0 = plain, position-free statistics."""
    stats_shift: int = 0
    """dcgan: roll the samples by a random offset in [0, N) px along each axis before the backbone
    reads their statistics (a fresh offset every step), so G cannot fit its pattern to the
    backbone's stride grid; 0 = off."""
    stats_scale: float = 1.0
    """dcgan: read samples and true crops enlarged by a random factor in [1, S] each step (with
    the shift, transformation robustness: no pixel pattern tuned to one sampling grid); 1 = off."""
    lambda_lowpass: float = 10.0
    """Weight of the L1 between 8×-downsampled fake and true dream (layout and colour anchor)."""
    lambda_div: float = 0.0
    """Weight of the diversity hinge (`diversity_hinge`): two noise draws must give two dreams (needs noise > 0)."""
    lambda_shift: float = 0.0
    """Weight of the shift-consistency term (`shift_consistency`): G's dreams of a crop and of the
    crop shifted by a random offset that is no multiple of G's coarsest stride, with the noise
    shifted alike, must agree where they overlap. For the generators that draw their noise at
    full size (--generator texture, or --antialias); 0 = off."""
    crop_scale: tuple[float, float] = (1.0, 1.0)
    """Multi-scale views: window side = image_size × s, s log-uniform in this range (1, 1 = plain crops)."""
    init_g: str = ""
    """Start a new run's generator from another generator's weights: a run directory, a .pt, or
    'bundled' (the generator shipped in the package; fine-tuning it on your own photos). Empty =
    the identity initialisation."""
    eval_every: int = 250
    """Evaluate, save and draw a sample sheet every N steps."""
    eval_fid: bool = True
    """FID/KID at every eval (off: the paired metrics only)."""
    eval_crops: int = 64
    """dcgan: how many crops of the val split's true dreams each eval's FID/KID is measured
    against (and the photos' yardstick); more crops, a steadier choice of best.pt."""
    seed: int = 0
    """Seeds the weights, the crops and the noise: two runs of one recipe differ only by it."""
    device: str = "auto"
    """auto (CUDA if present), cpu, cuda or cuda:N (see `devices.resolve_device`)."""

    def __post_init__(self):
        for key in ("taps", "d_layers", "stats_layers", "crop_scale"):
            if not isinstance(getattr(self, key), tuple):
                object.__setattr__(self, key, tuple(getattr(self, key)))
        from dreamgan.devices import PRECISIONS
        from dreamgan.metrics.stats import STATS_KINDS, STATS_NORMS
        spatial = self.arch == "dcgan" and self.noise_g == "spatial"  # the generator the fine noise, jitter and conv count belong to
        wraps = self.arch == "dcgan" and self.noise_g in ("spatial", "texture")  # samples that wrap: bilinear doublings and D's rolls
        floats = {f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), float)}
        not_finite = [name for name, value in floats.items() if not math.isfinite(value)]
        not_finite += ["crop_scale"] if not all(math.isfinite(v) for v in self.crop_scale) else []
        checks = [(not not_finite, f"--{(not_finite or ['x'])[0].replace('_', '-')} must be a finite number"),
                  *((lo <= getattr(self, name) <= hi, f"--{name.replace('_', '-')} must be {lo} to {hi}, got {getattr(self, name)}")
                    for name, (lo, hi) in BOUNDS.items()),
                  (0 < self.lr <= 1, f"--lr must be in (0, 1], got {self.lr}"),
                  (self.arch in ARCHS, f"--arch must be one of {ARCHS}"),
                  *((getattr(self, name) == default or self.arch == "pix2pix", f"--{name.replace('_', '-')} is for --arch pix2pix; "
                     "the noise → dream generator has no photo to take it") for name, default in (("generator", "unet"), ("g_octaves", 1),
                                                                                              ("d_input", "pair"))),
                  (self.generator in GENERATORS, f"--generator must be one of {', '.join(GENERATORS)}"),
                  (self.gan_mode in GAN_MODES, f"gan mode must be one of {GAN_MODES}"),
                  (self.d_input in D_INPUTS, f"--d-input must be one of {', '.join(D_INPUTS)}"),
                  (self.noise_g in NOISE_GENERATORS, f"--noise-g must be one of {', '.join(NOISE_GENERATORS)}"),
                  (not self.fine_noise or spatial, "--fine-noise is for --arch dcgan with the spatial generator"),
                  (self.g_convs == 1 or (self.g_convs > 1 and spatial), "--g-convs must be ≥ 1; more than 1 is for --arch dcgan with the spatial generator"),
                  (not self.g_jitter or spatial, "--g-jitter is for --arch dcgan with the spatial generator"),
                  (self.d_roll == 0 or (self.d_roll > 0 and wraps),
                   "--d-roll must be ≥ 0; above 0 it is for --arch dcgan with the spatial or texture generator"),
                  (self.upsample in UPSAMPLES and (self.upsample == "nearest" or wraps),
                   f"--upsample must be one of {', '.join(UPSAMPLES)}; bilinear is for --arch dcgan with the spatial or texture generator"),
                  (self.g_precision in PRECISIONS, f"--g-precision must be one of {', '.join(PRECISIONS)}"),
                  (self.stats_precision in PRECISIONS, f"--stats-precision must be one of {', '.join(PRECISIONS)}"),
                  (self.noise_d in NOISE_DISCRIMINATORS, f"--noise-d must be one of {', '.join(NOISE_DISCRIMINATORS)}"),
                  (self.d_size >= 32 and (self.d_size == 128 or self.reads_effnet_d),
                   "--d-size must be ≥ 32; other than 128 it is for the EfficientNet-Lite0 discriminator "
                   "(--arch dcgan --noise-d projected, or --d-input projected-effnet)"),
                  (0 <= self.ema < 1, "--ema must be in [0, 1)"),
                  (self.minutes >= 0, "--minutes must be ≥ 0 (0 = no time budget)"),
                  (self.steps >= 1 and self.batch_size >= 1 and self.eval_every >= 1, "steps, batch size and eval-every must be ≥ 1"),
                  (self.eval_crops >= 2, "--eval-crops must be ≥ 2 (KID needs two crops)"),
                  (self.arch != "dcgan" or self.image_size in (64, 128), "dcgan --image-size must be 64 or 128"),
                  (self.image_size >= 16, "--image-size must be ≥ 16"),
                  (self.unshuffle >= 1, "--unshuffle must be ≥ 1"),
                  (self.g_octaves >= 1 and self.g_octave_scale > 1, "--g-octaves must be ≥ 1 and --g-octave-scale > 1"),
                  (self.noise >= 0 and self.noise_levels >= 0, "--noise and --noise-levels must be ≥ 0"),
                  (not self.antialias or (self.arch == "pix2pix" and self.generator == "unet" and self.g_octaves == 1),
                   "--antialias is for the pix2pix U-Net generator (--generator unet, one octave)"),
                  (self.noise == 0 or self.generator in ("unet", "dilated", "texture"), "--noise needs the unet, dilated or texture generator"),
                  (self.lambda_div == 0 or (self.noise > 0 and self.arch == "pix2pix"),
                   "--lambda-div needs a noisy pix2pix generator (--noise > 0)"),
                  (self.lambda_shift == 0 or (self.arch == "pix2pix" and (self.generator == "texture" or self.antialias)),
                   "--lambda-shift needs a generator that draws its noise at full size (--generator texture, or --antialias)"),
                  (self.stats_kind in STATS_KINDS, f"--stats-kind must be one of {STATS_KINDS}"),
                  (self.stats_projections >= 1, "--stats-projections must be ≥ 1"),
                  (self.stats_norm in STATS_NORMS, f"--stats-norm must be one of {STATS_NORMS}"),
                  (self.stats_tag >= 0 and (self.stats_tag == 0 or self.stats_kind == "swd"), "--stats-tag must be ≥ 0 and needs --stats-kind swd"),
                  (self.stats_shift >= 0 and (self.stats_shift == 0 or self.arch == "dcgan"),
                   "--stats-shift must be ≥ 0 and is for --arch dcgan (its samples wrap around)"),
                  (self.stats_scale >= 1 and (self.stats_scale == 1 or self.arch == "dcgan"),
                   "--stats-scale must be ≥ 1 and is for --arch dcgan"),
                  (self.arch != "dcgan" or self.lambda_stats == 0 or _photo_free_stats(self.stats_norm, self.stats_tag),
                   "dcgan's statistics loss has no photo: it needs --stats-norm energy and no --stats-tag "
                   "(in Python, TrainConfig.from_preset(arch='dcgan', ...) starts from the noise recipe)"),
                  (len(self.crop_scale) == 2 and 0 < self.crop_scale[0] <= self.crop_scale[1] <= 16,
                   "--crop-scale must be LO,HI with 0 < LO ≤ HI ≤ 16"),
                  (min(self.loss_weights.values()) >= 0,
                   "loss weights (--lambda-*) must be ≥ 0"),
                  (self.unshuffle == 1 or self.generator in ("unet", "dilated", "texture"), "--unshuffle is for the unet, dilated and texture generators"),
                  (self.arch != "pix2pix" or self.generator not in ("unet", "texture") or self.image_size >= 2 ** (self.depth + 1) * self.unshuffle,
                   f"a {self.image_size} px crop is too small for a depth-{self.depth} U-Net: use --image-size ≥ "
                   f"{2 ** (self.depth + 1) * self.unshuffle} or a smaller --depth")]
        require(checks)

    @property
    def loss_weights(self) -> dict[str, float]:
        """{term name: weight} of every `lambda_<name>` field: the adversarial term ("gan") and
        G's terms (`training.steps.PHOTO_TERMS`, `NOISE_TERMS`)."""
        return {f.name.removeprefix("lambda_"): getattr(self, f.name) for f in fields(self) if f.name.startswith("lambda_")}

    @property
    def augments_d(self) -> bool:
        """Whether the training step applies DiffAugment to what D sees: always with a projected
        discriminator (Projected GAN trains with it: pix2pix's `d_input="projected"`, dcgan's
        `noise_d="projected"`), and with dcgan's `diffaugment`. The step draws it from its own
        seeded generator, so a run's weights do not depend on its eval settings."""
        if self.arch == "pix2pix":
            return self.d_input in ("projected", "projected-effnet")
        return self.diffaugment or self.noise_d == "projected"

    @property
    def averages_g(self) -> bool:
        """Whether the run keeps an exponential moving average of G (`ema` > 0) and samples with
        it: dcgan, and the pix2pix texture generator (the noise recipe's; the other pix2pix
        generators were never trained with one, and their saved configs carry the field's default)."""
        return self.ema > 0 and (self.arch == "dcgan" or self.generator == "texture")

    @property
    def reads_effnet_d(self) -> bool:
        """Whether D is heads on EfficientNet-Lite0 (dcgan's projected D, pix2pix's projected-effnet)."""
        return (self.arch == "dcgan" and self.noise_d == "projected") or (self.arch == "pix2pix" and self.d_input == "projected-effnet")

    @classmethod
    def from_preset(cls, preset: str | None = None, **overrides) -> "TrainConfig":
        """A config from a preset (`PRESETS`) with `overrides` on top; overrides that are None
        are ignored (unset CLI options). dcgan runs start from `DCGAN_DEFAULTS` instead of
        the preset's pix2pix sizes and losses.

        Raises:
            DreamganError: an unknown preset or an invalid value.
        """
        preset = preset or (NOISE_PRESET if overrides.get("arch") == "dcgan" else DEFAULT_PRESET)
        if preset not in PRESETS:
            raise DreamganError(f"unknown preset {preset!r}; valid: {', '.join(PRESETS)}")
        base = dict(PRESETS[preset])
        arch = overrides.get("arch") or base.get("arch", "pix2pix")
        if base.get("arch", "pix2pix") != arch:
            if preset != DEFAULT_PRESET:
                raise DreamganError(f"preset {preset!r} trains --arch {base.get('arch', 'pix2pix')}, not {arch}; "
                                    f"drop --preset (--arch {arch} alone starts from its own recipe) or --arch")
            base = dict(PRESETS[NOISE_PRESET])  # the default preset, named by a caller that asked for dcgan: dcgan's default
        if overrides.get("generator") == "backbone" and overrides.get("noise") is None:
            base["noise"] = 0  # the frozen-encoder generator takes no noise: the preset's noise is not the user's choice
        return cls(**{**base, **{k: v for k, v in overrides.items() if v is not None}})


DCGAN_DEFAULTS = dict(image_size=64, ngf=32, ndf=64, batch_size=16, lr=6e-4, beta1=0.5, gan_mode="hinge",
                      crop_scale=(1.0, 2.0), eval_every=600, eval_crops=128, lambda_gan=1.0, noise=0, lambda_stats=40.0, stats_norm="energy",
                      stats_shift=64, stats_scale=1.5, lambda_lowpass=0.0, noise_g="texture", noise_d="projected", d_size=96,
                      g_precision="auto", stats_precision="auto")
"""The noise → dream recipe: what `--arch dcgan` starts from.

- data: 64 px crops of windows of 64–128 px (`crop_scale`), near the true dreams' own scale;
- G: the texture generator (`noise_g="texture"`: fresh noise at every scale), width 32,
  nearest doublings, circular padding, an EMA (sampled with its own BatchNorm statistics);
- D: the projected discriminator (`noise_d="projected"`: heads on a frozen EfficientNet-Lite0
  reading the crops at 96 px, with DiffAugment), hinge loss;
- the dream-statistics term at weight 40 (pooled over the batch; no photo), read through random
  rolls of up to 64 px and enlargements of 1–1.5×;
- Adam at lr 6e-4 (β 0.5/0.999), batch 16, decaying to 0 over the second half of the steps;
- G's training pass and the statistics term's backbone passes in bf16 where the device has bf16
  units (`auto`);
- evals every 600 steps on 128 val crops (best.pt: nearest the true dreams on both KID networks).

Each choice, with the runs that chose it, the machines and the KIDs, is in docs/results.md
("Noise → dream" and the sections after it)."""


def _photo_free_stats(stats_norm: str, stats_tag: float) -> bool:
    """Whether the statistics term needs no photo, as dcgan's must: energy normalisation, no tags."""
    return stats_norm == "energy" and stats_tag == 0


SAVED_BEFORE_NOISE_OPTIONS = dict(noise_g="dcgan", noise_d="dcgan", diffaugment=False, ema=0.0)
"""What a dcgan checkpoint saved before these options existed trained with."""


def saved_config(saved: dict) -> TrainConfig:
    """The `TrainConfig` of a saved config.json or checkpoint: keys this version does not know
    are dropped, a key it lacks takes the value it had when the run was saved (`DEFAULTS_BEFORE_DREAM`
    for the fields whose default changed), and a dcgan run saved before the noise options gets
    the classic DCGAN. A dcgan run saved before dcgan had a statistics term carries pix2pix's
    photo-normalised one, which it never used: it loads with the weight 0 it trained with."""
    known = {f.name for f in fields(TrainConfig)}
    old = SAVED_BEFORE_NOISE_OPTIONS if saved.get("arch") == "dcgan" and "noise_g" not in saved else {}
    values = {**DEFAULTS_BEFORE_DREAM, **old, **{k: v for k, v in saved.items() if k in known}}
    if values.get("arch") == "dcgan" and not _photo_free_stats(values.get("stats_norm"), values.get("stats_tag", 0)):
        values["lambda_stats"] = 0.0
    return TrainConfig(**values)


GENERATORS = ("unet", "dilated", "backbone", "texture")
"""The pix2pix generators `--generator` picks from."""

DEFAULT_PRESET = "dream"
"""The preset of `dreamgan train`, of a pipeline's [train] and of `TrainConfig.from_preset`."""

DEFAULTS_BEFORE_DREAM = dict(ngf=32, noise=0, lr=2e-4, beta1=0.5, lambda_gan=1.0, lambda_l1=10.0, lambda_feat=100.0,
                             lambda_stats=0.0, stats_norm="energy", lambda_lowpass=0.0)
"""The rule for loading old configs (`saved_config`), not a recipe: the values these fields
defaulted to before the `dream` training became `TrainConfig()`'s defaults. A config saved
then that lacks one of them trained with it."""

NOISE_PRESET = "noise-dream"
"""The preset `--arch dcgan` starts from when no `--preset` is given."""

PRESETS = {
    "dream": {},
    # The aligned losses of the first generators, kept to reproduce docs/results.md's early rows.
    # They learn the motif-free mean of all dreams (docs/results.md, "The lattice of one motif").
    "legacy-aligned": dict(ngf=32, noise=0, lr=2e-4, beta1=0.5, lambda_gan=1.0, lambda_l1=10.0, lambda_feat=100.0,
                           lambda_stats=0.0, stats_norm="energy", lambda_lowpass=0.0),
    # The noise → dream recipe (DCGAN_DEFAULTS) given the photo: docs/training.md, "dream-texture".
    "dream-texture": dict(generator="texture", depth=4, ngf=32, noise=4, unshuffle=2, image_size=128, crop_scale=(1.0, 1.5), batch_size=8,
                          lr=4e-4, beta1=0.5, gan_mode="hinge", lambda_gan=1.0, d_input="projected-effnet", d_size=128,
                          lambda_stats=10.0, stats_tag=1.0, lambda_lowpass=10.0, ema=0.999, eval_every=500,
                          g_precision="auto", stats_precision="auto"),
    # The noise → dream recipe: docs/training.md, "DCGAN: noise → dream".
    NOISE_PRESET: dict(arch="dcgan", **DCGAN_DEFAULTS),
}
"""`--preset` names: `dream`, the default training (`TrainConfig()`'s defaults);
`legacy-aligned`, the first generators' aligned losses; `noise-dream`, the noise → dream recipe
(`DCGAN_DEFAULTS`, `--arch dcgan`'s default); `dream-texture`, the noise → dream
recipe conditioned on the photo (the texture generator with noise at every scale, at half the
photo's size, a projected
EfficientNet-Lite0 discriminator that sees the photo, hinge loss, the photo-tagged statistics
term, an EMA, multi-scale crops, bf16 where the CPU has it). Sizes are options (`--ngf`, `--depth`,
`--unshuffle`, `--image-size`, `--batch-size`), given on top of either."""
