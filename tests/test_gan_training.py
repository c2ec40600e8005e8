"""GAN training loop and fast sampling: run dir, exact resume, refusals, samplers."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from dreamgan.errors import DreamganError
from dreamgan.fast import load_generator, write_fast_dreams, write_noise_dreams
from dreamgan.training.gan import PRESETS, TrainConfig, eval_curve, load_gan_checkpoint, train_gan


@pytest.fixture(scope="module")
def dataset(tiny_pairs):
    return tiny_pairs  # conftest: 8 tiny-backbone pairs


def _cfg(data, out, **kw):
    """A tiny run on the aligned losses with a discriminator (legacy-aligned), which exercises
    every part of the loop: D's step and losses, G's pixel and feature terms."""
    base = dict(PRESETS["legacy-aligned"], data=str(data), out=str(out), steps=6, image_size=32, batch_size=2, ngf=8,
                depth=3, ndf=8, eval_every=3, eval_fid=False, lambda_feat=1.0)
    return TrainConfig(**{**base, **kw})


@pytest.mark.slow
def test_pix2pix_run_directory_metrics_and_checkpoints(dataset, tmp_path):
    report = train_gan(_cfg(dataset, tmp_path, eval_fid=True))
    run = report.run_dir
    assert run.name == "00001-pix2pix-tiny" and report.step == 6
    for name in ("config.json", "metrics.jsonl", "latest.pt", "best.pt", "curves.png", "samples/step-000006.png"):
        assert (run / name).is_file(), name
    config = json.loads((run / "config.json").read_text())
    assert len(config["dataset_hash"]) == 64 and config["dataset_recipe"]["layers"] == ["conv2"]
    rows = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    identity = [r for r in rows if r.get("reference") == "identity"][0]
    assert identity["attainment"] == pytest.approx(0.0, abs=1e-6) and identity["feature_ratio"] == pytest.approx(1.0, abs=1e-6)
    evals = [r for r in rows if r.get("eval") == "val"]
    assert [r["step"] for r in evals] == [3, 6] and all("fid" in r and "feature_ratio" in r for r in evals)
    assert any((run / "fid-cache").iterdir()), "the true dreams' FID features are cached once per run"
    curve = eval_curve(run)  # metric vs training time: starts at the identity, then every val eval
    assert [c["step"] for c in curve] == [0, 3, 6] and curve[0]["train_seconds"] == 0.0
    assert curve[0]["feature_ratio"] == pytest.approx(1.0, abs=1e-6) and 0 < curve[1]["train_seconds"] < curve[2]["train_seconds"]
    assert (run / "curves_eval.png").is_file()
    ckpt = load_gan_checkpoint(run)  # best.pt, weights_only
    assert ckpt["arch"] == "pix2pix" and ckpt["recipe"]["layers"] == ["conv2"]


@pytest.mark.slow
def test_resume_after_ctrl_c_equals_an_uninterrupted_run(dataset, tmp_path):
    full = train_gan(_cfg(dataset, tmp_path / "a"))

    def stop_at_4(step, losses):
        if step == 4:
            raise KeyboardInterrupt

    cut = train_gan(_cfg(dataset, tmp_path / "b"), on_step=stop_at_4)
    assert cut.interrupted and cut.step == 4 and load_gan_checkpoint(cut.run_dir / "latest.pt")["step"] == 4
    resumed = train_gan(_cfg(dataset, tmp_path / "b"), resume=True)
    assert resumed.run_dir == cut.run_dir and resumed.step == 6
    a, b = load_gan_checkpoint(full.run_dir / "latest.pt"), load_gan_checkpoint(resumed.run_dir / "latest.pt")
    for k in a["g"]:
        assert torch.allclose(a["g"][k].float(), b["g"][k].float(), atol=1e-6), k
    assert a["opt_g"]["state"][0]["step"] == b["opt_g"]["state"][0]["step"]


@pytest.mark.slow
def test_a_noise_run_with_the_projected_discriminator_resumes_exactly(dataset, tmp_path):
    """The checkpoint keeps the optimisers, the EMA and the global RNG state as well as the weights."""
    kw = dict(arch="dcgan", image_size=64, steps=4, eval_every=2, noise_g="texture", noise_d="projected", d_size=64, ngf=4, ndf=4)
    full = train_gan(_cfg(dataset, tmp_path / "a", **kw))

    def stop_at_3(step, losses):
        if step == 3:
            raise KeyboardInterrupt

    cut = train_gan(_cfg(dataset, tmp_path / "b", **kw), on_step=stop_at_3)
    assert cut.interrupted and cut.step == 3
    resumed = train_gan(_cfg(dataset, tmp_path / "b", **kw), resume=True)
    a, b = load_gan_checkpoint(full.run_dir / "latest.pt"), load_gan_checkpoint(resumed.run_dir / "latest.pt")
    for k in a["g"]:
        assert torch.allclose(a["g"][k].float(), b["g"][k].float(), atol=1e-6), k
    for k in a["d"]:
        assert torch.allclose(a["d"][k].float(), b["d"][k].float(), atol=1e-6), k


@pytest.mark.slow
@pytest.mark.parametrize("kw", [
    dict(arch="dcgan", image_size=64, noise_g="texture", noise_d="projected", d_size=64, ngf=4, ndf=4),
    dict(arch="pix2pix", d_input="projected", d_layers=("conv1",), lambda_gan=1.0),
], ids=["noise-projected-d", "pix2pix-projected-d"])
def test_a_runs_weights_do_not_depend_on_how_often_it_is_scored(dataset, tmp_path, monkeypatch, kw):
    """FID/KID and the sample sheets draw random numbers too; the step draws everything it uses
    (noise, crops, DiffAugment) from its own seeded generator, so evals every step or only at
    the end give the same generator. Before, the projected D's DiffAugment drew from the global
    RNG and two runs of one recipe drifted apart with their eval settings."""
    often = train_gan(_cfg(dataset, tmp_path / "a", steps=4, eval_every=1, eval_fid=True, eval_crops=8, **kw))
    once = train_gan(_cfg(dataset, tmp_path / "b", steps=4, eval_every=4, eval_fid=True, eval_crops=8, **kw))
    a, b = load_gan_checkpoint(often.run_dir / "latest.pt"), load_gan_checkpoint(once.run_dir / "latest.pt")
    for k in a["g"]:
        assert torch.equal(a["g"][k], b["g"][k]), f"G's {k} depends on the eval schedule"


@pytest.mark.slow
def test_init_g_starts_a_new_run_from_another_generator(dataset, tmp_path):
    first = train_gan(_cfg(dataset, tmp_path / "a", steps=3))
    trained = load_gan_checkpoint(first.run_dir / "latest.pt")["g"]
    # steps=1 with a zero learning rate: the new run's G is exactly the one it started from
    second = train_gan(_cfg(dataset, tmp_path / "b", steps=1, lr=1e-12, init_g=str(first.run_dir)))
    started = load_gan_checkpoint(second.run_dir / "latest.pt")
    assert started["step"] == 1 and started["config"]["init_g"] == str(first.run_dir)
    assert all(torch.allclose(trained[k].float(), started["g"][k].float(), atol=1e-6) for k in trained)
    # a fresh run differs: the init really came from the other run (the head starts at zero)
    fresh = load_gan_checkpoint(train_gan(_cfg(dataset, tmp_path / "c", steps=1, lr=1e-12)).run_dir / "latest.pt")["g"]
    assert any(not torch.allclose(trained[k].float(), fresh[k].float()) for k in trained)
    with pytest.raises(DreamganError, match=r"cannot start from .*\(--init-g\): its ngf is 8, this run's is 16"):
        train_gan(_cfg(dataset, tmp_path / "d", ngf=16, init_g=str(first.run_dir)))
    with pytest.raises(DreamganError, match="no checkpoint at"):
        train_gan(_cfg(dataset, tmp_path / "e", init_g=str(tmp_path / "missing")))


@pytest.mark.slow
def test_resume_refuses_another_arch_or_size_and_bad_datasets(dataset, tmp_path):
    train_gan(_cfg(dataset, tmp_path, steps=3))
    with pytest.raises(DreamganError, match="cannot resume .*ngf"):
        train_gan(_cfg(dataset, tmp_path, steps=6, ngf=16), resume=True)
    with pytest.raises(DreamganError, match="nothing to resume"):
        train_gan(_cfg(dataset, tmp_path / "none"), resume=True)
    # another dataset: refused, and the run's provenance is untouched
    import shutil

    other = tmp_path / "other" / "tiny"  # the same name, so the same run folder is found
    shutil.copytree(dataset, other)
    (other / "manifest.jsonl").write_text("".join((dataset / "manifest.jsonl").read_text().splitlines(True)[:-1]))
    run = next(tmp_path.glob("*-pix2pix-tiny"))
    config_before = (run / "config.json").read_text()
    with pytest.raises(DreamganError, match="cannot resume .* another dataset .*drop --resume"):
        train_gan(_cfg(other, tmp_path, steps=6), resume=True)
    assert (run / "config.json").read_text() == config_before
    resumed = []
    train_gan(_cfg(dataset, tmp_path, steps=4), resume=True, on_resume=resumed.append)
    assert resumed == [3]
    with pytest.raises(DreamganError, match="not a dreamgan dataset"):
        train_gan(_cfg(tmp_path / "nowhere", tmp_path))
    with pytest.raises(DreamganError, match="too small for a depth-4"):
        _cfg(dataset, tmp_path, image_size=16, depth=4)


@pytest.mark.slow
def test_fast_dreams_from_pix2pix_and_dcgan(dataset, tmp_path, photo_uint8):
    p2p = train_gan(_cfg(dataset, tmp_path, steps=3))
    photo = tmp_path / "photo.png"
    Image.fromarray(photo_uint8).save(photo)
    (tmp_path / "bad.png").write_bytes(b"nope")
    written, failed = write_fast_dreams(p2p.run_dir, [photo, tmp_path / "bad.png"], tmp_path / "fast", overlay=0.5)
    assert [p.name for p in written] == ["photo.png"] and len(failed) == 1
    assert np.asarray(Image.open(written[0])).shape == photo_uint8.shape
    g, cfg, _ = load_generator(p2p.run_dir)
    with torch.no_grad():
        x = torch.rand(1, 3, 41, 57)
        assert torch.equal(g(x), load_generator(p2p.run_dir)[0](x)), "save -> load gives identical outputs"
    dc = train_gan(_cfg(dataset, tmp_path, arch="dcgan", image_size=64, steps=3))
    files = write_noise_dreams(dc.run_dir, tmp_path / "noise", n=3, interpolate=4)
    assert [p.name for p in files] == ["sample-0000.png", "sample-0001.png", "sample-0002.png", "interpolation.png"]
    assert np.asarray(Image.open(files[-1])).shape == (2 + 66, 2 + 4 * 66, 3), "4 frames in a row with 2 px gutters"
    with pytest.raises(DreamganError, match="from noise"):
        write_fast_dreams(dc.run_dir, [photo], tmp_path / "x")
    from dreamgan.metrics.report import evaluate_run, format_report

    report = evaluate_run(dc.run_dir, split="train", out_dir=tmp_path / "ev", crops=8)
    assert list(report["rows"]) == ["dcgan (dreams from noise)", "identity (the photos)", "floor (other true dreams, train split)"]
    assert all(np.isfinite(r["kid_mean"]) and np.isfinite(r["kid_effnet_mean"]) and r["diversity"] > 0 for r in report["rows"].values())
    assert report["data"] == str(dataset) and report["n"] == 8 and report["crops"]["size"] == 64
    assert (tmp_path / "ev" / "evaluate-train.json").is_file() and "identity" in format_report(report)


@pytest.mark.slow
@pytest.mark.parametrize("noise_g", ["spatial", "texture"])
def test_a_dcgan_run_describes_itself_and_draws_textures_of_any_size(dataset, tmp_path, capsys, noise_g):
    from typer.testing import CliRunner

    from dreamgan.cli import app, main

    run = train_gan(_cfg(dataset, tmp_path, arch="dcgan", image_size=64, steps=4, eval_every=2, noise_g=noise_g)).run_dir
    ckpt = load_gan_checkpoint(run / "latest.pt")
    assert ckpt["arch"] == "dcgan" and ckpt["config"]["noise_g"] == noise_g and ckpt["config"]["noise_d"] == "patch"
    assert "g_ema" in ckpt and ckpt["step"] == 4 and ckpt["recipe"]["layers"] == ["conv2"]
    _check_the_average_samples_with_its_own_batchnorm_statistics(ckpt)
    rows = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    assert all(np.isfinite(r[k]) for r in rows for k in ("loss_d_real", "loss_d_fake", "loss_g_gan") if k in r)
    runner = CliRunner()
    out = tmp_path / "tex"
    result = runner.invoke(app, ["sample", "-c", str(run), "--size", "200x120", "-n", "2", "--seed", "5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    first = np.asarray(Image.open(out / "sample-0000.png"))
    assert first.shape == (120, 200, 3)
    again = runner.invoke(app, ["sample", "-c", str(run), "--size", "200x120", "-n", "2", "--seed", "5", "-o", str(tmp_path / "again")])
    assert again.exit_code == 0 and np.array_equal(first, np.asarray(Image.open(tmp_path / "again" / "sample-0000.png"))), "same seed, same texture"
    textures = runner.invoke(app, ["textures", "-c", str(run), "--size", "200x120", "-n", "1", "--seed", "5", "-o", str(tmp_path / "t")])
    assert textures.exit_code == 0 and np.array_equal(first, np.asarray(Image.open(tmp_path / "t" / "sample-0000.png"))), \
        "dreamgan textures draws what sample draws from a noise run"
    tiled = runner.invoke(app, ["sample", "-c", str(run), "--size", "96", "--tileable", "-n", "1", "-o", str(tmp_path / "tiled")])
    assert tiled.exit_code == 0 and np.asarray(Image.open(tmp_path / "tiled" / "sample-0000.png")).shape == (96, 96, 3)
    for bad in ("0x10", "abc", "100x", "99999", "10x10x10", "-5"):
        with pytest.raises(SystemExit) as stop:
            main(["sample", "-c", str(run), "--size", bad, "-o", str(tmp_path / "bad")])
        err = capsys.readouterr().err
        assert stop.value.code == 1 and err.startswith("error: --size") and len(err.strip().splitlines()) == 1, (bad, err)
    assert not (tmp_path / "bad").exists(), "a bad --size fails before anything is written"
    _check_sample_refusals_and_bounded_textures(run, tmp_path, capsys, monkeypatch=pytest.MonkeyPatch())


def _check_sample_refusals_and_bounded_textures(run, tmp_path, capsys, monkeypatch) -> None:
    """sample on a noise run: values it cannot use and options it would ignore are one line
    each, before anything is written; a texture larger than one part is drawn part by part
    (the same pixels as one pass) and a size that needs more memory than is free is refused."""
    import dreamgan.fast.dreams as dreams
    from dreamgan.cli import main
    from dreamgan.models.dcgan import synthesize

    photo = tmp_path / "p.png"
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(photo)
    bad = {("-n", "0"): "-n must be 1 to", ("-n", "-1"): "-n must be 1 to", ("-n", "100000000"): "-n must be 1 to",
           ("--seed", "18446744073709551616"): "--seed must be 0 to", ("--interpolate", "1000000000"): "--interpolate must be 0",
           ("--overlay", "0.5"): "--overlay is for photo", ("--refine", "2"): "--refine is for photo",
           ("--runtime", "bogus"): "--runtime must be one of", (str(photo),): "photos is for photo"}
    for args, message in bad.items():
        with pytest.raises(SystemExit) as stop:
            main(["sample", "-c", str(run), *args, "-o", str(tmp_path / "refused")])
        err = capsys.readouterr().err
        assert stop.value.code == 1 and message in err and len(err.strip().splitlines()) == 1, (args, err)
    assert not (tmp_path / "refused").exists()
    g = load_generator(run)[0]
    z = torch.randn(g.noise_shape(1, 16 * 11, 16 * 9), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert (synthesize(g, z, tile_cells=4) - g(z)).abs().max() < 1e-5, "parts join into the one-pass texture"
    monkeypatch.setattr(dreams, "_available_bytes", lambda: 2 ** 20)
    with pytest.raises(SystemExit):
        main(["sample", "-c", str(run), "--size", "4096", "-n", "1", "-o", str(tmp_path / "huge")])
    err = capsys.readouterr().err
    assert "GiB" in err and "smaller --size" in err and not (tmp_path / "huge").exists(), err
    monkeypatch.undo()


def _check_the_average_samples_with_its_own_batchnorm_statistics(ckpt: dict) -> None:
    """A run saves its EMA with statistics recomputed from the EMA's own activations, and says so;
    a checkpoint saved before that (no `g_ema_batchnorm`, the raw G's statistics) gets them on
    loading, the same ones; one that says it has them keeps what it has."""
    from dreamgan.models.checkpoint import generator_from_checkpoint

    assert ckpt["g_ema_batchnorm"] == "own"
    stats = {k: v for k, v in ckpt["g_ema"].items() if "running_" in k}
    old = {**ckpt, "g_ema": {k: torch.zeros_like(v) if k in stats else v for k, v in ckpt["g_ema"].items()}}
    del old["g_ema_batchnorm"]
    loaded = generator_from_checkpoint(old)[0].state_dict()
    assert all(torch.allclose(loaded[k], v) for k, v in stats.items()), "recomputed on loading, as the run did"
    kept = generator_from_checkpoint({**old, "g_ema_batchnorm": "own"})[0].state_dict()
    assert all(not kept[k].any() for k in stats)


@pytest.mark.slow
def test_the_noise_recipe_trains_with_finite_losses(dataset, tmp_path):
    """`DCGAN_DEFAULTS` as `dreamgan train --arch dcgan` builds it (texture G, projected D on the
    embedded EfficientNet-Lite0, the statistics term through rolls and enlargements), a few steps."""
    cfg = TrainConfig.from_preset(None, data=str(dataset), out=str(tmp_path), arch="dcgan", steps=2, batch_size=4, eval_every=2,
                                  eval_fid=False, stats_projections=8)
    assert (cfg.noise_g, cfg.noise_d, cfg.d_size, cfg.lambda_stats) == ("texture", "projected", 96, 40.0)
    run = train_gan(cfg).run_dir
    rows = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    keys = ("loss_d_real", "loss_d_fake", "loss_g_gan", "loss_g_stats")
    assert any(all(k in r for k in keys) for r in rows) and all(np.isfinite(r[k]) for r in rows for k in keys if k in r)
    assert load_gan_checkpoint(run / "latest.pt")["config"]["noise_g"] == "texture"


def test_a_dcgan_can_match_the_true_dreams_statistics_and_needs_no_photo_for_it(dataset, tmp_path):
    run = train_gan(_cfg(dataset, tmp_path, arch="dcgan", image_size=64, steps=2, eval_every=2, lambda_stats=1.0,
                         stats_norm="energy", stats_projections=8, stats_shift=16, stats_scale=1.25, fine_noise=True,
                         upsample="bilinear", g_convs=2, g_jitter=True, d_roll=16)).run_dir
    rows = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    stats = [r["loss_g_stats"] for r in rows if "loss_g_stats" in r]
    assert stats and all(np.isfinite(v) and v > 0 for v in stats)
    with pytest.raises(DreamganError, match="stats-norm energy"):
        TrainConfig.from_preset(None, data="d", arch="dcgan", lambda_stats=1.0, stats_norm="photo")
    with pytest.raises(DreamganError, match="stats-shift"):
        TrainConfig.from_preset(None, data="d", stats_shift=8)  # pix2pix's U-Net does not wrap
    with pytest.raises(DreamganError, match="stats-scale"):
        TrainConfig.from_preset(None, data="d", arch="dcgan", stats_scale=0.5)
    with pytest.raises(DreamganError, match="--upsample"):
        TrainConfig.from_preset(None, data="d", upsample="bilinear")  # the U-Net has its own decoder
    for other in ("dcgan", "texture"):  # the noise inputs, jitter and conv count are the spatial generator's
        with pytest.raises(DreamganError, match="fine-noise"):
            TrainConfig.from_preset(None, data="d", arch="dcgan", noise_g=other, fine_noise=True)
        with pytest.raises(DreamganError, match="--g-jitter"):
            TrainConfig.from_preset(None, data="d", arch="dcgan", noise_g=other, g_jitter=True)
    assert TrainConfig.from_preset(None, data="d", arch="dcgan", noise_g="texture", upsample="bilinear", d_roll=8).d_roll == 8
    with pytest.raises(DreamganError, match="--g-convs"):
        TrainConfig.from_preset(None, data="d", arch="dcgan", g_convs=0)
    with pytest.raises(DreamganError, match="--g-convs"):
        TrainConfig.from_preset(None, data="d", g_convs=2)  # the U-Net has its own depth
    with pytest.raises(DreamganError, match="--g-jitter"):
        TrainConfig.from_preset(None, data="d", arch="dcgan", noise_g="dcgan", g_jitter=True)
    for bad in (dict(arch="dcgan", d_roll=-1), dict(arch="dcgan", noise_g="dcgan", d_roll=16)):  # the classic G does not wrap
        with pytest.raises(DreamganError, match="--d-roll"):
            TrainConfig.from_preset(None, data="d", **bad)


def test_a_dcgan_checkpoint_saved_before_the_noise_options_loads_as_the_classic_dcgan():
    from dreamgan.models.checkpoint import generator_from_checkpoint
    from dreamgan.models.dcgan import DCGANGenerator

    g = DCGANGenerator(64, 100, 8)
    # as saved then: the dataclass's pix2pix loss fields beside the dcgan ones, which dcgan ignored
    saved = {k: v for k, v in vars(TrainConfig(data="d", arch="dcgan", image_size=64, ngf=8, stats_norm="energy")).items()
             if k not in ("noise_g", "noise_d", "diffaugment", "ema")} | {"lambda_stats": 100.0, "stats_norm": "photo"}
    loaded, cfg = generator_from_checkpoint({"config": saved, "g": g.state_dict()})
    assert isinstance(loaded, DCGANGenerator) and cfg.noise_g == "dcgan" and cfg.noise_d == "dcgan" and cfg.ema == 0
    assert cfg.lambda_stats == 0, "it trained without the statistics term dcgan has now"


def test_the_default_training_is_the_dream_preset_and_old_configs_keep_what_they_trained_with():
    from dreamgan.models.config import DEFAULTS_BEFORE_DREAM, saved_config

    default = TrainConfig(data="d")
    assert default == TrainConfig.from_preset(None, data="d") == TrainConfig.from_preset("dream", data="d")
    assert (default.noise, default.lambda_stats, default.lambda_gan, default.lambda_l1, default.lambda_feat) == (4, 100.0, 0.0, 0.0, 0.0)
    # a config saved before the defaults changed lacks none of its keys unless they were added
    # later; one written by hand without them gets the values they had then (a run of ngf 32, no noise)
    saved = {k: v for k, v in vars(default).items() if k not in DEFAULTS_BEFORE_DREAM}
    assert saved_config(saved) == TrainConfig.from_preset("legacy-aligned", data="d")
    assert saved_config(vars(default)) == default


def test_every_recipe_is_a_named_preset_and_a_preset_of_another_kind_is_refused():
    """`--arch dcgan` alone starts from the noise-dream preset (the same config as naming it),
    `--preset noise-dream` alone trains dcgan, and a pix2pix preset asked to train dcgan is
    one clear error instead of a silent swap."""
    from dreamgan.models.config import NOISE_PRESET, PRESETS

    assert NOISE_PRESET in PRESETS
    by_arch = TrainConfig.from_preset(None, data="d", arch="dcgan")
    assert by_arch == TrainConfig.from_preset(NOISE_PRESET, data="d") == TrainConfig.from_preset(NOISE_PRESET, data="d", arch="dcgan")
    assert by_arch.arch == "dcgan" and by_arch.noise_g == "texture" and by_arch.lambda_stats == 40.0
    assert TrainConfig.from_preset("dream", data="d", arch="dcgan") == by_arch, "the default preset named explicitly (pipelines did)"
    with pytest.raises(DreamganError, match="preset 'dream-texture' trains --arch pix2pix, not dcgan"):
        TrainConfig.from_preset("dream-texture", data="d", arch="dcgan")
    with pytest.raises(DreamganError, match="preset 'noise-dream' trains --arch dcgan, not pix2pix"):
        TrainConfig.from_preset(NOISE_PRESET, data="d", arch="pix2pix")


@pytest.mark.slow
def test_backbone_generator_trains_saves_small_checkpoints_and_samples(dataset, tmp_path, photo_uint8):
    report = train_gan(_cfg(dataset, tmp_path, generator="backbone", taps=("conv1",), ngf=8, steps=3))
    ckpt = load_gan_checkpoint(report.run_dir / "latest.pt")
    assert ckpt["config"]["generator"] == "backbone"
    assert sum(v.numel() for v in ckpt["g"].values()) < 200_000, "the frozen backbone must not be in the checkpoint"
    g, cfg, _ = load_generator(report.run_dir)
    with torch.no_grad():
        x = torch.rand(1, 3, 48, 48)
        assert g(x).shape == x.shape
    with pytest.raises(DreamganError, match="cannot resume .*generator"):
        train_gan(_cfg(dataset, tmp_path, steps=6), resume=report.run_dir)


def test_device_is_resolved_recorded_and_refused_clearly(dataset, tmp_path):
    from dreamgan.devices import resolve_device

    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(DreamganError, match="unknown device"):
        resolve_device("tpu9")
    if not torch.cuda.is_available():
        with pytest.raises(DreamganError, match="no CUDA device"):
            train_gan(_cfg(dataset, tmp_path, steps=1, device="cuda"))
    report = train_gan(_cfg(dataset, tmp_path, steps=1, device="auto"))
    config = json.loads((report.run_dir / "config.json").read_text())
    assert config["device"] == "auto" and config["device_resolved"] == str(resolve_device("auto"))


def test_precisions_autocast_only_where_asked_or_native_and_the_run_records_them(dataset, tmp_path):
    """--g-precision and --stats-precision: fp32 never autocasts, bf16 always, auto where the
    device has bf16 units; config.json records what the run used, and a run begun under auto resumes
    under auto only where auto resolves alike (each option on its own)."""
    from dreamgan.devices import autocast_dtype, bf16_is_native

    cpu = torch.device("cpu")
    assert autocast_dtype("fp32", cpu) is None and autocast_dtype("bf16", cpu) is torch.bfloat16
    assert autocast_dtype("auto", cpu) is (torch.bfloat16 if bf16_is_native(cpu) else None)
    with pytest.raises(ValueError, match="precision"):
        autocast_dtype("fp16", cpu)
    with pytest.raises(DreamganError, match="--g-precision must be one of"):
        TrainConfig.from_preset(None, data="d", g_precision="fp16")
    with pytest.raises(DreamganError, match="--stats-precision must be one of"):
        TrainConfig.from_preset(None, data="d", stats_precision="fp16")
    kw = dict(arch="dcgan", image_size=64, eval_fid=False, noise_g="texture", ngf=4, ndf=4, lambda_stats=1.0, stats_norm="energy",
              stats_layers=("conv1",))
    for precision in ("bf16", "auto"):
        report = train_gan(_cfg(dataset, tmp_path / precision, steps=2, eval_every=2, g_precision=precision, stats_precision=precision, **kw))
        assert all(math.isfinite(v) for v in report.last_losses.values()) and report.last_losses["loss_g_stats"] > 0
        config = json.loads((report.run_dir / "config.json").read_text())
        expected = "bf16" if autocast_dtype(precision, cpu) else "fp32"
        for name in ("g_precision", "stats_precision"):
            assert config[name] == precision and config[f"{name}_resolved"] == expected
    # a run begun under auto on a machine that resolved it otherwise: resuming under auto refuses, an explicit choice continues
    other = "fp32" if expected == "bf16" else "bf16"
    for step, name in enumerate(("g_precision", "stats_precision"), start=3):
        option = "--" + name.replace("_", "-")
        (report.run_dir / "config.json").write_text(json.dumps({**config, f"{name}_resolved": other}))
        auto = dict(g_precision="auto", stats_precision="auto", steps=step, eval_every=step, **kw)
        with pytest.raises(DreamganError, match=f"cannot resume .*trained in {other}.*{option} {other}"):
            train_gan(_cfg(dataset, tmp_path / "auto", **auto), resume=report.run_dir)
        assert train_gan(_cfg(dataset, tmp_path / "auto", **{**auto, name: other}), resume=report.run_dir).step == step
    # a run begun before --stats-precision existed trained its statistics term in float32
    legacy = {k: v for k, v in config.items() if k != "stats_precision_resolved"}
    (report.run_dir / "config.json").write_text(json.dumps(legacy))
    auto = dict(g_precision="auto", stats_precision="auto", steps=5, eval_every=5, **kw)
    if expected == "bf16":
        with pytest.raises(DreamganError, match="trained in fp32 \\(before --stats-precision existed\\)"):
            train_gan(_cfg(dataset, tmp_path / "auto", **auto), resume=report.run_dir)
    else:
        assert train_gan(_cfg(dataset, tmp_path / "auto", **auto), resume=report.run_dir).step == 5


@pytest.mark.slow
def test_noisy_dream_preset_trains_by_statistics_and_its_seed_picks_the_dream(dataset, tmp_path, photo_uint8):
    cfg = TrainConfig.from_preset("dream", data=str(dataset), out=str(tmp_path), steps=4, image_size=32, batch_size=2,
                                  ngf=8, depth=3, eval_every=2, eval_fid=False, lr=5e-2, crop_scale=(0.5, 2.0))
    assert cfg.noise > 0 and cfg.lambda_stats > 0 and cfg.lambda_gan == 0 and cfg.lambda_l1 == 0
    report = train_gan(cfg)
    assert {"loss_g_stats", "loss_g_lowpass"} <= set(report.last_losses) and "loss_d_real" not in report.last_losses
    assert all("stats_ratio" in e and "stats_ratio_effnet" in e for e in report.evals)
    photo = tmp_path / "photo.png"
    Image.fromarray(photo_uint8).save(photo)
    dreams = {}
    for seed in (0, 0, 1):
        out = tmp_path / f"fast{seed}-{len(dreams)}"
        written, _ = write_fast_dreams(report.run_dir, [photo], out, seed=seed)
        dreams.setdefault(seed, []).append(np.asarray(Image.open(written[0])))
    assert np.array_equal(dreams[0][0], dreams[0][1]), "same seed, same pixels"
    assert np.abs(dreams[0][0].astype(int) - dreams[1][0].astype(int)).mean() > 0.1, "another seed, another dream (an untrained head would give 0)"
    with pytest.raises(DreamganError, match="unknown preset"):
        TrainConfig.from_preset("nope", data=str(dataset))
    with pytest.raises(DreamganError, match="crop-scale"):
        TrainConfig.from_preset("dream", data=str(dataset), crop_scale=(2.0, 1.0))


@pytest.mark.slow
def test_the_dream_texture_preset_trains_an_averaged_photo_texture_generator_that_resumes_exactly(dataset, tmp_path, photo_uint8):
    """The noise recipe given the photo: the texture generator, the conditional EfficientNet-Lite0
    D with DiffAugment and the hinge loss, the photo-tagged statistics term and an EMA whose
    BatchNorm statistics come from photo crops. The checkpoint keeps the average; a cut run
    resumes to the same weights; the fast path dreams with the average and a seed picks the dream."""
    from dreamgan.models.checkpoint import generator_from_checkpoint
    from dreamgan.models.photo_texture import PhotoTextureGenerator

    kw = dict(data=str(dataset), steps=4, eval_every=2, eval_fid=False, image_size=32, batch_size=2, ngf=4, ndf=4, depth=3,
              d_size=64, stats_layers=("conv1",), g_precision="bf16")
    cfg = TrainConfig.from_preset("dream-texture", out=str(tmp_path / "a"), **kw)
    assert cfg.averages_g and cfg.augments_d and cfg.reads_effnet_d and cfg.stats_tag > 0
    assert not TrainConfig.from_preset("dream", data="d").averages_g, "the U-Net presets keep training without an average"
    full = train_gan(cfg)
    assert {"loss_g_gan", "loss_d_real", "loss_g_stats", "loss_g_lowpass"} <= set(full.last_losses)
    assert all(math.isfinite(v) for v in full.last_losses.values())

    def stop_at_3(step, losses):
        if step == 3:
            raise KeyboardInterrupt

    cut = train_gan(TrainConfig.from_preset("dream-texture", out=str(tmp_path / "b"), **kw), on_step=stop_at_3)
    resumed = train_gan(TrainConfig.from_preset("dream-texture", out=str(tmp_path / "b"), **kw), resume=cut.run_dir)
    a, b = load_gan_checkpoint(full.run_dir / "latest.pt"), load_gan_checkpoint(resumed.run_dir / "latest.pt")
    for part in ("g", "g_ema", "d"):
        for k in a[part]:
            assert torch.allclose(a[part][k].float(), b[part][k].float(), atol=1e-6), (part, k)
    assert a["g_ema_batchnorm"] == "own" and any(not torch.equal(a["g"][k], a["g_ema"][k]) for k in a["g"])
    g, loaded = generator_from_checkpoint(a)
    assert isinstance(g, PhotoTextureGenerator) and loaded.generator == "texture"
    assert all(torch.equal(v, a["g_ema"][k]) for k, v in g.state_dict().items()), "the fast path dreams with the average"
    photo = tmp_path / "photo.png"
    Image.fromarray(photo_uint8).save(photo)
    dreams = [np.asarray(Image.open(write_fast_dreams(full.run_dir, [photo], tmp_path / f"fast{s}", seed=s)[0][0])) for s in (0, 1)]
    assert dreams[0].shape == photo_uint8.shape and not np.array_equal(*dreams), "a seed picks the dream"


def test_multi_scale_crops_are_paired_and_sized(dataset):
    from dreamgan.data.pairs import PairedDreams

    pairs = PairedDreams(dataset, "train")
    a, b = pairs.batch(6, 24, torch.Generator().manual_seed(0), scale=(0.5, 2.0))
    assert a.shape == b.shape == (6, 3, 24, 24) and 0 <= float(a.min()) and float(a.max()) <= 1
    same_a, _ = pairs.batch(6, 24, torch.Generator().manual_seed(0), scale=(0.5, 2.0))
    assert torch.equal(a, same_a), "a seeded batch is reproducible (exact --resume)"
    plain, _ = pairs.batch(6, 24, torch.Generator().manual_seed(0))
    assert not torch.equal(a, plain)


def test_an_exported_generator_loads_alone_and_dreams_any_size(dataset, tmp_path, monkeypatch):
    from dreamgan.fast import load_pix2pix, write_bundled_generator
    from dreamgan.models import checkpoint

    report = train_gan(TrainConfig.from_preset("dream", data=str(dataset), out=str(tmp_path), steps=2, image_size=32,
                                               batch_size=2, ngf=8, depth=3, eval_every=2, eval_fid=False))
    path = write_bundled_generator(*load_pix2pix(report.run_dir), tmp_path / "w" / "fast_dream.pt", provenance={"note": "test"})
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    assert "d" not in ckpt and "opt_g" not in ckpt and ckpt["provenance"]["note"] == "test"
    monkeypatch.setattr(checkpoint, "BUNDLED_GENERATOR", path)
    g, cfg, _ = load_generator(None)
    with torch.no_grad():
        for size in ((299, 299), (45, 71)):
            x = torch.rand(1, 3, *size)
            assert g(x, torch.Generator().manual_seed(0)).shape == x.shape
    with pytest.raises(DreamganError, match="over the"):
        write_bundled_generator(*load_pix2pix(report.run_dir), tmp_path / "big.pt", max_bytes=1000)
    assert not (tmp_path / "big.pt").exists(), "a refused export leaves nothing behind"
    monkeypatch.setattr(checkpoint, "BUNDLED_GENERATOR", tmp_path / "missing.pt")
    with pytest.raises(DreamganError, match="no bundled generator.*release.toml"):
        load_generator(None)


def test_checkpoints_from_before_the_dream_preset_still_load(dataset, tmp_path):
    report = train_gan(_cfg(dataset, tmp_path, steps=1, eval_every=1))
    ckpt = torch.load(report.run_dir / "latest.pt", map_location="cpu", weights_only=True)
    new_keys = ("noise", "noise_levels", "lambda_stats", "stats_kind", "stats_layers", "stats_projections", "stats_norm",
                "lambda_lowpass", "crop_scale")
    ckpt["config"] = {k: v for k, v in ckpt["config"].items() if k not in new_keys}  # as an older dreamgan wrote it
    old = tmp_path / "old.pt"
    torch.save(ckpt, old)
    g, cfg, _ = load_generator(old)
    assert cfg.noise == 0 and cfg.lambda_stats == 0
    x = torch.rand(1, 3, 40, 40)
    with torch.no_grad():
        assert torch.equal(g(x), load_generator(report.run_dir / "latest.pt")[0](x))
    torch.save({"format": "something-else/9", "g": {}}, tmp_path / "foreign.pt")
    with pytest.raises(DreamganError, match="not a dreamgan GAN checkpoint"):
        load_generator(tmp_path / "foreign.pt")


def test_best_checkpoint_rule_reads_the_paired_metrics_else_kid():
    from dreamgan.training.evals import is_better

    assert is_better({"stats_ratio": 1.0}, {})
    assert is_better({"stats_ratio": 1.0, "fid": 300.0}, {"stats_ratio": 1.2, "fid": 200.0})
    # a noise → dream run: KID decides, not FID at 64 crops
    assert is_better({"fid": 276.1, "kid_mean": 0.084}, {"fid": 270.9, "kid_mean": 0.103})
    assert not is_better({"fid": 260.0, "kid_mean": 0.11}, {"fid": 270.9, "kid_mean": 0.103})
    assert is_better({"fid": 260.0}, {"fid": 270.0})  # an eval without KID falls back to FID
    assert not is_better({"n": 64}, {"step": 400, "n": 64})  # nothing measured: the first stays
    # with the photos' KID known, the worse of the two networks' ratios decides, not Inception's KID alone
    assert is_better({"kid_mean": 0.09, "kid_ratio": 0.9}, {"kid_mean": 0.08, "kid_ratio": 1.3})


def test_kid_ratio_is_the_worse_networks_kid_over_the_photos():
    from dreamgan.training.evals import kid_ratio

    photos = {"kid_mean": 0.14, "kid_effnet_mean": 0.11}
    assert kid_ratio({"kid_mean": 0.07, "kid_effnet_mean": 0.154}, photos) == pytest.approx(1.4)  # EfficientNet is the worse
    assert kid_ratio({"kid_mean": 0.084, "kid_effnet_mean": 0.055}, photos) == pytest.approx(0.6)  # Inception is


@pytest.mark.slow
def test_a_dcgan_run_scores_the_photos_once_and_keeps_the_step_nearest_the_true_dreams_on_both_networks(dataset, tmp_path, monkeypatch):
    from dreamgan.training.evals import kid_ratio

    # KID and FID on 8 crops: the plumbing, not the numbers
    cfg = _cfg(dataset, tmp_path, arch="dcgan", image_size=64, steps=4, eval_every=1, eval_fid=True, eval_crops=8)
    run = train_gan(cfg).run_dir
    rows = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    photos = [r for r in rows if r.get("reference") == "identity"]
    assert len(photos) == 1 and photos[0]["step"] == 0 and photos[0]["n"] == 8
    evals_ = [r for r in rows if r.get("eval") == "val"]
    assert [r["step"] for r in evals_] == [1, 2, 3, 4]
    assert all(r["kid_ratio"] == pytest.approx(kid_ratio(r, photos[0])) for r in evals_)
    best = min(evals_, key=lambda r: r["kid_ratio"])
    assert load_gan_checkpoint(run / "best.pt")["step"] == best["step"]
    train_gan(TrainConfig(**{**vars(cfg), "steps": 5}), resume=run)  # a resumed run does not score the photos again
    rows = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    assert sum(r.get("reference") == "identity" for r in rows) == 1 and "kid_ratio" in rows[-1]


@pytest.mark.parametrize("option, value, message", [
    ("lr", -1.0, "--lr must be in"), ("lr", float("nan"), "--lr must be a finite number"),
    ("crop_scale", (1.0, float("inf")), "--crop-scale must be a finite number"),
    ("stats_scale", float("inf"), "--stats-scale must be a finite number"), ("z_dim", 0, "--z-dim must be 1 to 1024"),
    ("lambda_stats", float("nan"), "--lambda-stats must be a finite number"),
    ("lambda_stats", float("inf"), "--lambda-stats must be a finite number"), ("stats_tag", float("inf"), "--stats-tag must be a finite"),
    ("eval_crops", 1_000_000, "--eval-crops must be 2 to 4096"), ("batch_size", 100_000, "--batch-size must be 1 to 1024"),
    ("d_size", 100_000, "--d-size must be 32 to 1024"), ("ngf", 1_000_000, "--ngf must be 1 to 512"),
    ("ngf", 0, "--ngf must be 1 to 512"), ("stats_projections", 100_000_000, "--stats-projections must be 1 to 4096"),
    ("seed", 2 ** 64, "--seed must be 0 to"), ("g_octaves", 3, "--g-octaves is for --arch pix2pix"),
    ("d_input", "dream", "--d-input is for --arch pix2pix"), ("generator", "backbone", "--generator is for --arch pix2pix"),
])
def test_values_a_run_cannot_use_are_refused_when_the_config_is_made(option, value, message):
    """A NaN, an infinity or a size no machine can allocate fails in one line naming the option
    and its range before any data is read, not as a traceback minutes into a run."""
    with pytest.raises(DreamganError, match=message):
        TrainConfig.from_preset(None, data="d", arch="dcgan", **{option: value})


@pytest.mark.slow
def test_a_resumed_run_keeps_its_settings_refuses_meaning_changes_and_logs_safe_ones(dataset, tmp_path, capsys):
    """`train --resume` with only --steps continues with the run's own batch, crops and eval
    cadence (not the CLI's defaults); an option that changes the run's meaning is refused in one
    line before anything is written; --steps and --eval-every are applied and logged; a run with
    nothing left to train writes nothing, so its record (config.json) stays as it trained."""
    from dreamgan.cli import main

    out = tmp_path / "runs"
    base = ["train", "--data", str(dataset), "--out", str(out), "--preset", "legacy-aligned", "--image-size", "32", "--batch-size", "2",
            "--ngf", "8", "--depth", "3", "--ndf", "8", "--eval-every", "2", "--no-fid", "--lambda-feat", "1"]
    main([*base, "--steps", "2"])
    run = next(out.glob("*-pix2pix-tiny"))
    first = json.loads((run / "config.json").read_text())
    main(["train", "--data", str(dataset), "--out", str(out), "--resume", "--steps", "4"])
    config = json.loads((run / "config.json").read_text())
    assert (config["batch_size"], config["eval_every"], config["lambda_feat"], config["ngf"], config["steps"]) == (2, 2, 1.0, 8, 4)
    assert {k: v for k, v in config.items() if k != "steps"} == {k: v for k, v in first.items() if k != "steps"}
    logged = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    assert {"step": 2, "resumed_with": {"steps": ["2", "4"]}} in logged
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    for args, option in ((["--batch-size", "8"], "--batch-size 2 .* 8"), (["--lambda-l1", "3"], "--lambda-l1 10.0 .* 3.0"),
                         (["--preset", "dream"], "cannot resume .*ngf is 8")):
        with pytest.raises(SystemExit) as stop:
            main(["train", "--data", str(dataset), "--out", str(out), "--resume", "--steps", "6", *args])
        err = capsys.readouterr().err
        assert stop.value.code == 1 and len(err.strip().splitlines()) == 1 and __import__("re").search(option, err), err
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before, "a refused resume writes nothing"
    main(["train", "--data", str(dataset), "--out", str(out), "--resume", "--steps", "4", "--eval-every", "3"])  # nothing left
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before, "nothing left to train: nothing written"


def test_the_backbone_generator_runs_with_its_own_defaults():
    """--generator backbone takes no noise: the preset's noise channels are not asked of it, so
    it is not refused for an option nobody gave; an explicit --noise still is."""
    assert TrainConfig.from_preset(None, data="d", generator="backbone").noise == 0
    with pytest.raises(DreamganError, match="--noise needs the unet"):
        TrainConfig.from_preset(None, data="d", generator="backbone", noise=2)


def test_evaluate_crops_are_bounded_before_anything_is_read(tmp_path):
    from dreamgan.metrics.report import MAX_CROPS, evaluate_dcgan

    for crops in (1, 100_000_000):
        with pytest.raises(DreamganError, match=f"--crops must be 2 to {MAX_CROPS}"):
            evaluate_dcgan(tmp_path / "no-such-run", crops=crops)
