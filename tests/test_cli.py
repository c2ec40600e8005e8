"""CLI: options reach the library unchanged, errors are one line with a non-zero exit."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from dreamgan.cli import app, main
from dreamgan.cli import dream as dream_cli
from dreamgan.dream import DreamConfig
from dreamgan.dream.files import RECIPE_KEY
from dreamgan.errors import DreamganError
from dreamgan.images import read_png_text

runner = CliRunner()


@pytest.fixture
def photo_file(tmp_path, photo_uint8):
    p = tmp_path / "cat.png"
    Image.fromarray(photo_uint8).save(p)
    return p


def _capture(monkeypatch):
    calls = {}

    def fake(paths, out, config, overlay, skip_existing=False):
        calls.update(paths=paths, out=out, config=config, overlay=overlay)
        from dreamgan.dream.files import DreamFilesReport

        return DreamFilesReport(written=list(paths))

    monkeypatch.setattr(dream_cli, "run_dream_files", fake)
    return calls


def test_dream_options_reach_the_config(monkeypatch, photo_file, tmp_path):
    calls = _capture(monkeypatch)
    args = ["dream", str(photo_file), "-o", str(tmp_path / "o"), "--layers", "mixed_3,mixed_5:0.5", "--octaves", "3",
            "--octave-scale", "1.5", "--steps", "7", "--step-size", "0.02", "--jitter", "16", "--tile", "256",
            "--channels", "1,2", "--tv", "0.1", "--blur", "0.5", "--seed", "9", "--precision", "bf16",
            "--reduction", "mean", "--step-norm", "mean_abs", "--overlay", "0.4", "--channels-last"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    cfg = calls["config"]
    assert cfg == DreamConfig(layers=("mixed_3", "mixed_5"), layer_weights=(1.0, 0.5), octaves=3, octave_scale=1.5,
                              steps=7, step_size=0.02, jitter=16, tile=256, channels=(1, 2), tv=0.1, blur=0.5, seed=9,
                              precision="bf16", reduction="mean", step_norm="mean_abs", channels_last=True)
    assert calls["overlay"] == 0.4 and calls["paths"] == [photo_file]


def test_targeted_options_and_presets(monkeypatch, photo_file, tmp_path):
    calls = _capture(monkeypatch)
    out = str(tmp_path / "o")
    assert runner.invoke(app, ["dream", str(photo_file), "-o", out, "--preset", "deep", "--steps", "2"]).exit_code == 0
    assert calls["config"].layers == ("mixed_7",) and calls["config"].steps == 2
    assert runner.invoke(app, ["dream", str(photo_file), "-o", out, "--top-k", "4", "--least"]).exit_code == 0
    assert calls["config"].top_k == 4 and calls["config"].top_k_mode == "least"
    r = runner.invoke(app, ["dream", str(photo_file), "-o", out, "--backbone", "efficientnet-lite0", "--class", "tabby",
                            "--guide", str(photo_file), "--guide-mode", "dot", "--neuron", "3,1,2"])
    assert r.exit_code == 0, r.output
    cfg = calls["config"]
    assert (cfg.backbone, cfg.class_target, cfg.guide, cfg.guide_mode, cfg.neuron) == (
        "efficientnet-lite0", "tabby", str(photo_file), "dot", (3, 1, 2))


def _run_main(args, capsys):
    """(exit code, captured output) of the real entry point: 0 when it returns normally."""
    try:
        main(args)
    except SystemExit as e:
        return e.code, capsys.readouterr()
    return 0, capsys.readouterr()


def test_user_errors_are_one_line_and_non_zero(photo_file, tmp_path, capsys):
    code, cap = _run_main(["dream", str(photo_file), "-o", str(tmp_path / "o"), "--layers", "mixed33"], capsys)
    assert code == 1
    lines = [l for l in cap.err.strip().splitlines() if l.startswith("error")]
    assert len(lines) == 1 and "valid layers: conv" in lines[0] and "Traceback" not in cap.err
    code, cap = _run_main(["dream", str(photo_file), "--backbone", "alexnet"], capsys)
    assert code == 1 and "valid backbones" in cap.err
    code, cap = _run_main(["dream", str(photo_file), "--octave-scale", "0.5"], capsys)
    assert code == 1 and "octave scale" in cap.err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, cap = _run_main(["dream", str(photo_file), "-o", str(blocker)], capsys)
    assert code == 1 and "not a directory" in cap.err


def test_real_dream_writes_png_with_recipe_and_survives_a_bad_file(photo_file, tmp_path, capsys):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff garbage")
    out = tmp_path / "dreams"
    code, cap = _run_main(["dream", str(bad), str(photo_file), "-o", str(out), "--octaves", "1", "--steps", "2",
                           "--layers", "mixed_1", "--overlay", "0.5", "--seed", "1"], capsys)
    assert code == 1, "a failed file must give a non-zero exit"
    assert "broken.jpg" in cap.err and "1 dream(s) written" in cap.out
    dream_png = out / "cat.png"
    assert dream_png.is_file() and (out / "cat.overlay.png").is_file()
    recipe = json.loads(read_png_text(dream_png)[RECIPE_KEY])
    assert recipe["config"]["layers"] == ["mixed_1"] and recipe["config"]["seed"] == 1
    assert DreamConfig.from_dict(recipe["config"]).steps == 2
    img = np.asarray(Image.open(dream_png))
    assert img.shape == (64, 64, 3)
    assert not any(p.name.endswith(".tmp") for p in out.iterdir())


QUICK = ["--octaves", "1", "--steps", "2", "--layers", "mixed_1"]


def test_dream_skip_existing_continues_a_folder_and_checks_the_recipe(photo_file, photo_uint8, tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        Image.fromarray(np.roll(photo_uint8, 9 * i, axis=1)).save(photos / f"p{i}.png")
    out = tmp_path / "dreams"
    code, cap = _run_main(["dream", str(photos), "-o", str(out), *QUICK], capsys)
    assert code == 0 and "3 dream(s) written" in cap.out
    (out / "p1.png").unlink()  # as if interrupted before p1
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    code, cap = _run_main(["dream", str(photos), "-o", str(out), *QUICK, "--skip-existing"], capsys)
    assert code == 0 and "skipping 2 existing output(s)" in cap.out + cap.err and "1 dream(s) written" in cap.out
    assert all((out / n).stat().st_mtime_ns == t for n, t in before.items()), "kept outputs are not rewritten"
    code, cap = _run_main(["dream", str(photos), "-o", str(out), "--octaves", "1", "--steps", "3", "--layers", "mixed_1",
                           "--skip-existing"], capsys)
    assert code == 1 and "was dreamed with another recipe" in cap.err and "Traceback" not in cap.err


def test_a_full_disk_during_dream_is_one_line_and_keeps_what_was_written(photo_file, photo_uint8, tmp_path, capsys, monkeypatch):
    import errno

    import dreamgan.dream.files as files

    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(3):
        Image.fromarray(np.roll(photo_uint8, 9 * i, axis=0)).save(photos / f"p{i}.png")
    real_save, calls = files.save_png, []

    def save_until_full(path, *a, **k):
        calls.append(path)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(path, *a, **k)

    monkeypatch.setattr(files, "save_png", save_until_full)
    out = tmp_path / "dreams"
    code, cap = _run_main(["dream", str(photos), "-o", str(out), *QUICK], capsys)
    errors = [l for l in cap.err.splitlines() if l.startswith("error")]
    assert code == 1 and len(errors) == 1 and "Traceback" not in cap.err
    assert f"cannot write to {out}: No space left on device; stopped after 1 new dream(s)" in errors[0]
    assert "--skip-existing" in errors[0]
    assert sorted(p.name for p in out.iterdir()) == ["p0.png"], "no torn or temporary file is left"


def test_listing_commands(capsys):
    assert runner.invoke(app, ["backbones"]).exit_code == 0
    r = runner.invoke(app, ["layers", "inception-v3-tf"])
    assert r.exit_code == 0 and "mixed_10" in r.output and "768" in r.output
    r = runner.invoke(app, ["classes", "efficientnet-lite0"])
    assert r.exit_code == 0 and "285\tEgyptian cat" in r.output
    code, cap = _run_main(["classes", "inception-v3-tf"], capsys)
    assert code == 1 and "no class logits" in cap.err


def test_samples_and_version(tmp_path):
    r = runner.invoke(app, ["photos", "-o", str(tmp_path), "chelsea", "coffee"])
    assert r.exit_code == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["chelsea.png", "coffee.png"]
    assert runner.invoke(app, ["photos", "-o", str(tmp_path), "nope"]).exit_code != 0
    out = subprocess.run([sys.executable, "-m", "dreamgan", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("dreamgan ")


def test_textures_without_a_bundled_texture_generator_say_how_to_get_one(monkeypatch, tmp_path, capsys):
    """`dreamgan textures` with no -c uses the bundled texture generator; an install without one
    gets one line naming the pipeline that makes it, and nothing is written; bad sizes and seeds
    fail before any weights are read."""
    monkeypatch.setattr("dreamgan.models.checkpoint.BUNDLED_TEXTURES", tmp_path / "absent.pt")
    for args, words in ((["-o", str(tmp_path / "t")], "pipelines/textures.toml"), (["--size", "7x7"], "--size"),
                        (["--seed", "-3"], "--seed")):
        with pytest.raises(SystemExit) as stop:
            main(["textures", *args])
        err = capsys.readouterr().err
        assert stop.value.code == 1 and words in err and len(err.strip().splitlines()) == 1, (args, err)
    assert not (tmp_path / "t").exists()


def test_make_dataset_options_reach_the_library(monkeypatch, tmp_path):
    import dreamgan.data.dataset as ds

    seen = {}

    def fake(out, **kw):
        seen.update(out=out, **kw)
        return ds.DatasetReport(out, {"train": 1, "val": 0, "test": 0})

    monkeypatch.setattr(ds, "make_dataset", fake)
    r = runner.invoke(app, ["make-dataset", "-o", str(tmp_path / "d"), "--source", str(tmp_path), "--count", "30",
                            "--size", "128", "--layers", "mixed_4", "--steps", "3", "--val", "0.2", "--test", "0.1",
                            "--seed", "7", "--batch", "4", "--force"])
    assert r.exit_code == 0, r.output
    assert (seen["count"], seen["size"], seen["val"], seen["test"], seen["seed"], seen["batch"], seen["force"]) == (
        30, 128, 0.2, 0.1, 7, 4, True)
    assert seen["recipe"] == DreamConfig(layers=("mixed_4",), steps=3, seed=7) and seen["source"] == tmp_path
    recipe = tmp_path / "r.toml"
    recipe.write_text('[dream]\nlayers = ["mixed_7"]\nsteps = 2\n')
    r = runner.invoke(app, ["make-dataset", "-o", str(tmp_path / "d"), "--recipe", str(recipe)])
    assert r.exit_code == 0, r.output
    assert seen["recipe"] == DreamConfig(layers=("mixed_7",), steps=2) and seen["source"] is None


def test_dataset_info_on_a_non_dataset_is_one_line(tmp_path, capsys):
    code, cap = _run_main(["dataset-info", str(tmp_path)], capsys)
    assert code == 1 and "not a dreamgan dataset" in cap.err


def test_train_classifier_options_reach_the_library(monkeypatch, tmp_path):
    import dreamgan.training.classifier as clf

    seen = {}

    def fake(cfg, resume=False, **kw):
        seen.update(cfg=cfg, resume=resume)
        return clf.ClassifierReport(tmp_path / "run", ["a", "b"], 0.9, [], [])

    monkeypatch.setattr(clf, "train_classifier", fake)
    r = runner.invoke(app, ["train-classifier", "--data", str(tmp_path), "--arch", "resnet34", "--init", "imagenet",
                            "--color-jitter", "--epochs", "3", "--lr", "0.01", "--batch-size", "4", "--val", "0.3",
                            "--image-size", "128", "--resume"])
    assert r.exit_code == 0, r.output
    cfg = seen["cfg"]
    assert (cfg.arch, cfg.init, cfg.color_jitter, cfg.epochs, cfg.lr, cfg.batch_size, cfg.val, cfg.image_size) == (
        "resnet34", "imagenet", True, 3, 0.01, 4, 0.3, 128)
    assert seen["resume"] is True and "best val accuracy 0.900" in r.output


def test_fid_command_passes_folders_and_prints_json(monkeypatch, tmp_path):
    import dreamgan.metrics as m

    seen = {}

    def fake(a, b, extractor, batch_size):
        seen.update(a=a, b=b, extractor=extractor, batch_size=batch_size)
        return {m.KEY_FID: 1.5, m.KEY_KID_MEAN: 0.01, m.KEY_KID_STD: 0.002, m.KEY_N: [3, 4], m.KEY_KID_SUBSET: 3, "extractor": extractor}

    monkeypatch.setattr(m, "fid_kid", fake)
    r = runner.invoke(app, ["fid", str(tmp_path / "x"), str(tmp_path / "y"), "--json", "--extractor", "efficientnet", "--batch-size", "8"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["fid"] == 1.5 and seen["extractor"] == m.EFFICIENTNET and seen["batch_size"] == 8
    r = runner.invoke(app, ["fid", str(tmp_path / "x"), str(tmp_path / "y")])
    assert "FID 1.500 (N = 3 vs 4)" in r.output


def test_train_options_reach_the_library(monkeypatch, tmp_path):
    import dreamgan.training.gan as gan

    seen = {}

    def fake(cfg, resume=False, **kw):
        seen.update(cfg=cfg, resume=resume)
        return gan.TrainReport(tmp_path / "run", cfg.steps, {}, [])

    monkeypatch.setattr(gan, "train_gan", fake)
    r = runner.invoke(app, ["train", "--data", str(tmp_path), "--steps", "50", "--image-size", "256", "--batch-size", "3",
                            "--gan-mode", "hinge", "--lambda-l1", "10", "--lambda-feat", "2", "--eval-every", "25",
                            "--no-fid", "--seed", "4", "--preset", "legacy-aligned", "--device", "cpu", "--unshuffle", "2",
                            "--ngf", "64", "--ndf", "32", "--depth", "6",
                            "--lambda-obj", "5", "--no-obj-transforms", "--lambda-tv", "3"])
    assert r.exit_code == 0, r.output
    cfg = seen["cfg"]
    assert cfg.device == "cpu" and cfg.unshuffle == 2 and cfg.ndf == 32
    assert (cfg.lambda_obj, cfg.obj_transforms, cfg.lambda_tv) == (5.0, False, 3.0)
    assert (cfg.steps, cfg.image_size, cfg.batch_size, cfg.gan_mode, cfg.lambda_l1, cfg.lambda_feat, cfg.eval_every,
            cfg.eval_fid, cfg.seed, cfg.ngf, cfg.depth) == (50, 256, 3, "hinge", 10.0, 2.0, 25, False, 4, 64, 6)
    assert seen["resume"] is False
    # --resume: the run's own config, with only the options given on top, and the run it found
    asked = {}
    monkeypatch.setattr(gan, "resume_config", lambda data, **kw: (asked.update(kw) or cfg, tmp_path / "00001-pix2pix-x"))
    r = runner.invoke(app, ["train", "--data", str(tmp_path), "--resume", "--steps", "80"])
    assert r.exit_code == 0 and seen["resume"] == tmp_path / "00001-pix2pix-x", r.output
    assert asked["steps"] == 80 and asked["run"] is None and all(v is None for k, v in asked.items() if k not in ("steps", "out", "arch", "run"))
    r = runner.invoke(app, ["train", "--data", str(tmp_path), "--resume", "--preset", "dream", "--steps", "90"])
    assert r.exit_code == 0 and seen["resume"] is True and seen["cfg"].steps == 90, "a restated command: train_gan compares it with the run"
    # the default preset draws dreams: noise, the statistics loss, no aligned losses; its options reach the config
    r = runner.invoke(app, ["train", "--data", str(tmp_path), "--stats-layers", "conv_2,mixed_3", "--stats-kind", "gram",
                            "--stats-projections", "32", "--stats-norm", "photo", "--crop-scale", "0.5,2", "--noise", "2",
                            "--lambda-lowpass", "3"])
    assert r.exit_code == 0, r.output
    cfg = seen["cfg"]
    assert (cfg.noise, cfg.lambda_stats, cfg.lambda_l1, cfg.lambda_feat, cfg.lambda_gan) == (2, 100.0, 0.0, 0.0, 0.0)
    assert (cfg.stats_layers, cfg.stats_kind, cfg.stats_projections, cfg.stats_norm, cfg.crop_scale, cfg.lambda_lowpass) == \
        (("conv_2", "mixed_3"), "gram", 32, "photo", (0.5, 2.0), 3.0)
    for bad, message in ((["--crop-scale", "2"], "--crop-scale must be LO,HI"), (["--stats-norm", "x"], "stats-norm"), (["--preset", "x"], "unknown preset")):
        r = runner.invoke(app, ["train", "--data", str(tmp_path), *bad])
        assert isinstance(r.exception, DreamganError) and message in str(r.exception), r.output
    # the dcgan phase options
    r = runner.invoke(app, ["train", "--data", str(tmp_path), "--arch", "dcgan", "--noise-g", "spatial", "--d-roll", "16", "--g-jitter"])
    assert r.exit_code == 0, r.output
    assert (seen["cfg"].d_roll, seen["cfg"].g_jitter) == (16, True)
    r = runner.invoke(app, ["train", "--data", str(tmp_path), "--arch", "dcgan", "--d-size", "112", "--eval-crops", "128"])
    assert r.exit_code == 0 and (seen["cfg"].d_size, seen["cfg"].eval_crops) == (112, 128), r.output
    r = runner.invoke(app, ["train", "--data", str(tmp_path), "--arch", "dcgan", "--eval-crops", "1"])
    assert isinstance(r.exception, DreamganError) and "--eval-crops" in str(r.exception), r.output
    for bad in (["--arch", "dcgan", "--d-size", "16"], ["--arch", "dcgan", "--noise-d", "patch", "--d-size", "96"]):
        r = runner.invoke(app, ["train", "--data", str(tmp_path), *bad])
        assert isinstance(r.exception, DreamganError) and "--d-size" in str(r.exception), r.output
    r = runner.invoke(app, ["train", "--data", str(tmp_path), "--arch", "dcgan", "--g-jitter"])  # the recipe's texture G has no jitter
    assert isinstance(r.exception, DreamganError) and "--g-jitter" in str(r.exception) and "spatial" in str(r.exception), r.output


def test_pipeline_and_evaluate_commands_pass_their_arguments(monkeypatch, tmp_path):
    import dreamgan.metrics.report as ev
    import dreamgan.pipeline as pl

    seen = {}
    monkeypatch.setattr(pl, "run_pipeline", lambda file, start, dry_run, echo, hooks=None:
                        seen.update(file=file, start=start, dry_run=dry_run, hooks=hooks))
    r = runner.invoke(app, ["pipeline", "run", str(tmp_path / "p.toml"), "--from", "evaluate", "--dry-run"])
    assert r.exit_code == 0, r.output
    assert seen == {"file": tmp_path / "p.toml", "start": "evaluate", "dry_run": True, "hooks": None}
    # a real run gets progress hooks for every long stage, and they drive the bars
    r = runner.invoke(app, ["pipeline", "run", str(Path(__file__).resolve().parents[1] / "pipelines" / "smoke.toml")])
    assert r.exit_code == 0, r.output
    hooks = seen["hooks"]
    assert set(hooks) == {"dataset", "train", "stage"} and seen["dry_run"] is False
    # each hook makes the callbacks its library call takes (their display: test_progress.py)
    assert set(hooks["dataset"]()) == {"on_plan", "on_pair"}
    assert set(hooks["train"](20)) == {"on_step", "on_eval", "on_resume", "on_plan", "on_changed"}

    def fake_eval(run, split, data, fid, jitter_floor, refine, crops):
        seen.update(run=run, split=split, fid=fid, jitter_floor=jitter_floor, refine=refine, crops=crops)
        return {"split": split, "n": 1, "checkpoint": str(run), "rows": {"generator": {"l1": 0.5}}, "sheet": "s.png"}

    monkeypatch.setattr(ev, "evaluate_run", fake_eval)
    r = runner.invoke(app, ["evaluate", str(tmp_path), "--split", "val", "--no-fid", "--no-jitter-floor", "--refine", "1,3", "--crops", "48"])
    assert r.exit_code == 0, r.output
    assert (seen["split"], seen["fid"], seen["jitter_floor"], seen["refine"], seen["crops"]) == ("val", False, False, (1, 3), 48)
    assert "generator" in r.output


def test_serve_passes_its_options_and_warns_off_loopback(monkeypatch, tmp_path):
    from dreamgan.studio import server

    calls = []
    def fake(checkpoint, host, port, announce, onnx=None, max_queue=8, runtime="auto", textures=None):
        calls.append((checkpoint, host, port) + ((onnx,) if onnx else ()) + ((max_queue,) if max_queue != 8 else ())
                     + ((runtime,) if runtime != "auto" else ()) + ((textures,) if textures else ()))
        announce("http://x")

    monkeypatch.setattr(server, "run_server", fake)
    from dreamgan.fast.bundled import BUNDLED_GENERATOR

    result = runner.invoke(app, ["serve"])
    assert BUNDLED_GENERATOR.is_file(), "the bundled generator ships with the package"
    assert result.exit_code == 0 and calls[-1] == (str(BUNDLED_GENERATOR), "127.0.0.1", 7860), "fast dreams without --checkpoint"
    assert "warning" not in result.output and "dreamgan studio on http://x" in result.output
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--port", "9000", "--checkpoint", str(tmp_path / "run")])
    assert calls[-1] == (str(tmp_path / "run"), "0.0.0.0", 9000)
    assert "warning: listening on 0.0.0.0" in result.output
    result = runner.invoke(app, ["serve", "--onnx", str(tmp_path / "g.onnx")])
    assert result.exit_code == 0 and calls[-1] == (None, "127.0.0.1", 7860, str(tmp_path / "g.onnx")), "ONNX instead of the bundled .pt"
    result = runner.invoke(app, ["serve", "--max-queue", "3"])
    assert result.exit_code == 0 and calls[-1][-1] == 3, "--max-queue reaches the server"
    result = runner.invoke(app, ["serve", "--runtime", "torch"])
    assert result.exit_code == 0 and calls[-1][-1] == "torch", "--runtime reaches the server (auto: ONNX Runtime by default)"
    result = runner.invoke(app, ["serve", "--runtime", "bogus"])
    assert result.exit_code != 0 and "--runtime must be one of" in str(result.exception)
    result = runner.invoke(app, ["serve", "--textures", str(tmp_path / "noise-run")])
    assert result.exit_code == 0 and calls[-1][-1] == str(tmp_path / "noise-run"), "--textures reaches the server"


def test_serve_errors_are_one_line(tmp_path, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, cap = _run_main(["serve", "--port", str(port)], capsys)
    assert code == 1 and f"cannot listen on 127.0.0.1:{port}" in cap.err and "Traceback" not in cap.err
    code, cap = _run_main(["serve", "--port", "0", "--checkpoint", str(tmp_path / "missing")], capsys)
    assert code == 1 and "--port must be in 1..65535" in cap.err
    code, cap = _run_main(["serve", "--port", "1", "--host", "256.1.1.1"], capsys)
    assert code == 1 and "cannot listen on 256.1.1.1:1" in cap.err
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    code, cap = _run_main(["serve", "--port", str(free), "--checkpoint", str(tmp_path / "missing")], capsys)
    assert code == 1 and "no checkpoint at" in cap.err, "a bad checkpoint fails before the server starts"


def _sigterm_self() -> None:
    """Send this process SIGTERM; `main`'s handler raises KeyboardInterrupt at the next bytecode."""
    import os
    import signal

    os.kill(os.getpid(), signal.SIGTERM)
    signal.sigtimedwait([], 0.1) if hasattr(signal, "sigtimedwait") else None


