"""Pipelines: a TOML recipe that runs the stages end to end.

    [dataset]    make_dataset options (out, source, count, size, batch, val, test, seed)
    [dataset.recipe]   DreamConfig keys of the true dreams (default: the default recipe)
    [train]      TrainConfig keys (data comes from [dataset].out; `preset` picks one of
                 `models.config.PRESETS`: dream (the default), dream-texture, legacy-aligned or
                 noise-dream; arch = "dcgan" alone starts from noise-dream)
    [evaluate]   split, fid, jitter_floor, refine; a dcgan run: crops (how many crops of the
                 split's true dreams the samples are measured against, as `evaluate --crops`)
    [sample]     images (paths, or "embedded" for the embedded photos), out, overlay;
                 a dcgan run: n, size ("WIDTHxHEIGHT"), tileable, interpolate, seed
    [bundle]     out: write the trained generator as an inference-only .pt there (half = true:
                 its weights in float16), in the bundled
                 generator's format with its provenance (optional; pipelines/release.toml makes
                 the bundled generator this way). `dreamgan export` is something else: ONNX.

Every key of every stage is checked for its type and range before the first stage runs.
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

STAGES = ("dataset", "train", "evaluate", "sample", "bundle")


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
    if "export" in unknown:
        raise DreamganError(f"{path}: [export] is now [bundle] (it writes the inference-only .pt; `dreamgan export` "
                            "writes ONNX): rename the table")
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


def _section_models() -> dict:
    """pydantic models of [dataset], [evaluate], [sample] and [bundle]: each key's type (strict:
    no "8" for 8, no true for 1.0, no 2.5 for a count) and range, so a bad value is found before
    the first stage runs rather than when its own stage starts."""
    from typing import Annotated, Literal, Optional, Union

    from pydantic import ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, create_model

    from dreamgan.data.dataset import make_dataset
    from dreamgan.fast.dreams import MAX_INTERPOLATION, MAX_SAMPLES
    from dreamgan.metrics.report import MAX_CROPS, evaluate_run
    from dreamgan.models.config import MAX_SEED

    def count(lo: int, hi: int):
        return Annotated[StrictInt, Field(ge=lo, le=hi)]

    def fraction(hi: float = 1.0):
        return Annotated[Union[StrictFloat, StrictInt], Field(ge=0, le=hi)]

    strict = ConfigDict(extra="forbid")
    dataset_types = dict(source=Optional[StrictStr], count=Optional[count(1, 1_000_000)], size=count(32, 4096), val=fraction(0.9),
                         test=fraction(0.9), seed=count(0, MAX_SEED), batch=count(1, 256))
    evaluate_types = dict(split=Literal["train", "val", "test"], fid=StrictBool, jitter_floor=StrictBool,
                          refine=Union[list[count(0, 1000)], tuple[count(0, 1000), ...]], crops=count(2, MAX_CROPS))
    # a stage's unset keys mean what its command's do (the library functions' defaults)
    with_defaults = lambda fn, types: {k: (t, d) for (k, t), d in zip(types.items(), _defaults(fn, types).values())}  # noqa: E731
    return {
        "dataset": create_model("DatasetStage", __config__=strict, out=(StrictStr, ...), **with_defaults(make_dataset, dataset_types)),
        "evaluate": create_model("EvaluateStage", __config__=strict, **with_defaults(evaluate_run, evaluate_types)),
        "sample": create_model("SampleStage", __config__=strict, images=(Union[StrictStr, list[StrictStr]], "embedded"),
                               out=(Optional[StrictStr], None), overlay=(Optional[fraction()], 0.5), n=(count(1, MAX_SAMPLES), 8),
                               size=(Optional[StrictStr], None), tileable=(StrictBool, False),
                               interpolate=(count(0, MAX_INTERPOLATION), 0), seed=(count(0, MAX_SEED), 0)),
        "bundle": create_model("BundleStage", __config__=strict, out=(Optional[StrictStr], None), half=(StrictBool, False)),
    }


def _train_types() -> dict:
    """{TrainConfig key: its strict type}, from the dataclass's own annotations: a float key takes
    an integer too, a tuple key a TOML array."""
    import typing
    from typing import Union

    from pydantic import StrictBool, StrictFloat, StrictInt, StrictStr

    from dreamgan.models.config import TrainConfig

    plain = {int: StrictInt, float: Union[StrictFloat, StrictInt], bool: StrictBool, str: StrictStr}
    out = {}
    for name, hint in typing.get_type_hints(TrainConfig).items():
        if typing.get_origin(hint) is tuple:
            item = plain.get(typing.get_args(hint)[0], typing.get_args(hint)[0])
            out[name] = Union[list[item], tuple[item, ...]]
        else:
            out[name] = plain.get(hint, hint)
    return out


def _validated(section: str, values: dict, model) -> dict:
    """`values` checked by `model`; one line naming the first bad key, what it holds and why."""
    from pydantic import ValidationError

    _refuse_unknown_keys(section, values, list(model.model_fields))
    try:
        return model.model_validate(values).model_dump()
    except ValidationError as e:
        err = e.errors()[0]
        key = str(err["loc"][0])
        raise DreamganError(f"[{section}] {key} = {values.get(key)!r}: {err['msg'].lower()}") from None


def plan(spec: dict) -> dict:
    """Resolved configs of each stage, every key of every stage checked for its type and range
    before anything runs (a stage that runs an hour in must not fail on a typo)."""
    from pydantic import TypeAdapter, ValidationError

    from dreamgan.dream.engine import DreamConfig
    from dreamgan.models.config import TrainConfig

    for name in STAGES:
        if not isinstance(spec.get(name, {}), dict):
            raise DreamganError(f"[{name}] must be a table of keys, got {spec[name]!r}")
    models = _section_models()
    ds = dict(spec.get("dataset", {}))
    recipe = DreamConfig.from_dict(ds.pop("recipe", {}))
    ds = _validated("dataset", {"out": "data/default", **ds}, models["dataset"])
    tr = dict(spec.get("train", {}))
    preset = tr.pop("preset", None)
    types = _train_types()
    _refuse_unknown_keys("train", tr, ["preset", *sorted(set(types) - {"data"})])
    for key, value in tr.items():
        try:
            TypeAdapter(types[key]).validate_python(value, strict=True)
        except ValidationError as e:
            raise DreamganError(f"[train] {key} = {value!r}: {e.errors()[0]['msg'].lower()}") from None
    train = TrainConfig.from_preset(preset, **{**tr, "data": ds["out"]})
    ev = _validated("evaluate", spec.get("evaluate", {}), models["evaluate"])
    sa = _validated("sample", spec.get("sample", {}), models["sample"])
    if sa["size"] is not None:
        from dreamgan.fast.dreams import parse_size

        parse_size(str(sa["size"]))  # a bad size fails before the dataset stage
    bundle = {k: v for k, v in _validated("bundle", spec.get("bundle", {}), models["bundle"]).items() if v is not None}
    return {"dataset": {**ds, "recipe": recipe}, "train": train, "evaluate": ev, "sample": sa, "bundle": bundle}


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
    from dreamgan.data.dataset import make_dataset
    from dreamgan.data.photos import write_embedded_photos
    from dreamgan.fast import write_fast_dreams, write_noise_dreams
    from dreamgan.images import list_images
    from dreamgan.metrics.report import evaluate_run, format_report
    from dreamgan.training.gan import train_gan
    from dreamgan.training.rundir import latest_run_dir

    if start not in STAGES:
        raise DreamganError(f"unknown stage {start!r}; stages: {', '.join(STAGES)}")
    stages = plan(load_pipeline(path))
    configured = [name for name in STAGES if name != "bundle" or stages["bundle"].get("out")]  # bundle is opt-in
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
    if "bundle" in todo:
        from dreamgan.data.pairs import dataset_hash
        from dreamgan.fast import load_generator, write_bundled_generator
        from dreamgan.fast.bundled import MAX_BUNDLED_BYTES, MAX_BUNDLED_TEXTURES_BYTES

        evaluation = results.get("evaluate")
        provenance = {"dataset": train_cfg.data, "dataset_hash": dataset_hash(train_cfg.data), "pipeline": str(path),
                      "evaluate": {k: evaluation[k] for k in ("split", "n", "rows")} if evaluation else None}
        g, cfg, ckpt = load_generator(run)
        limit = MAX_BUNDLED_TEXTURES_BYTES if cfg.arch == "dcgan" else MAX_BUNDLED_BYTES
        out = write_bundled_generator(g, ckpt, stages["bundle"]["out"], provenance=provenance, max_bytes=limit,
                                      half=stages["bundle"].get("half", False))
        results["bundle"] = {"out": str(out), "bytes": out.stat().st_size}
        echo(f"[bundle] {out} ({results['bundle']['bytes'] / 2**20:.1f} MiB)")
    return results
