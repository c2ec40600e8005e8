"""Pipelines: a TOML recipe that runs the stages end to end.

    [dataset]    make_dataset options (out, source, count, size, batch, val, test, seed)
    [dataset.recipe]   DreamConfig keys of the true dreams (default: the default recipe)
    [train]      TrainConfig keys (data comes from [dataset].out; `preset` picks one of
                 `gan_config.PRESETS`: dream, the default, or fast, cpu, gpu)
    [evaluate]   split, fid, jitter_floor, refine; a dcgan run: crops (how many crops of the
                 split's true dreams the samples are measured against, as `evaluate --crops`)
    [sample]     images (paths, or "embedded" for the embedded photos), out, overlay;
                 a dcgan run: n, size ("WIDTHxHEIGHT"), tileable, interpolate, seed
    [export]     out: write the trained generator as an inference-only file there (optional;
                 pipelines/release.toml makes the bundled generator this way)

Stages run in the order dataset → train → evaluate → sample; `--from STAGE` starts later
(earlier stages' outputs are found on disk), `--dry-run` prints the plan and runs nothing.
Each stage is resumable on its own (make-dataset and train resume), so rerunning a pipeline
continues where it stopped.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from dreamgan.errors import DreamganError

STAGES = ("dataset", "train", "evaluate", "sample", "export")
EVALUATE_KEYS = ("split", "fid", "jitter_floor", "refine", "crops")
SAMPLE_KEYS = ("images", "out", "overlay", "n", "size", "tileable", "interpolate", "seed")


def load_pipeline(path: str | os.PathLike) -> dict:
    """The parsed TOML, with unknown sections refused."""
    path = Path(path)
    if not path.is_file():
        raise DreamganError(f"pipeline file {path} does not exist")
    try:
        spec = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise DreamganError(f"{path}: not valid TOML ({e})") from None
    unknown = set(spec) - set(STAGES) - {"pipeline"}
    if unknown:
        raise DreamganError(f"{path}: unknown sections {sorted(unknown)}; valid: {', '.join(STAGES)}")
    return spec


def _refuse_unknown_keys(section: str, given: dict, valid) -> None:
    """A clear error naming the keys of [section] that are not among `valid`."""
    unknown = sorted(set(given) - set(valid))
    if unknown:
        raise DreamganError(f"unknown [{section}] keys {unknown}; valid: {list(valid)}")


def _defaults(fn: Callable, keys) -> dict:
    """{key: `fn`'s default} for `keys`: a stage's unset keys mean what the command's do."""
    import inspect

    params = inspect.signature(fn).parameters
    return {k: params[k].default for k in keys}


def plan(spec: dict) -> dict:
    """Resolved configs of each stage (validated: bad keys fail here, before anything runs)."""
    from dreamgan.dream.engine import DreamConfig
    from dreamgan.evaluate import evaluate_run
    from dreamgan.gan_config import DEFAULT_PRESET, TrainConfig

    ds = dict(spec.get("dataset", {}))
    recipe = DreamConfig.from_dict(ds.pop("recipe", {}))
    ds.setdefault("out", "data/default")
    _refuse_unknown_keys("dataset", ds, sorted({"out", "source", "count", "size", "val", "test", "seed", "batch"}))
    tr = dict(spec.get("train", {}))
    try:
        train = TrainConfig.from_preset(tr.pop("preset", DEFAULT_PRESET), **{**tr, "data": ds["out"]})
    except TypeError as e:
        raise DreamganError(f"bad [train] keys: {e}") from None
    ev = {**_defaults(evaluate_run, EVALUATE_KEYS), **spec.get("evaluate", {})}
    _refuse_unknown_keys("evaluate", ev, EVALUATE_KEYS)
    sa = {"images": "embedded", "out": None, "overlay": 0.5, "n": 8, "size": None, "tileable": False, "interpolate": 0, "seed": 0,
          **spec.get("sample", {})}
    _refuse_unknown_keys("sample", sa, SAMPLE_KEYS)
    if sa["size"] is not None:
        from dreamgan.fast.dreams import parse_size

        parse_size(str(sa["size"]))  # a bad size fails before the dataset stage
    ex = dict(spec.get("export", {}))
    _refuse_unknown_keys("export", ex, ("out",))
    return {"dataset": {**ds, "recipe": recipe}, "train": train, "evaluate": ev, "sample": sa, "export": ex}


def run_pipeline(path: str | os.PathLike, *, start: str = "dataset", dry_run: bool = False,
                 echo: Callable[[str], None] = print, hooks: dict | None = None) -> dict:
    """Run the stages of a pipeline file from `start`; returns what each stage produced.

    `hooks` makes progress callbacks as each stage starts, so only stages that run show up:
    {"dataset": () -> make_dataset's on_plan/on_pair, "train": (steps) -> train_gan's
    on_step/on_eval, "stage": stage(name, done) around evaluate and sample}.
    """
    import warnings

    hooks = hooks or {}
    stage = hooks.get("stage", lambda name, done=False: None)
    from dreamgan.dataset import make_dataset
    from dreamgan.evaluate import evaluate_run, format_report
    from dreamgan.fast import write_fast_dreams, write_noise_dreams
    from dreamgan.images import list_images
    from dreamgan.photos import write_embedded_photos
    from dreamgan.training.gan import train_gan
    from dreamgan.training.rundir import latest_run_dir

    if start not in STAGES:
        raise DreamganError(f"unknown stage {start!r}; stages: {', '.join(STAGES)}")
    stages = plan(load_pipeline(path))
    configured = [name for name in STAGES if name != "export" or stages["export"].get("out")]  # export is opt-in
    todo = [name for name in STAGES[STAGES.index(start):] if name in configured]
    if dry_run:
        for name in configured:
            cfg = stages[name]
            shown = asdict(cfg) if hasattr(cfg, "__dataclass_fields__") else {k: (v.to_dict() if hasattr(v, "to_dict") else v) for k, v in cfg.items()}
            echo(f"[{name}]{'' if name in todo else ' (skipped: --from ' + start + ')'} {shown}")
        return {"dry_run": True, "stages": list(todo)}
    results: dict = {}
    ds = stages["dataset"]
    if "dataset" in todo:
        echo(f"[dataset] dreaming into {ds['out']} …")
        with warnings.catch_warnings():  # echoed once below, as lines, not as Python warnings
            warnings.simplefilter("ignore")
            report = make_dataset(ds["out"], **{k: v for k, v in ds.items() if k != "out"},
                                  **(hooks["dataset"]() if "dataset" in hooks else {}))
        results["dataset"] = {"made": report.made, "already_done": report.already_done, "planned": report.planned}
        for warning in report.warnings:
            echo(f"[dataset] warning: {warning}")
        echo(f"[dataset] {report.made} made, {report.already_done} already done {report.planned}")
    train_cfg = stages["train"]
    run_name = Path(train_cfg.data).resolve().name
    if "train" in todo:
        budget = f"at most {train_cfg.steps} steps within {train_cfg.minutes:g} min" if train_cfg.minutes > 0 else f"{train_cfg.steps} steps"
        echo(f"[train] {train_cfg.arch}, {budget} …")
        resume = latest_run_dir(train_cfg.out, train_cfg.arch, run_name) is not None
        report = train_gan(train_cfg, resume=resume, **(hooks["train"](train_cfg.steps) if "train" in hooks else {}))
        results["train"] = {"run": str(report.run_dir), "step": report.step}
        if report.interrupted:  # Ctrl-C: latest.pt is saved; the later stages must not run on a half-trained net
            echo(f"[train] interrupted at step {report.step}; {report.run_dir / 'latest.pt'} is saved, rerun to continue")
            raise KeyboardInterrupt
        echo(f"[train] {report.run_dir} at step {report.step}")
    run = latest_run_dir(train_cfg.out, train_cfg.arch, run_name)
    if run is None and ({"evaluate", "sample"} & set(todo)):
        raise DreamganError(f"no trained {train_cfg.arch} run of {train_cfg.data} in {train_cfg.out}; run the train stage first")
    if "evaluate" in todo:
        ev = stages["evaluate"]
        stage("evaluate")
        report = evaluate_run(run, split=ev["split"], fid=ev["fid"], jitter_floor=ev["jitter_floor"], refine=tuple(ev["refine"]),
                              crops=ev["crops"])
        stage("evaluate", True)
        results["evaluate"] = report
        echo(format_report(report))
    if "sample" in todo:
        sa = stages["sample"]
        out = sa["out"] or run / "fast_dreams"
        stage("sample")
        if train_cfg.arch == "dcgan":
            from dreamgan.fast.dreams import parse_size

            written, failed = write_noise_dreams(run, out, n=sa["n"], interpolate=sa["interpolate"], seed=sa["seed"], tileable=sa["tileable"],
                                                 size=parse_size(str(sa["size"])) if sa["size"] else None), []
        else:
            images = write_embedded_photos(run / "photos") if sa["images"] in ("embedded", "samples") else sa["images"]
            written, failed = write_fast_dreams(run, list_images([Path(p) for p in images]), out, overlay=sa["overlay"], seed=sa["seed"])
        stage("sample", True)
        results["sample"] = {"written": [str(p) for p in written], "failed": len(failed)}
        echo(f"[sample] {len(written)} {'file(s)' if train_cfg.arch == 'dcgan' else 'fast dream(s)'} in {out}")
    if "export" in todo:
        from dreamgan.fast import load_pix2pix, write_bundled_generator
        from dreamgan.pairs import dataset_hash

        evaluation = results.get("evaluate")
        provenance = {"dataset": train_cfg.data, "dataset_hash": dataset_hash(train_cfg.data), "pipeline": str(path),
                      "evaluate": {k: evaluation[k] for k in ("split", "n", "rows")} if evaluation else None}
        out = write_bundled_generator(*load_pix2pix(run), stages["export"]["out"], provenance=provenance)
        results["export"] = {"out": str(out), "bytes": out.stat().st_size}
        echo(f"[export] {out} ({results['export']['bytes'] / 2**20:.1f} MiB)")
    return results