def _run_train_with(monkeypatch, fake, tmp_path, capsys):
    """`dreamgan train` through the real entry point with `train_gan` replaced by `fake`; the
    SIGTERM handler `main` installs is put back afterwards."""
    import signal

    import dreamgan.training.gan as gan

    monkeypatch.setattr(gan, "train_gan", fake)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        return _run_main(["train", "--data", str(tmp_path)], capsys)
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_kill_stops_a_training_run_like_ctrl_c(monkeypatch, tmp_path, capsys):
    """SIGTERM (what `kill` and schedulers send; background jobs ignore SIGINT) reaches the job
    as KeyboardInterrupt, so a training run saves latest.pt and the command exits 130."""
    import dreamgan.training.gan as gan

    seen = {}

    def fake(cfg, resume=False, **kw):
        try:
            _sigterm_self()
        except KeyboardInterrupt:  # train_gan's own handler: save latest.pt, report the step
            seen["saved"] = True
            return gan.TrainReport(tmp_path / "run", 3, {}, [], interrupted=True)
        return gan.TrainReport(tmp_path / "run", cfg.steps, {}, [])

    code, cap = _run_train_with(monkeypatch, fake, tmp_path, capsys)
    assert code == 130 and seen == {"saved": True} and "interrupted at step 3" in cap.err


