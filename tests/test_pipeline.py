"""Pipelines: the smoke pipeline runs end to end; --dry-run and --from; bad files are refused."""
from __future__ import annotations

import functools
import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from dreamgan.errors import DreamganError
from dreamgan.pipeline import load_pipeline, plan, run_pipeline

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "pipelines" / "smoke.toml"


@pytest.mark.slow
def test_smoke_pipeline_end_to_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lines, seen = [], {}
    hooks = {"dataset": lambda: {"on_plan": lambda total, done: seen.update(planned=total),
                                 "on_pair": lambda n: seen.update(pairs=n)},
             "train": lambda steps: {"on_step": lambda step, losses: seen.update(step=step, steps=steps)},
             "stage": lambda name, done=False: seen.update({name: done})}
    results = run_pipeline(SMOKE, echo=lines.append, hooks=hooks)
    assert results["dataset"]["made"] == 10
    assert seen == {"planned": 10, "pairs": 10, "step": 20, "steps": 20, "evaluate": True, "sample": True}, \
        "progress reached every stage"
    run = Path(results["train"]["run"])
    assert results["train"]["step"] == 20 and (run / "best.pt").is_file()
    report = results["evaluate"]
    assert set(report["rows"]) >= {"generator", "identity"} and report["split"] == "test"
    assert any(name.startswith("equal-time classical") for name in report["rows"])
    assert json.loads((run / "evaluate-test.json").read_text())["n"] == report["n"]
    assert len(results["sample"]["written"]) == 7 and any("attainment" in l for l in lines)
    exported = torch.load(results["bundle"]["out"], map_location="cpu", weights_only=True)
    assert exported["provenance"]["evaluate"]["rows"]["generator"]["n"] == report["n"] and "d" not in exported
    # rerun from a later stage: uses what is on disk, recomputes nothing before it
    seen.clear()
    again = run_pipeline(SMOKE, start="sample", echo=lines.append, hooks=hooks)
    assert set(again) == {"sample", "bundle"} and seen == {"sample": True}, "skipped stages show no progress"
    # a rerun of finished stages says they are done (not 0/N): the dataset reports every pair
    # already done and the run resumes at its last step
    seen.clear()
    hooks["dataset"] = lambda: {"on_plan": lambda total, done: seen.update(planned=total, done=done)}
    hooks["train"] = lambda steps: {"on_resume": lambda step: seen.update(resumed=step, steps=steps)}
    again = run_pipeline(SMOKE, echo=lines.append, hooks=hooks)
    assert again["dataset"]["made"] == 0 and again["train"]["step"] == 20
    assert (seen["planned"], seen["done"], seen["resumed"], seen["steps"]) == (10, 10, 20, 20)


def test_ctrl_c_in_training_stops_the_pipeline_before_evaluate(tmp_path, monkeypatch):
    import dreamgan.metrics.report as ev
    import dreamgan.training.gan as gan

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(gan, "train_gan", lambda cfg, resume=False, **kw: gan.TrainReport(tmp_path / "run", 7, {}, [], interrupted=True))
    never = functools.wraps(ev.evaluate_run)(lambda *a, **kw: pytest.fail("evaluated a half-trained generator"))
    monkeypatch.setattr(ev, "evaluate_run", never)  # its signature kept: [evaluate]'s defaults are read from it
    lines = []
    with pytest.raises(KeyboardInterrupt):
        run_pipeline(SMOKE, start="train", echo=lines.append)
    assert "interrupted at step 7" in lines[-1] and "rerun to continue" in lines[-1]


def test_dry_run_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lines = []
    out = run_pipeline(ROOT / "pipelines" / "default.toml", start="train", dry_run=True, echo=lines.append)
    assert out == {"dry_run": True, "stages": ["train", "evaluate", "sample"]}
    assert lines[0].startswith("[dataset] (skipped") and "steps" in lines[1]
    assert not any(tmp_path.iterdir()), "a dry run must not write anything"


def test_default_pipeline_is_valid():
    stages = plan(load_pipeline(ROOT / "pipelines" / "default.toml"))
    assert stages["dataset"]["size"] == 299 and stages["train"].arch == "pix2pix" and stages["train"].data == "data/default"


def test_dcgan_pipeline_is_valid_and_uses_the_noise_recipe():
    stages = plan(load_pipeline(ROOT / "pipelines" / "dcgan.toml"))
    train = stages["train"]
    assert (train.arch, train.noise_g, train.noise_d, train.gan_mode, train.diffaugment) == ("dcgan", "texture", "projected", "hinge", False)
    assert (train.lambda_stats, train.stats_norm, train.lambda_l1) == (40.0, "energy", 0.0), "GAN + pooled dream statistics"
    assert (train.stats_shift, train.stats_scale) == (64, 1.5), "read through random rolls and enlargements"
    assert train.data == "data/debian" and stages["sample"]["size"] == "1024x768" and stages["sample"]["tileable"]
    assert stages["evaluate"]["crops"] == 256
    assert (train.g_precision, train.stats_precision) == ("auto", "auto"), \
        "G's pass and the statistics term's in bf16 where the CPU has bf16 units, float32 elsewhere"
    assert (train.minutes, train.steps) == (28, 3000), "as many steps as fit in 28 min, at most 3000"
    assert train.lr == 6e-4, "the learning rate that lifted the worst of three seeds (docs/results.md)"


