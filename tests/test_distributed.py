"""Data-parallel training under torchrun: K processes train like one with the same global batch."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from dreamgan.errors import DreamganError
from dreamgan.models.pix2pix import ResidualUNet
from dreamgan.training.distributed import World, join_world
from dreamgan.training.gan import TrainConfig, generator_from_checkpoint, load_gan_checkpoint, train_gan

TINY_CLI = Path(__file__).parent / "tiny_cli.py"
# the dream preset at toy size, with the diversity term so the generator runs twice per step
ARGS = dict(steps=4, image_size=32, batch_size=4, ngf=8, depth=3, eval_every=100, eval_fid=False, seed=3, lambda_div=1.0)


@pytest.fixture(scope="module")
def dataset(tiny_pairs):
    return tiny_pairs  # conftest: 8 tiny-backbone pairs


def _cfg(data, out, **kw) -> TrainConfig:
    return TrainConfig.from_preset("dream", data=str(data), out=str(out), device="cpu", **{**ARGS, **kw})


def _torchrun(data, out, registered_tiny_backbone, *extra, nproc=2, stop_after=None, kill_after=None):
    """`torchrun --standalone --nproc_per_node 2 -m dreamgan train ...` (through tiny_cli)."""
    args = ["train", "--data", str(data), "--out", str(out), "--preset", "dream", "--device", "cpu", "--no-fid",
            "--steps", "4", "--image-size", "32", "--batch-size", "4", "--ngf", "8", "--depth", "3",
            "--eval-every", "100", "--seed", "3", "--lambda-div", "1", *extra]
    env = {**os.environ, "DREAMGAN_TEST_TINY_WEIGHTS": str(registered_tiny_backbone), "OMP_NUM_THREADS": "1"}
    env.pop("DREAMGAN_TEST_STOP_AFTER", None)
    env.pop("DREAMGAN_TEST_KILL_AFTER", None)
    if stop_after is not None:
        env["DREAMGAN_TEST_STOP_AFTER"] = str(stop_after)
    if kill_after is not None:
        env["DREAMGAN_TEST_KILL_AFTER"] = kill_after
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
                           str(TINY_CLI), *args], env=env, capture_output=True, text=True, timeout=600)


def _assert_same_weights(a: Path, b: Path) -> None:
    """Same weights to float tolerance, and the same fast dreams. A conv bias just before an
    InstanceNorm is left out of the weight check: the norm removes it, so its gradient is 0
    up to rounding, which Adam's normalised step turns into noise of the learning rate's size."""
    (ga, _), (gb, _) = (generator_from_checkpoint(load_gan_checkpoint(p)) for p in (a, b))
    wa, wb = ga.state_dict(), gb.state_dict()
    inert = {k for k in wa if k.endswith(".0.bias") and k.replace(".0.bias", ".1.weight") in wa}
    assert 0 < len(inert) < len(wa) / 4
    for k in sorted(set(wa) - inert):
        assert torch.allclose(wa[k], wb[k], atol=1e-5, rtol=1e-4), f"{k}: max diff {float((wa[k] - wb[k]).abs().max()):.2e}"
    photos = torch.rand(2, 3, 40, 48, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        fa, fb = ga(photos, torch.Generator().manual_seed(1)), gb(photos, torch.Generator().manual_seed(1))
    assert float((fa - fb).abs().max()) < 1e-4, "the two generators dream the same"
    assert float((fa - photos).abs().mean()) > 1e-4, "and they did learn something"


def test_a_world_of_one_is_a_no_op_and_parts_tile_the_global_batch():
    world = join_world("cpu")
    assert (world.rank, world.size, world.device.type) == (0, 1, "cpu")
    net = torch.nn.Linear(2, 2)
    assert world.wrap(net) is net and world.mean({"a": 1.5}) == {"a": 1.5} and world.from_main(lambda: 7) == 7
    batch = torch.arange(12).reshape(6, 2)
    parts = [World(r, 3, torch.device("cpu")).take(batch) for r in range(3)]
    assert torch.equal(torch.cat(parts), batch), "the parts of a global batch are disjoint and cover it"
    # the noise of each part is the global batch's noise at those images
    g = ResidualUNet(8, 3, noise=2)
    padded = torch.rand(2, 3, 32, 32)
    whole = g.geometry.draw_noise(torch.rand(4, 3, 32, 32), torch.Generator().manual_seed(5))
    for k in (0, 1):
        part = g.geometry.draw_noise(padded, torch.Generator().manual_seed(5), part=(k, 2))
        assert all(torch.equal(p, w[2 * k:2 * k + 2]) for p, w in zip(part, whole))


def test_cuda_n_is_refused_under_torchrun(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(DreamganError, match="LOCAL_RANK"):
        join_world("cuda:1")


@pytest.mark.slow
def test_two_gloo_processes_train_like_one_and_resume_both_ways(dataset, tmp_path, registered_tiny_backbone):
    one = train_gan(_cfg(dataset, tmp_path / "one")).run_dir / "latest.pt"
    # 2 processes × 2 images = the same global batch of 4
    two = _torchrun(dataset, tmp_path / "two", registered_tiny_backbone)
    assert two.returncode == 0, two.stderr[-2000:]
    runs = list((tmp_path / "two").iterdir())
    assert [r.name for r in runs] == ["00001-pix2pix-tiny"], "rank 0 alone makes the run directory"
    assert json.loads((runs[0] / "config.json").read_text())["world_size"] == 2
    _assert_same_weights(one, runs[0] / "latest.pt")
    rows = lambda run: [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines() if "loss_g_stats" in l]  # noqa: E731
    (ours,), (theirs,) = rows(one.parent), rows(runs[0])
    assert ours["loss_g_stats"] == pytest.approx(theirs["loss_g_stats"], rel=1e-4), "logged losses are the global batch's"
    # one process → two: stopped after 2 steps, resumed by torchrun
    def stop_at_2(step, losses):
        if step == 2:
            raise KeyboardInterrupt
    assert train_gan(_cfg(dataset, tmp_path / "up"), on_step=stop_at_2).interrupted
    up = _torchrun(dataset, tmp_path / "up", registered_tiny_backbone, "--resume")
    assert up.returncode == 0 and "resum" in up.stdout + up.stderr, up.stderr[-2000:]
    _assert_same_weights(one, tmp_path / "up" / "00001-pix2pix-tiny" / "latest.pt")
    # two → one: every process interrupted after 2 steps (Ctrl-C), then resumed in one process
    down = _torchrun(dataset, tmp_path / "down", registered_tiny_backbone, stop_after=2)
    assert down.returncode != 0 and load_gan_checkpoint(tmp_path / "down" / "00001-pix2pix-tiny" / "latest.pt")["step"] == 2
    resumed = train_gan(_cfg(dataset, tmp_path / "down"), resume=True)
    assert resumed.step == 4
    _assert_same_weights(one, resumed.run_dir / "latest.pt")


@pytest.mark.slow
def test_every_rank_stops_where_rank_0s_time_budget_says(dataset, tmp_path, registered_tiny_backbone):
    # a budget of 0.06 s is spent by the setup: the first eval (step 2) plans no further step
    r = _torchrun(dataset, tmp_path / "budget", registered_tiny_backbone, "--steps", "40", "--eval-every", "2", "--minutes", "0.001")
    assert r.returncode == 0, r.stderr[-2000:]
    run = tmp_path / "budget" / "00001-pix2pix-tiny"
    rows = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    assert [(row["step"], row["plan"]) for row in rows if "plan" in row] == [(2, 2)]
    assert load_gan_checkpoint(run / "latest.pt")["step"] == 2 and "done at step 2" in r.stdout


@pytest.mark.slow
def test_a_global_batch_that_does_not_split_is_one_line_on_every_rank(dataset, tmp_path, registered_tiny_backbone):
    r = _torchrun(dataset, tmp_path / "odd", registered_tiny_backbone, "--batch-size", "3")
    assert r.returncode != 0
    errors = [l for l in r.stderr.splitlines() if l.startswith("error")]
    assert len(errors) == 2 and all("must split evenly over the 2 processes" in l for l in errors), r.stderr[-2000:]
    assert not (tmp_path / "odd").exists(), "nothing is written"


def test_a_kill_that_lands_while_a_lost_peer_is_being_handled_names_the_checkpoint(dataset, tmp_path, monkeypatch):
    """torchrun's agent SIGTERMs a survivor soon after the lost peer breaks its collective; when
    the KeyboardInterrupt lands while that RuntimeError is still being handled, the step is half
    done, so nothing is saved and the one line is the lost peer's, naming the last checkpoint."""
    import dreamgan.training.kinds as kinds

    real, calls = kinds.pix2pix_step, []

    def step(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            try:
                raise RuntimeError("[gloo] Connection closed by peer [127.0.0.1]:29500")
            except RuntimeError:
                raise KeyboardInterrupt  # noqa: B904 (the SIGTERM's handler, run at the next bytecode: the RuntimeError is its context)
        return real(*args, **kwargs)

    monkeypatch.setattr(kinds, "pix2pix_step", step)
    # one process stands in for rank 0 of two: its World reads that error as a lost peer (the real
    # reading and the real message are the torchrun test's below)
    monkeypatch.setattr(World, "lost_peer", lambda self, e: isinstance(e, RuntimeError) and "closed by peer" in str(e))
    monkeypatch.setattr(World, "lost_peer_message", lambda self, latest, saved: f"rank 1 is gone; {latest.name} holds step {saved}")
    with pytest.raises(DreamganError, match=r"^rank 1 is gone; latest.pt holds step 2$"):
        train_gan(_cfg(dataset, tmp_path / "k", steps=6, eval_every=2))
    assert load_gan_checkpoint(tmp_path / "k" / "00001-pix2pix-tiny" / "latest.pt")["step"] == 2, "the half-done step is not saved"
    # a plain Ctrl-C still saves the last finished step
    calls.clear()
    def ctrl_c_at_4(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(kinds, "pix2pix_step", ctrl_c_at_4)
    assert train_gan(_cfg(dataset, tmp_path / "c", steps=6, eval_every=2)).interrupted
    assert load_gan_checkpoint(tmp_path / "c" / "00001-pix2pix-tiny" / "latest.pt")["step"] == 3


@pytest.mark.slow
def test_a_killed_worker_ends_the_job_with_one_line_naming_the_checkpoint(dataset, tmp_path, registered_tiny_backbone):
    r = _torchrun(dataset, tmp_path / "k", registered_tiny_backbone, "--steps", "6", "--eval-every", "2", kill_after="1:3")
    assert r.returncode != 0
    assert "Connection reset by peer" not in r.stderr and "Connection closed by peer" not in r.stderr, "no raw gloo traceback"
    latest = load_gan_checkpoint(tmp_path / "k" / "00001-pix2pix-tiny" / "latest.pt")["step"]
    errors = [l for l in r.stderr.splitlines() if l.startswith("error")]
    stopped = [l for l in r.stderr.splitlines() if "interrupted at step" in l]
    if errors:  # rank 0's collective failed first: it names the lost rank and the last saved step
        assert len(errors) == 1 and not stopped, r.stderr[-3000:]
        assert "rank 1 of this torchrun job is gone" in errors[0] and "latest.pt holds step 2" in errors[0] and "--resume" in errors[0]
        assert latest == 2
    else:  # torchrun's agent sent rank 0 SIGTERM first: it stops like any SIGTERM, saving its last finished step
        assert len(stopped) == 1 and "latest.pt is saved" in stopped[0] and "--resume" in stopped[0], r.stderr[-3000:]
        assert latest == int(stopped[0].split("interrupted at step ")[1].split(";")[0]) in (2, 3)
