"""The GAN training loop: pix2pix (photo → dream) and DCGAN (noise → dream).

Run directory (StyleGAN2-ADA style), `checkpoints/NNNNN-ARCH-NAME/`:
    config.json     every option, the dataset hash, the dreamgan version
    metrics.jsonl   step, losses, lr, seconds; on eval steps the paired dream metrics and FID/KID
    latest.pt       written every eval and on Ctrl-C; best.pt by the paired metrics, or for a
                    noise → dream run by its KID on both networks over the photos' (atomic)
    samples/step-XXXXXX.png   natural | true dream | fake dream (pix2pix) or a grid (dcgan)
    curves.png      losses over steps; curves_eval.png: the val paired dream metrics over steps

Checkpoints are self-describing (arch, config, the dataset's recipe, state dicts of G, D,
optimisers and schedulers, step) and load with `weights_only=True`. Each step draws its batch
from a generator seeded by (seed, step), so `--resume` continues exactly.

Under `torchrun` the same loop runs data-parallel over processes (`distributed.py`): each
process computes its part of every global batch, and rank 0 alone writes the run directory.
"""
from __future__ import annotations

import copy
import json
import math
import os
import statistics
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Callable

import torch

from dreamgan import __version__
from dreamgan.data.pairs import Dataset, open_dataset
from dreamgan.devices import autocast_dtype, resolved_precision
from dreamgan.errors import DreamganError
from dreamgan.fileio import append_jsonl, ensure_writable_dir, read_jsonl, write_json_atomic
from dreamgan.models.checkpoint import GAN_FORMAT, build_networks, generator_from_checkpoint, load_gan_checkpoint, save_gan_checkpoint  # noqa: F401
from dreamgan.models.config import ARCHS, DEFAULT_PRESET, PRESETS, TrainConfig, saved_config  # noqa: F401  (re-exported)
from dreamgan.models.dcgan import recalibrate_batchnorm
from dreamgan.training.budget import last_step_within
from dreamgan.training.distributed import World, join_world
from dreamgan.training.evals import EVAL_METRICS, eval_curve, is_better, plot_curves  # noqa: F401  (re-exported)
from dreamgan.training.kinds import evaluate_generator, kind_of, statistics_loss, stats_layers  # noqa: F401  (re-exported)
from dreamgan.training.losses import GANLoss
from dreamgan.training.rundir import latest_run_dir, new_run_dir
from dreamgan.training.steps import update_ema


class LinearDecay:
    """lr factor at a step: 1 for the first half of `total` steps, then linearly to 0 at `total`
    (pix2pix's schedule). `total` may be planned again mid-run (a time budget); a scheduler's
    state dict keeps it."""

    def __init__(self, total: int):
        self.total = total

    def __call__(self, step: int) -> float:
        half = self.total / 2
        return 1.0 if step < half else max(0.0, 1.0 - (step - half) / max(1.0, self.total - half))


@dataclass
class TrainReport:
    run_dir: Path
    step: int
    last_losses: dict
    evals: list[dict]
    interrupted: bool = False