def test_textures_pipeline_is_the_noise_recipe_and_bundles_in_float16_within_5_mb():
    stages = plan(load_pipeline(ROOT / "pipelines" / "textures.toml"))
    dcgan = plan(load_pipeline(ROOT / "pipelines" / "dcgan.toml"))["train"]
    train = stages["train"]
    assert train.arch == "dcgan" and train == replace(dcgan, out="checkpoints/textures"), "the recipe pipelines/dcgan.toml measures"
    assert stages["bundle"] == {"out": "dreamgan/weights/dream_textures.pt", "half": True}


def test_a_bundle_in_float16_loads_back_into_float32_with_half_the_bytes(tmp_path):
    """[bundle] half = true: the weights are stored in float16 and load into the float32
    network (the pixels move by float16's rounding only); a file over the limit is refused."""
    from dreamgan.fast.bundled import write_bundled_generator
    from dreamgan.models.checkpoint import build_networks, generator_from_checkpoint
    from dreamgan.models.config import TrainConfig

    cfg = TrainConfig.from_preset(None, data="d", arch="dcgan")
    torch.manual_seed(0)
    g = build_networks(cfg)[0].eval()
    ckpt = {"format": "dreamgan-gan/1", "arch": "dcgan", "config": vars(cfg), "recipe": None, "step": 1, "path": "run/best.pt"}
    full = write_bundled_generator(g, ckpt, tmp_path / "full.pt")
    half = write_bundled_generator(g, ckpt, tmp_path / "half.pt", half=True)
    assert half.stat().st_size < 0.55 * full.stat().st_size
    loaded = torch.load(half, map_location="cpu", weights_only=True)
    assert loaded["weights_dtype"] == "float16" and loaded["g"]["head.0.weight"].dtype == torch.float16
    g16 = generator_from_checkpoint({**loaded, "path": str(half)})[0]
    assert all(p.dtype == torch.float32 for p in g16.parameters())
    z = torch.randn(g.noise_shape(1), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert (g16(z) - g(z)).abs().max() < 0.02
    with pytest.raises(DreamganError, match="half = true"):
        write_bundled_generator(g, ckpt, tmp_path / "big.pt", max_bytes=2 ** 20)


def test_gpu_pipeline_is_valid_and_dreams_at_a_gpus_scale():
    train = plan(load_pipeline(ROOT / "pipelines" / "gpu.toml"))["train"]
    assert (train.ngf, train.image_size, train.batch_size, train.device) == (32, 256, 16, "cuda")
    assert (train.lambda_stats, train.noise, train.lambda_l1) == (100.0, 4, 0.0), "the default training's losses"


def test_bad_pipelines_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[dataset\n")
    with pytest.raises(DreamganError, match="not valid TOML"):
        load_pipeline(bad)
    bad.write_text("[datasets]\n")
    with pytest.raises(DreamganError, match="unknown sections"):
        load_pipeline(bad)
    bad.write_text("[export]\nout = 'g.pt'\n")
    with pytest.raises(DreamganError, match="\\[export\\] is now \\[bundle\\]"):
        load_pipeline(bad)
    bad.write_text("[train]\nstepz = 3\n")
    with pytest.raises(DreamganError, match="unknown \\[train\\] keys \\['stepz'\\]"):
        plan(load_pipeline(bad))
    bad.write_text("[sample]\ntiles = true\n")
    with pytest.raises(DreamganError, match="unknown \\[sample\\] keys"):
        plan(load_pipeline(bad))
    bad.write_text("[evaluate]\ncrop = 256\n")
    with pytest.raises(DreamganError, match="unknown \\[evaluate\\] keys"):
        plan(load_pipeline(bad))
    bad.write_text("[sample]\nsize = '10x0'\n")
    with pytest.raises(DreamganError, match="--size"):
        plan(load_pipeline(bad))
    bad.write_text("[dataset.recipe]\nlayerz = ['mixed_3']\n")
    with pytest.raises(DreamganError, match="unknown recipe keys"):
        plan(load_pipeline(bad))
    with pytest.raises(DreamganError, match="unknown stage"):
        run_pipeline(SMOKE, start="deploy")


@pytest.mark.parametrize("text, message", [
    ("[evaluate]\ncrops = 'many'", r"\[evaluate\] crops = 'many': input should be a valid integer"),
    ("[sample]\nn = '8'", r"\[sample\] n = '8': input should be a valid integer"),
    ("[sample]\nn = -1", r"\[sample\] n = -1: input should be greater than or equal to 1"),
    ("[sample]\ninterpolate = 'x'", r"\[sample\] interpolate = 'x'"),
    ("[dataset]\ncount = 'x'", r"\[dataset\] count = 'x'"),
    ("[sample]\ntileable = 'no'", r"\[sample\] tileable = 'no': input should be a valid boolean"),
    ("[train]\nminutes = true", r"\[train\] minutes = True"),
    ("[train]\nsteps = 2.5", r"\[train\] steps = 2.5: input should be a valid integer"),
    ("[train]\nsteps = 'x'", r"\[train\] steps = 'x'"),
    ("[evaluate]\nsplit = 'bogus'", r"\[evaluate\] split = 'bogus': input should be 'train', 'val' or 'test'"),
    ("[train]\nlr = nan", r"--lr must be a finite number"),
])
def test_every_stage_s_values_are_checked_before_the_first_stage_runs(tmp_path, text, message):
    """A type or range error in a late stage is one line naming its section and key at --dry-run,
    not a traceback after the dataset and the training have run."""
    bad = tmp_path / "bad.toml"
    bad.write_text(text + "\n")
    with pytest.raises(DreamganError, match=message) as err:
        run_pipeline(bad, dry_run=True, echo=lambda line: None)
    assert "\n" not in str(err.value)
    with pytest.raises(DreamganError, match="does not exist"):
        load_pipeline(tmp_path / "missing.toml")