def test_a_kill_that_lands_while_an_error_is_on_its_way_out_reports_the_error(monkeypatch, tmp_path, capsys):
    """torchrun's agent SIGTERMs the survivors of a killed worker: when that lands while the
    survivor's own one-line error is still unwinding, the error is what the user reads."""

    def fake(cfg, resume=False, **kw):
        try:
            raise DreamganError("rank 1 of this torchrun job is gone (killed or crashed)")
        finally:
            _sigterm_self()

    code, cap = _run_train_with(monkeypatch, fake, tmp_path, capsys)
    assert code == 1 and "interrupted" not in cap.err
    assert [l for l in cap.err.splitlines() if l.strip()] == ["error: rank 1 of this torchrun job is gone (killed or crashed)"]
    # an interrupt with no error under it says so, whatever the Typer version does with it
    def ctrl_c(cfg, **kw):
        raise KeyboardInterrupt

    code, cap = _run_train_with(monkeypatch, ctrl_c, tmp_path, capsys)
    assert code == 130 and "interrupted; rerun the same command to continue" in cap.err


def test_a_kill_that_lands_while_main_writes_the_error_line_changes_nothing(monkeypatch, tmp_path, capsys):
    """The same race one step later: torchrun's SIGTERM lands after `main` caught the error, while
    it writes the line (rank 0's progress bar takes a moment to close, so the two often meet). The
    error is still the one line, exit 1; no KeyboardInterrupt traceback. A kill that lands while a
    caught error is handled and the job goes on is only put off: it still stops the job."""
    import typer

    real_secho, calls = typer.secho, []

    def secho(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            _sigterm_self()  # the handler runs at the next bytecode: inside the reporting
        return real_secho(*args, **kwargs)

    def fake(cfg, resume=False, **kw):
        raise DreamganError("rank 1 of this torchrun job is gone (killed or crashed)")

    monkeypatch.setattr(typer, "secho", secho)
    code, cap = _run_train_with(monkeypatch, fake, tmp_path, capsys)
    assert code == 1 and [l for l in cap.err.splitlines() if l.strip()] == ["error: rank 1 of this torchrun job is gone (killed or crashed)"]
    monkeypatch.setattr(typer, "secho", real_secho)

    def goes_on(cfg, resume=False, **kw):
        import time

        try:
            raise DreamganError("one bad photo, skipped")
        except DreamganError:
            _sigterm_self()  # lands while the error is handled: put off, not lost
        try:
            time.sleep(5)  # the job goes on; the kill arrives
        except KeyboardInterrupt:
            import dreamgan.training.gan as gan

            return gan.TrainReport(tmp_path / "run", 3, {}, [], interrupted=True)
        raise AssertionError("the kill was lost")

    code, cap = _run_train_with(monkeypatch, goes_on, tmp_path, capsys)
    assert code == 130 and "interrupted at step 3" in cap.err


class _RunsCode:
    """Unpickling this would create a marker file: what a malicious checkpoint would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.mark.slow
def test_a_checkpoint_that_would_run_code_is_refused_in_one_voice(tmp_path, capsys, photo_file):
    import torch

    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"format": "x", "payload": _RunsCode(marker)}, evil)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(evil.read_bytes()[:100])
    commands = [["sample", str(photo_file), "-c", str(evil), "-o", str(tmp_path / "o")],
                ["dream", str(photo_file), "--backbone", str(evil), "-o", str(tmp_path / "o")],
                ["layers", str(evil)],
                ["evaluate", str(evil)],
                ["make-dataset", "-o", str(tmp_path / "d"), "--backbone", str(evil)]]
    for args in commands:
        code, cap = _run_main(args, capsys)
        assert code == 1 and "Traceback" not in cap.err, (args, cap.err)
        assert "not a safe dreamgan/torch weights file (refusing to unpickle code)" in cap.err, (args, cap.err)
        assert "PyTorch 2.6" not in cap.err
    code, cap = _run_main(["sample", str(photo_file), "-c", str(truncated), "-o", str(tmp_path / "o")], capsys)
    assert code == 1 and "not a readable dreamgan/torch weights file (truncated, or another format)" in cap.err
    assert not marker.exists(), "no code from a checkpoint ever runs"
    # and nothing else reaches the terminal: no warning text, one error line
    r = subprocess.run([sys.executable, "-m", "dreamgan", "sample", str(photo_file), "-c", str(evil), "-o", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0 and "Warning" not in r.stderr, r.stderr


def test_every_training_option_is_one_field_reachable_from_the_cli_and_the_pipeline(monkeypatch, tmp_path):
    """`dreamgan train` makes one option per TrainConfig field, with the field's docstring as
    its help, and a pipeline's [train] takes every field: a new knob is one field and its use.
    Each option's value reaches the config (a non-default value of every scalar field)."""
    import dataclasses
    import inspect

    import dreamgan.training.gan as gan
    from dreamgan.cli.options import field_docs
    from dreamgan.cli.train import train_command
    from dreamgan.models.config import TrainConfig
    from dreamgan.pipeline import _train_types

    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    assert set(fields) <= set(inspect.signature(train_command).parameters), set(fields) - set(inspect.signature(train_command).parameters)
    assert set(fields) == set(_train_types()), "every field is a [train] key"
    assert set(fields) == set(field_docs(TrainConfig)), "every field says what it is"
    help_text = runner.invoke(app, ["train", "--help"], env={"COLUMNS": "400"}).output
    assert all(f"--{name.replace('_', '-')}" in help_text for name in fields if name != "eval_fid") and "--no-fid" in help_text
    seen = {}
    monkeypatch.setattr(gan, "train_gan", lambda cfg, resume=False, **kw: seen.update(cfg=cfg) or gan.TrainReport(tmp_path, 1, {}, []))
    r = runner.invoke(app, ["train", "--data", str(tmp_path), "--beta1", "0.7", "--g-octave-scale", "1.8", "--d-layers", "conv_2,mixed_3",
                            "--taps", "conv_4", "--no-fid"])
    assert r.exit_code == 0, r.output
    cfg = seen["cfg"]
    assert (cfg.beta1, cfg.g_octave_scale, cfg.d_layers, cfg.taps, cfg.eval_fid) == (0.7, 1.8, ("conv_2", "mixed_3"), ("conv_4",), False)


def test_help_shows_the_recipe_defaults_and_agrees_with_the_pipeline():
    import inspect

    from dreamgan.data.dataset import make_dataset
    from dreamgan.pipeline import load_pipeline

    text = runner.invoke(app, ["dream", "--help"], env={"COLUMNS": "200"}).output
    d = DreamConfig()
    for option, value in (("--octaves", d.octaves), ("--steps", d.steps), ("--step-size", d.step_size), ("--jitter", d.jitter)):
        line = next(l for l in text.splitlines() if f" {option} " in l)
        assert f"[default: ({value}, or the preset's)]" in line, line
    text = runner.invoke(app, ["make-dataset", "--help"], env={"COLUMNS": "200"}).output
    assert "[default: 0.15]" in next(l for l in text.splitlines() if " --val " in l)
    root = Path(__file__).resolve().parents[1]
    spec = load_pipeline(root / "pipelines" / "default.toml")
    assert spec["dataset"]["val"] == inspect.signature(make_dataset).parameters["val"].default == 0.15
    train_help = runner.invoke(app, ["train", "--help"], env={"COLUMNS": "200"}).output
    assert "(default: dream; with --arch dcgan, noise-dream)" in train_help and "dream-texture" in train_help


def test_dream_into_the_photos_own_folder_refuses_before_dreaming(photo_file, tmp_path, capsys):
    before = photo_file.read_bytes()
    with pytest.raises(SystemExit) as e:
        main(["dream", str(photo_file), "-o", str(tmp_path), "--backbone", "tiny", "--layers", "conv2", "--octaves", "1", "--steps", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 1 and len(err) == 1 and "would destroy the source" in err[0], err
    assert photo_file.read_bytes() == before