def _previous_config(run: Path) -> dict:
    """The run's config.json as written when it last started; {} for an old run without one."""
    try:
        return json.loads((run / "config.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}


PRECISION_OPTIONS = {"g_precision": "its generator", "stats_precision": "its statistics term"}
"""The `TrainConfig` precisions a run resolves once and records (config.json: `<name>_resolved`),
and what each one computes."""


def resolved_precisions(cfg: TrainConfig, device: torch.device) -> dict[str, str]:
    """{'g_precision': 'bf16' or 'fp32', 'stats_precision': ...}: what each precision option
    resolves to on `device` (auto: bf16 where it has bf16 units)."""
    return {name: resolved_precision(getattr(cfg, name), device) for name in PRECISION_OPTIONS}


def _check_same_precision(run: Path, cfg: TrainConfig, ours: dict[str, str]) -> None:
    """A run whose precision options are auto continues in the precisions it began in (`ours`:
    `resolved_precisions` here): on a machine that resolves auto otherwise it stops with one line
    naming both choices. An explicit bf16 or fp32 is the user's choice and passes."""
    previous = _previous_config(run)
    for name, what in PRECISION_OPTIONS.items():
        option, key = "--" + name.replace("_", "-"), f"{name}_resolved"
        # a config.json written before the option existed: that part trained in float32
        theirs, why = (previous[key], f"{option} auto on that machine") if key in previous else ("fp32", f"before {option} existed")
        if getattr(cfg, name) == "auto" and previous and theirs != ours[name]:
            raise DreamganError(f"cannot resume {run}: {what} trained in {theirs} ({why}), and auto resolves to {ours[name]} "
                                f"here; pass {option} {theirs} to continue as it began, or {option} {ours[name]} to switch")


RESUME_SAFE = ("steps", "minutes", "eval_every", "eval_fid", "device", "g_precision", "stats_precision")
"""The options a resumed run may change (applied, and logged to metrics.jsonl): how long it
trains, how often it is scored, where it runs and in what precision (`_check_same_precision`
guards auto). Any other option would change what the run is: its networks, losses, data views,
seed, or the yardstick its best.pt is chosen by (`--eval-crops`)."""
RESUME_PATHS = ("data", "out")
"""Where a resumed run's files are: free to differ (the dataset is checked by its hash), not logged."""


def _resumed_changes(run: Path, cfg: TrainConfig) -> dict[str, list]:
    """{option: [the run's value, this config's]} for the `RESUME_SAFE` options that differ from
    the run's config.json ({} for a run without one).

    Raises:
        DreamganError: any other option differs: one line naming it, both values and the way out.
    """
    previous = _previous_config(run)
    if not previous:
        return {}
    saved = saved_config(previous)
    changed = {f.name: [getattr(saved, f.name), getattr(cfg, f.name)] for f in fields(TrainConfig)
               if getattr(saved, f.name) != getattr(cfg, f.name)}
    meaning = [name for name in changed if name not in RESUME_SAFE + RESUME_PATHS]
    if meaning:
        name = meaning[0]
        old, new = changed[name]
        more = f" (and {', '.join('--' + m.replace('_', '-') for m in meaning[1:])})" if len(meaning) > 1 else ""
        raise DreamganError(f"cannot resume {run}: it trained with --{name.replace('_', '-')} {_shown(old)} and this run asks for "
                            f"{_shown(new)}{more}; a resumed run keeps its own settings (only {', '.join(RESUME_SAFE)} may "
                            "change): drop the option, or drop --resume to start a new run")
    return {name: [_shown(old), _shown(new)] for name, (old, new) in changed.items() if name in RESUME_SAFE}


def _shown(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def resume_config(data: str | os.PathLike, *, out: str | os.PathLike = "checkpoints", arch: str = "pix2pix",
                  run: str | os.PathLike | None = None, **given) -> tuple[TrainConfig, Path]:
    """(config, run directory) of the run to resume (`run`, or the latest run of `data` and
    `arch` in `out`): the config it continues with is its own (config.json, or its latest.pt's for a
    run saved before config.json), with the options in `given` that are not None on top (the
    CLI's explicitly given options). `train_gan` then refuses those that would change the run's
    meaning (`RESUME_SAFE`).

    Raises:
        DreamganError: no run to resume.
    """
    name = Path(data).resolve().name
    cfg = TrainConfig.from_preset(None, data=str(data), out=str(out), arch=arch)
    found = _resume_run(cfg, run if run else True, name)
    previous = _previous_config(found) or load_gan_checkpoint(found / "latest.pt").get("config") or {}
    saved = saved_config({**previous, "data": str(data), "out": str(out)})
    return replace(saved, **{k: v for k, v in given.items() if v is not None}), found


def _check_same_dataset(run: Path, data: Dataset) -> None:
    """A run continues on the dataset it started on: its checkpoints, metrics and best.pt are
    about that dataset's val split (the dataset is identified by its content hash)."""
    previous = _previous_config(run)  # {} for an old run without config.json: nothing to compare with
    theirs, ours = previous.get("dataset_hash"), data.hash
    if theirs is not None and theirs != ours:
        raise DreamganError(
            f"cannot resume {run}: it trained on {previous.get('data')} (dataset hash {theirs[:12]}), and --data "
            f"{data.root} is another dataset (hash {ours[:12]}); resume with --data {previous.get('data')}, "
            "or drop --resume to start a new run on this dataset")


ARCH_KEYS = ("arch", "generator", "taps", "ngf", "depth", "unshuffle", "noise", "noise_levels", "antialias", "z_dim", "g_octaves", "g_octave_scale",
             "noise_g", "fine_noise", "upsample", "g_convs")
"""The options that shape the generator: a checkpoint's weights fit only a config that agrees on them."""


def _check_same_networks(ckpt: dict, cfg: TrainConfig, keys: tuple[str, ...], context: str) -> None:
    saved = saved_config(ckpt["config"])
    for key in keys:
        theirs, ours = getattr(saved, key), getattr(cfg, key)
        if theirs != ours:
            raise DreamganError(f"{context}: its {key} is {theirs!r}, this run's is {ours!r}")


def _init_generator_state(cfg: TrainConfig) -> dict:
    """G's state dict from `cfg.init_g` (a run, a .pt or 'bundled'), checked to fit `cfg`."""
    from dreamgan.models.checkpoint import bundled_generator

    source = bundled_generator() if cfg.init_g == "bundled" else Path(cfg.init_g)
    ckpt = load_gan_checkpoint(source)
    _check_same_networks(ckpt, cfg, ARCH_KEYS, f"cannot start from {source} (--init-g)")
    return ckpt["g"]


def train_gan(cfg: TrainConfig, *, resume: bool | str | os.PathLike = False,
              on_step: Callable[[int, dict], None] | None = None,
              on_eval: Callable[[int, dict], None] | None = None,
              on_resume: Callable[[int], None] | None = None,
              on_plan: Callable[[int], None] | None = None,
              on_changed: Callable[[dict], None] | None = None) -> TrainReport:
    """Train (or resume) a GAN on a dataset made by `make-dataset`.

    `on_step(step, losses)`, `on_eval(step, metrics)`, `on_resume(step)` (the step a resumed
    run continues from), `on_plan(last_step)` (a time-budgeted run's plan, whenever it
    changes, and a resumed run's at its start) and `on_changed({option: [was, now]})` (the
    options a resumed run changes, `RESUME_SAFE`) are progress callbacks.

    A resumed run keeps its settings: `cfg` may differ from the run's config.json only in
    `RESUME_SAFE` options (`resume_config` makes such a config from the CLI's given options).
    A resumed run with nothing left to train writes nothing.

    Started by `torchrun`, it trains data-parallel: `cfg.batch_size` is the global batch
    (split evenly over the processes), rank 0 alone writes and calls the callbacks.

    Raises:
        DreamganError: malformed dataset, too few pairs, nothing to resume, a checkpoint of
            another arch or size or of another dataset, a resume that changes an option
            outside `RESUME_SAFE`, a NaN loss (the last good checkpoint is
            kept and named), a global batch that does not split over the processes.
    """
    world = join_world(cfg.device)
    try:
        if cfg.batch_size % world.size:
            raise DreamganError(f"--batch-size {cfg.batch_size} is the global batch; it must split evenly over the "
                                f"{world.size} processes (use a multiple of {world.size})")
        return _train_gan(cfg, world, resume, on_step, on_eval, on_resume, on_plan, on_changed)
    finally:
        world.close()


def _resume_run(cfg: TrainConfig, resume: bool | str | os.PathLike, name: str) -> Path:
    run = latest_run_dir(cfg.out, cfg.arch, name) if resume is True else Path(resume)
    if run is None or not (run / "latest.pt").is_file():
        raise DreamganError(f"nothing to resume: no {cfg.arch} run of {name} with a latest.pt in {cfg.out}")
    return run


@dataclass
class _Networks:
    """G and D, their optimisers and learning-rate schedules, and the moving average of G: what
    a checkpoint holds."""

    g: torch.nn.Module
    d: torch.nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    sched_g: torch.optim.lr_scheduler.LRScheduler
    sched_d: torch.optim.lr_scheduler.LRScheduler
    g_ema: torch.nn.Module | None
    calibration: list | None = None
    """The photo crops a photo → dream average recalibrates its BatchNorm on (None: noise maps)."""

    @classmethod
    def build(cls, cfg: TrainConfig, recipe: dict, device) -> "_Networks":
        g, d = build_networks(cfg, recipe)
        g.to(device)
        d.to(device)
        opt_g = torch.optim.Adam(g.parameters(), cfg.lr, betas=(cfg.beta1, 0.999))
        opt_d = torch.optim.Adam(d.parameters(), cfg.lr, betas=(cfg.beta1, 0.999))
        g_ema = copy.deepcopy(g).eval().requires_grad_(False) if cfg.averages_g else None
        return cls(g, d, opt_g, opt_d, torch.optim.lr_scheduler.LambdaLR(opt_g, LinearDecay(cfg.steps)),
                   torch.optim.lr_scheduler.LambdaLR(opt_d, LinearDecay(cfg.steps)), g_ema)

    def plan(self, total: int) -> None:
        """Both learning rates decay to 0 at step `total` from now on (a re-planned run)."""
        for sched in (self.sched_g, self.sched_d):
            sched.lr_lambdas[0].total = total

    @property
    def sampler(self) -> torch.nn.Module:
        """What the evals and sample sheets draw with: the moving average of G where there is one."""
        return self.g_ema if self.g_ema is not None else self.g

    def settle_sampler(self) -> torch.nn.Module:
        """The sampler, with the EMA's BatchNorm statistics made its own (`recalibrate_batchnorm`:
        the raw G's, which `update_ema` copies every step, normalise the average wrongly). Called
        before every eval and save, so the scores, the sheets and every checkpoint's `g_ema` agree."""
        if self.g_ema is not None:
            recalibrate_batchnorm(self.g_ema, inputs=self.calibration)
        return self.sampler

    def load(self, ckpt: dict) -> None:
        for key in ("g", "d", "opt_g", "opt_d", "sched_g", "sched_d"):
            getattr(self, key).load_state_dict(ckpt[key])
        if self.g_ema is not None:
            self.g_ema.load_state_dict(ckpt["g_ema"])

    def start_from(self, g_state: dict) -> None:
        """A new run's generator (and its average) from other weights (`--init-g`)."""
        self.g.load_state_dict(g_state)
        if self.g_ema is not None:
            self.g_ema.load_state_dict(self.g.state_dict())

    def save(self, path: Path, cfg: TrainConfig, step: int, best: dict, recipe: dict) -> None:
        save_gan_checkpoint(path, cfg, self.g, self.d, self.opt_g, self.opt_d, self.sched_g, self.sched_d, step, best, recipe, self.g_ema)


def _open_run(cfg: TrainConfig, world: World, data: Dataset, nets: _Networks, precisions: dict[str, str], resume,
              on_resume, on_changed=None) -> tuple[Path, int, dict, dict]:
    """(run directory, start step, best scores, the options a resume changes): a new run directory, or the resumed run with
    every state restored from its latest.pt (checked to fit this config, dataset and the
    `resolved_precisions`; options that may change on resume are logged and passed to
    `on_changed`, others refused: `_resumed_changes`)."""
    if not resume:
        if cfg.init_g:
            nets.start_from(_init_generator_state(cfg))
        return world.from_main(lambda: new_run_dir(cfg.out, cfg.arch, data.name)), 0, {}, {}
    run = world.from_main(lambda: _resume_run(cfg, resume, data.name))
    ckpt = load_gan_checkpoint(run / "latest.pt")
    _check_same_networks(ckpt, cfg, ARCH_KEYS + ("image_size", "ndf", "d_input", "d_layers", "noise_d", "d_size", "ema"), f"cannot resume {run}")
    nets.load(ckpt)
    _check_same_dataset(run, data)
    _check_same_precision(run, cfg, precisions)
    changes = _resumed_changes(run, cfg)
    if changes and world.is_main and on_changed:
        on_changed(changes)
    if "torch_rng" in ckpt:  # absent from checkpoints saved before it was kept
        torch.set_rng_state(ckpt["torch_rng"])
    start = int(ckpt["step"])
    if on_resume and world.is_main:
        on_resume(start)
    return run, start, dict(ckpt["best"]), changes


@dataclass
class _Objectives:
    """What the steps are scored by: the adversarial loss, G's other terms (`loss_terms`), the
    dream engine the evals measure with (None for a kind without photos), and the dtype G's
    forward pass is autocast to in training (None: float32; `TrainConfig.g_precision`)."""

    gan_loss: GANLoss
    terms: list
    engine: object | None
    g_dtype: torch.dtype | None = None

    @classmethod
    def build(cls, cfg: TrainConfig, recipe, device, net_g, world: World, g_dtype: torch.dtype | None) -> "_Objectives":
        from dreamgan.backbones import load_backbone

        backbone = load_backbone(recipe.backbone, weights=recipe.weights, device=device)
        terms, engine = kind_of(cfg).objectives(cfg, recipe, backbone, device, net_g, world.part, g_dtype)
        return cls(GANLoss(cfg.gan_mode), terms, engine, g_dtype)


def _train_step(cfg: TrainConfig, nets: _Networks, net_g, net_d, obj: _Objectives, train, world: World, step: int) -> dict:
    """One optimisation step of the run's kind on the step's batch (drawn from a generator
    seeded by (seed, step): every process draws the whole global batch and keeps its part),
    then the average; returns the global batch's losses."""
    gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
    losses = kind_of(cfg).step(cfg, nets, net_g, net_d, obj.gan_loss, obj.terms, train, world, gen, obj.g_dtype)
    if nets.g_ema is not None:
        update_ema(nets.g_ema, nets.g, cfg.ema, step)
    return world.mean(losses)


def _logged_plan(logged: list[dict], start: int) -> int | None:
    """The last step the time budget planned by step `start` (metrics.jsonl's plan rows), or
    None for a run that has not planned yet."""
    plans = [r["plan"] for r in logged if "plan" in r and r["step"] <= start]
    return plans[-1] if plans else None


@dataclass
class _Pace:
    """The run's pace for its time budget: the seconds of each training step since the last
    eval, and the seconds lost to pauses (a suspended laptop, a stalled machine: a step that took
    more than ten times the typical one and 5 s more), which the budget does not count."""

    steps: list = field(default_factory=list)
    paused: float = 0.0

    def close_interval(self) -> float:
        """Seconds per step since the last eval, pauses left out (0 before any step); the pauses
        are added to `paused` and a new interval begins."""
        steps, self.steps = self.steps, []
        if not steps:
            return 0.0
        typical = statistics.median(steps)
        limit = max(10 * typical, typical + 5)
        kept = [d for d in steps if d <= limit]
        self.paused += sum(d - typical for d in steps if d > limit)
        return sum(kept) / len(kept)


def _replan(cfg: TrainConfig, world: World, run: Path, step: int, t0: float, pace: _Pace, eval_began: float,
            last: int, on_plan, *, log_unchanged: bool = True) -> int:
    """The time budget's new last step, planned at the eval of `step` (rank 0's plan on every
    rank) and logged: the seconds per step since the previous eval (`pace`, without pauses), the
    seconds this eval took, the clock (`t0`, less the pauses) and `cfg.minutes`. With
    `log_unchanged` False (the planned end reached) a plan that adds no step is not logged."""
    now = time.perf_counter()
    step_s = max(pace.close_interval(), 1e-6)
    eval_s = now - eval_began
    new = last_step_within(cfg.minutes * 60, step=step, elapsed_s=now - t0 - pace.paused, step_s=step_s, eval_s=eval_s,
                           eval_every=cfg.eval_every, most=cfg.steps)
    new = world.from_main(lambda: new)
    if world.is_main and (log_unchanged or new != last):
        append_jsonl(run / "metrics.jsonl", {"step": step, "plan": new, "minutes": cfg.minutes, "step_seconds": round(step_s, 4),
                                             "eval_seconds": round(eval_s, 3), "seconds": round(now - t0, 3),
                                             **({"paused_seconds": round(pace.paused, 3)} if pace.paused else {})})
        if on_plan and new != last:
            on_plan(new)
    return new


def _train_gan(cfg: TrainConfig, world: World, resume, on_step, on_eval, on_resume, on_plan, on_changed) -> TrainReport:
    began = time.perf_counter()  # the run's clock counts its setup too: a time budget covers it
    # 1. data, networks, the run directory and the objectives
    data = open_dataset(cfg.data)  # dataset.json, the recipe, the pairs and the hash: read once
    recipe, main = data.recipe, world.is_main
    train = data.split("train", min_pairs=2)
    try:
        val = data.split("val", min_pairs=1)
    except DreamganError:
        val = train  # tiny datasets: evaluate on train, and say so in config.json
    torch.manual_seed(cfg.seed)
    kind = kind_of(cfg)
    nets = _Networks.build(cfg, recipe.to_dict(), world.device)
    nets.calibration = kind.calibration(cfg, train, world.device)  # where the average's BatchNorm statistics come from
    g_dtype = autocast_dtype(cfg.g_precision, world.device)  # G's training pass (None: float32)
    precisions = resolved_precisions(cfg, world.device)
    run, start, best, changes = _open_run(cfg, world, data, nets, precisions, resume, on_resume, on_changed)
    # a resumed run continues under its last plan (a new run has none yet)
    plan = world.from_main(lambda: _logged_plan(read_jsonl(run / "metrics.jsonl"), start)) if cfg.minutes > 0 else None
    finished = bool(resume) and start >= (plan or cfg.steps)
    if main and changes and not finished:
        append_jsonl(run / "metrics.jsonl", {"step": start, "resumed_with": changes})
    if main and not finished:  # a run with nothing left to train writes nothing (its record stays as it trained)
        ensure_writable_dir(run / "samples")
        write_json_atomic(run / "config.json", {**asdict(cfg), "dataset_hash": data.hash, "dataset_recipe": recipe.to_dict(),
                                                "train_pairs": len(train), "val_pairs": len(val), "val_is_train": val is train,
                                                "device_resolved": str(world.device), "world_size": world.size,
                                                **{f"{name}_resolved": p for name, p in precisions.items()},
                                                "dreamgan_version": __version__})
    net_g, net_d = world.wrap(nets.g), world.wrap(nets.d)  # DDP under torchrun: gradients averaged over processes
    obj = _Objectives.build(cfg, recipe, world.device, net_g, world, g_dtype)
    # The val true dreams never change within a run: their FID/KID features are computed once.
    fid_cache = run / "fid-cache" / kind.cache_name(cfg, f"{'train' if val is train else 'val'}-{data.hash[:16]}")
    baseline = kind.baseline(cfg, val, recipe, engine=obj.engine, cache_real=fid_cache) if start == 0 and main else None
    if baseline is not None:  # what the scores are read against, once per run
        append_jsonl(run / "metrics.jsonl", {"step": 0, "reference": "identity", **baseline})
    logged = read_jsonl(run / "metrics.jsonl") if main else []
    # wall seconds keep counting across --resume: start from the last logged time up to `start`
    t0 = began - max((r["seconds"] for r in logged if "seconds" in r and r["step"] <= start), default=0.0)
    evals, losses, step = [], {}, start
    last = plan or cfg.steps  # the run's last step
    nets.plan(last)
    if on_plan and main and plan is not None:  # a resumed run's plan
        on_plan(last)
    pace = _Pace()  # each step's seconds since the last eval: the step time the budget plans with
    saved_step = start if resume else None  # the step latest.pt holds
    # 2. the loop: step, log, and at eval steps score, save and draw
    nets.g.train()
    nets.d.train()
    try:  # a killed worker: its collective fails mid-step, so this step's state is not saved
        try:
            while step < last:
                step_began = time.perf_counter()
                losses = _train_step(cfg, nets, net_g, net_d, obj, train, world, step)
                if not all(math.isfinite(v) for v in losses.values()):
                    raise DreamganError(f"a loss became non-finite at step {step} ({losses}); stopped. The last good "
                                        f"checkpoint is {run / 'latest.pt'}; lower --lr or the loss weights")
                nets.sched_g.step()
                if "loss_d_real" in losses:  # D only steps when it is trained (lambda_gan > 0)
                    nets.sched_d.step()
                step += 1
                row = {"step": step, **losses, "lr": nets.opt_g.param_groups[0]["lr"], "seconds": round(time.perf_counter() - t0, 3)}
                if main and (step % 10 == 0 or step == last):
                    append_jsonl(run / "metrics.jsonl", row)
                if on_step and main:
                    on_step(step, losses)
                pace.steps.append(time.perf_counter() - step_began)
                if cfg.minutes > 0 and plan is None and step == start + 10 and step % cfg.eval_every:
                    # a first plan, as the first eval may come late: no eval is costed yet
                    last = plan = _replan(cfg, world, run, step, t0, pace, time.perf_counter(), last, on_plan)
                    nets.plan(last)
                evaluating = step % cfg.eval_every == 0 or step == last
                eval_began = time.perf_counter()
                if evaluating and main:
                    scores = kind.evaluate(nets.settle_sampler(), cfg, val, recipe, engine=obj.engine, fid=cfg.eval_fid, cache_real=fid_cache)
                    scores = kind.scored(scores, logged)
                    evals.append({"step": step, **scores})
                    append_jsonl(run / "metrics.jsonl", {"step": step, "eval": "val", "seconds": row["seconds"], **scores})
                    if is_better(scores, best):
                        best = {"step": step, **scores}
                        nets.save(run / "best.pt", cfg, step, best, recipe.to_dict())
                    nets.save(run / "latest.pt", cfg, step, best, recipe.to_dict())
                    saved_step = step
                    kind.sample_sheet(run / "samples" / f"step-{step:06d}.png", nets.sampler, cfg, val)
                    plot_curves(run)
                    if on_eval:
                        on_eval(step, scores)
                if evaluating:
                    world.barrier()  # the other processes wait for rank 0's evaluation and checkpoints
                    if cfg.minutes > 0 and (step < last or last < cfg.steps):
                        # at the planned end too: a run whose early steps were slow (a busy machine)
                        # trains on while its budget has time left
                        last = plan = _replan(cfg, world, run, step, t0, pace, eval_began, last, on_plan, log_unchanged=step < last)
                        nets.plan(last)
                    pace.steps = []
        except RuntimeError as e:
            if not world.lost_peer(e):
                raise
            raise DreamganError(world.lost_peer_message(run / "latest.pt", saved_step)) from None
    except KeyboardInterrupt as e:
        # torchrun's agent also sends this process SIGTERM (a KeyboardInterrupt here), which may land
        # while the failed collective's RuntimeError is still being handled: the same loss
        if world.lost_peer(e.__context__):
            raise DreamganError(world.lost_peer_message(run / "latest.pt", saved_step)) from None
        if main:
            nets.settle_sampler()
            nets.save(run / "latest.pt", cfg, step, best, recipe.to_dict())  # Ctrl-C: keep everything up to the last finished step
        return TrainReport(run, step, losses, evals, interrupted=True)
    return TrainReport(run, step, losses, evals)


__all__ = ["ARCHS", "EVAL_METRICS", "PRESETS", "eval_curve", "TrainConfig", "TrainReport", "evaluate_generator", "generator_from_checkpoint",
           "load_gan_checkpoint", "train_gan"]
