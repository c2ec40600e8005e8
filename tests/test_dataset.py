"""make-dataset: layout, by-photo splits, resume after kill -9, refusals, bad sources."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dreamgan.data.dataset import SPLITS, dataset_info, make_dataset, plan_views, scan_photos, split_photos
from dreamgan.data.pairs import read_manifest
from dreamgan.devices import autocast_dtype
from dreamgan.dream import DreamConfig
from dreamgan.errors import DreamganError

TINY = DreamConfig(backbone="tiny", layers=("conv2",), octaves=1, steps=2, tile=0)  # the registered test backbone (conftest)


def _photo(seed: int, h: int = 90, w: int = 120) -> np.ndarray:
    """A synthetic 'photo': smooth colour blobs, different per seed."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (4, 5, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((w, h), Image.Resampling.BICUBIC))


@pytest.fixture
def photo_dir(tmp_path):
    d = tmp_path / "photos"
    (d / "sub").mkdir(parents=True)
    for i in range(8):
        Image.fromarray(_photo(i)).save(d / ("sub" if i % 2 else "") / f"p{i}.png")
    return d


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.png")) if p.name != "contact_sheet.png"}


def test_layout_manifest_and_by_photo_split(photo_dir, tmp_path):
    out = tmp_path / "data" / "tiny"
    report = make_dataset(out, source=photo_dir, count=16, size=48, recipe=TINY, val=0.25, test=0.25, seed=3, batch=3)
    assert report.made == 16 and report.planned == {"train": 8, "val": 4, "test": 4}
    meta = json.loads((out / "dataset.json").read_text())
    assert meta["complete"] and meta["counts"] == {"train": 8, "val": 4, "test": 4} and meta["size"] == 48
    assert len(meta["weights_sha256"]) == 64 and meta["recipe"]["layers"] == ["conv2"] and meta["backbone"] == "tiny"
    made_with = TINY.replace(precision="bf16" if autocast_dtype("auto", torch.device("cpu")) else "fp32")  # auto, resolved
    assert json.loads((out / "recipe.json").read_text()) == made_with.to_dict()
    rows = [json.loads(l) for l in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) == 16 and len({r["id"] for r in rows}) == 16
    split_of_photo = {}
    for r in rows:
        assert set(r) >= {"id", "source", "source_sha256", "box", "flip", "split", "seconds", "seed"}
        assert split_of_photo.setdefault(r["source_sha256"], r["split"]) == r["split"], "a photo appears in two splits"
        a, b = out / r["split"] / "natural" / f"{r['id']}.png", out / r["split"] / "dream" / f"{r['id']}.png"
        na, nb = np.asarray(Image.open(a)), np.asarray(Image.open(b))
        assert na.shape == nb.shape == (48, 48, 3)
        assert np.abs(na.astype(int) - nb.astype(int)).mean() > 1, "the dream must differ from the photo"
    assert sum(r["box"] != [15, 0, 105, 90] or r["flip"] for r in rows) > 0, "augmented views expected"
    assert not list(out.rglob("*.tmp"))
    info = dataset_info(out)
    assert info.counts == {"train": 8, "val": 4, "test": 4} and info.sheet.is_file()


def test_split_is_deterministic_and_warns_with_too_few_photos():
    import hashlib

    from dreamgan.data.sources import Photo

    photos = [Photo(f"p{i}", hashlib.sha256(bytes([i])).hexdigest(), 10, 10) for i in range(10)]
    a, _ = split_photos(photos, 0.2, 0.2, seed=1)
    b, _ = split_photos(list(reversed(photos)), 0.2, 0.2, seed=1)
    assert a == b and sorted(a.values()).count("val") == 2 and sorted(a.values()).count("test") == 2
    c, _ = split_photos(photos, 0.2, 0.2, seed=2)
    assert c != a, "another seed gives another split"
    two, warn = split_photos(photos[:2], 0.1, 0.1, seed=0)
    assert set(two.values()) == {"train"} and "too few" in warn[0]
    views = plan_views(photos, a, 25, seed=0)
    assert len(views) == 25 and len({v.id for v in views}) == 25


def test_near_duplicates_share_a_split_so_no_held_out_scene_is_trained_on():
    import hashlib

    from dreamgan.data.photos import EMBEDDED_PHOTOS, embedded_photo
    from dreamgan.data.sources import Photo, near_duplicate_groups, photo_signature

    # the embedded stereo pair is one scene; every other embedded photo is its own
    embedded = [Photo(n, hashlib.sha256(n.encode()).hexdigest(), 1, 1, photo_signature(embedded_photo(n))) for n in EMBEDDED_PHOTOS]
    groups = sorted(sorted(p.source for p in g) for g in near_duplicate_groups(embedded))
    assert ["motorcycle_left", "motorcycle_right"] in groups and len(groups) == len(EMBEDDED_PHOTOS) - 1
    # a shot, the same shot shifted, brightened and downscaled (a burst / an edit), and distinct photos
    shot = _photo(1, 240, 320)
    twins = [np.roll(shot, 9, axis=1), np.clip(shot.astype(int) + 40, 0, 255).astype(np.uint8), shot[::2, ::2]]
    pixels = [shot, *twins] + [_photo(10 + i, 240, 320) for i in range(8)]
    photos = [Photo(f"p{i}", hashlib.sha256(bytes([i])).hexdigest(), 1, 1, photo_signature(x)) for i, x in enumerate(pixels)]
    assert sorted(len(g) for g in near_duplicate_groups(photos)) == [1] * 8 + [4]
    for seed in range(12):
        splits, warn = split_photos(photos, 0.2, 0.2, seed)
        assert len({splits[p.sha256] for p in photos[:4]}) == 1, f"seed {seed}: a scene straddles splits"
        assert {"val", "test", "train"} <= set(splits.values()) and "near-duplicates" in warn[0]
    assert any(split_photos(photos, 0.2, 0.2, seed)[0][photos[0].sha256] != "train" for seed in range(12)), \
        "the scene is held out for some seeds"


def test_duplicates_counted_once_and_corrupt_files_skipped(photo_dir, tmp_path):
    (photo_dir / "copy.png").write_bytes((photo_dir / "p0.png").read_bytes())
    (photo_dir / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    trunc = photo_dir / "trunc.png"
    data = (photo_dir / "sub" / "p1.png").read_bytes()
    Image.fromarray(_photo(99, 200, 200)).save(trunc)
    trunc.write_bytes(trunc.read_bytes()[:300])
    photos, skipped, dups = scan_photos([str(p) for p in sorted(photo_dir.rglob("*")) if p.is_file()])
    assert len(photos) == 8 and dups == 1 and len(data) > 0
    assert {Path(s["source"]).name for s in skipped} == {"broken.jpg", "trunc.png"}
    out = tmp_path / "ds"
    report = make_dataset(out, source=photo_dir, size=32, recipe=TINY, val=0, test=0)
    assert report.made == 8 and len(report.skipped) == 2 and report.duplicates == 1
    assert len((out / "skipped.jsonl").read_text().splitlines()) == 2


def test_bad_sources_are_clear_errors(tmp_path):
    with pytest.raises(DreamganError, match="does not exist"):
        make_dataset(tmp_path / "o", source=tmp_path / "missing", recipe=TINY)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DreamganError, match="holds no images"):
        make_dataset(tmp_path / "o", source=tmp_path / "empty", recipe=TINY)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.png").write_bytes(b"nope")
    with pytest.raises(DreamganError, match="no readable photo"):
        make_dataset(tmp_path / "o", source=tmp_path / "junk", recipe=TINY)


def test_other_recipe_is_refused_unless_force(photo_dir, tmp_path):
    out = tmp_path / "ds"
    make_dataset(out, source=photo_dir, count=4, size=32, recipe=TINY, val=0, test=0)
    before = _files(out)
    with pytest.raises(DreamganError, match="made differently .*recipe"):
        make_dataset(out, source=photo_dir, count=4, size=32, recipe=TINY.replace(steps=3), val=0, test=0)
    with pytest.raises(DreamganError, match="made differently .*size"):
        make_dataset(out, source=photo_dir, count=4, size=40, recipe=TINY, val=0, test=0)
    assert _files(out) == before, "a refused run must not touch the dataset"
    again = make_dataset(out, source=photo_dir, count=4, size=32, recipe=TINY, val=0, test=0)
    assert again.made == 0 and again.already_done == 4, "the same command continues, recomputing nothing"
    forced = make_dataset(out, source=photo_dir, count=4, size=40, recipe=TINY, val=0, test=0, force=True)
    assert forced.made == 4 and np.asarray(Image.open(next((out / "train" / "dream").iterdir()))).shape == (40, 40, 3)


def _machine(monkeypatch, native: bool) -> None:
    """Make this machine one with (or without) bf16 units, for precision auto."""
    import dreamgan.devices as devices

    monkeypatch.setattr(devices, "bf16_is_native", lambda device: native)


def test_the_manifest_records_the_resolved_precision_and_another_resolution_is_refused(photo_dir, tmp_path, monkeypatch):
    """--precision auto (the default) is resolved before the dataset is claimed: dataset.json
    and recipe.json say what the dreams were made with; resuming where auto means another
    precision is refused in one line that names both and the way to continue."""
    out = tmp_path / "ds"
    _machine(monkeypatch, True)
    make_dataset(out, source=photo_dir, count=2, size=32, recipe=TINY, val=0, test=0)
    meta = json.loads((out / "dataset.json").read_text())
    assert meta["precision"] == {"asked": "auto", "resolved": "bf16"}
    assert meta["recipe"]["precision"] == "bf16" and json.loads((out / "recipe.json").read_text())["precision"] == "bf16"
    before = _files(out)
    _machine(monkeypatch, False)
    with pytest.raises(DreamganError, match=r"dreamed in bf16 .*auto means fp32.*--precision bf16") as err:
        make_dataset(out, source=photo_dir, count=4, size=32, recipe=TINY, val=0, test=0)
    assert "\n" not in str(err.value)
    assert _files(out) == before, "a refused run must not touch the dataset"
    more = make_dataset(out, source=photo_dir, count=4, size=32, recipe=TINY.replace(precision="bf16"), val=0, test=0)
    assert more.already_done == 2 and more.made == 2, "an explicit --precision bf16 continues it"


def test_a_dataset_made_before_auto_resumes_exactly_as_it_was_made(photo_dir, tmp_path, monkeypatch):
    """A dataset.json without a precision record comes from before auto: a rerun with the
    default recipe continues in the precision its recipe names (fp32), even on a machine where
    auto means bf16, and gives the pairs the one uninterrupted fp32 run gives."""
    _machine(monkeypatch, True)
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    make_dataset(whole, source=photo_dir, count=4, size=32, recipe=TINY.replace(precision="fp32"), val=0, test=0, batch=2)
    make_dataset(cut, source=photo_dir, count=2, size=32, recipe=TINY.replace(precision="fp32"), val=0, test=0, batch=2)
    meta = json.loads((cut / "dataset.json").read_text())
    del meta["precision"]  # as dreamgan wrote it before --precision auto
    del meta["identity"]["recipe"]["jitter_average"]  # and before --jitter-average
    (cut / "dataset.json").write_text(json.dumps(meta))
    with pytest.warns(UserWarning, match="before --precision auto.*continues in fp32"):
        report = make_dataset(cut, source=photo_dir, count=4, size=32, recipe=TINY, val=0, test=0, batch=2)
    assert report.already_done == 2 and report.made == 2
    assert {k: v for k, v in _files(cut).items() if k.endswith(".png")} == {k: v for k, v in _files(whole).items() if k.endswith(".png")}


def test_a_failed_start_leaves_nothing_that_refuses_the_corrected_rerun(photo_dir, tmp_path):
    out = tmp_path / "ds"
    with pytest.raises(DreamganError, match="unknown layer|no layer|layer"):
        make_dataset(out, source=photo_dir, count=4, size=32, recipe=TINY.replace(layers=("mixed_99",)), val=0, test=0)
    assert not (out / "dataset.json").exists(), "a bad option is refused before anything is written"
    # a dataset planned but with no pair yet (killed before the first dream) is planned again freely
    out.mkdir(exist_ok=True)
    (out / "dataset.json").write_text(json.dumps({"identity": {"recipe": "another"}}))
    report = make_dataset(out, source=photo_dir, count=4, size=32, recipe=TINY, val=0, test=0)
    assert report.made == 4


def test_a_wrongly_sized_pair_is_named_in_one_line(photo_dir, tmp_path):
    from dreamgan.data.pairs import PairedDreams

    out = tmp_path / "ds"
    make_dataset(out, source=photo_dir, count=4, size=32, recipe=TINY, val=0, test=0)
    bad = next((out / "train" / "dream").iterdir())
    Image.fromarray(np.zeros((50, 50, 3), np.uint8)).save(bad)
    with pytest.raises(DreamganError, match=f"{bad.name} is 50×50 px; every image of this dataset is 32×32") as e:
        PairedDreams(out, "train")
    assert "\n" not in str(e.value)
    bad.unlink()  # what the message says to do
    assert make_dataset(out, source=photo_dir, count=4, size=32, recipe=TINY, val=0, test=0).made == 1
    assert len(PairedDreams(out, "train")) == 4


def test_embedded_default_source(tmp_path):
    report = make_dataset(tmp_path / "emb", count=3, size=32, recipe=TINY.replace(steps=1), val=0, test=0)
    assert report.made == 3
    rows = read_manifest(tmp_path / "emb")
    assert all(r["source"].startswith("skimage:") for r in rows.values())


# The child dreams as `python -m dreamgan` does, but SIGKILLs itself at a fixed point: after the
# 4th pair's PNGs are on disk and before its manifest line, the worst moment for a torn dataset.
# So the kill never depends on timing (a poll-and-kill races a fast machine).
_KILLED_CHILD = """
import os, signal, sys
import dreamgan.data.dataset as dataset
from dreamgan.cli import main
append, seen = dataset.append_jsonl, []
def append_or_die(path, row):
    if os.path.basename(path).startswith("manifest"):
        seen.append(row["id"])
        if len(seen) == 4:
            os.kill(os.getpid(), signal.SIGKILL)
    append(path, row)
dataset.append_jsonl = append_or_die
sys.argv = ["dreamgan", *sys.argv[1:]]
main()
"""


@pytest.mark.slow
def test_resume_after_kill_minus_9_gives_the_same_dataset(photo_dir, tmp_path):
    args = ["make-dataset", "--source", str(photo_dir), "--count", "12", "--size", "64", "--layers", "mixed_2",
            "--octaves", "2", "--steps", "4", "--batch", "2", "--val", "0.25", "--test", "0.25", "--seed", "5"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # The reference: one uninterrupted run.
    ref = tmp_path / "ref"
    subprocess.run([sys.executable, "-m", "dreamgan", *args, "--out", str(ref)], check=True, env=env, capture_output=True)
    # The same command, killed with SIGKILL mid-write of the 4th pair, then rerun.
    out = tmp_path / "killed"
    proc = subprocess.run([sys.executable, "-c", _KILLED_CHILD, *args, "--out", str(out)], env=env, capture_output=True)
    assert proc.returncode == -signal.SIGKILL, f"the child must die by SIGKILL, got {proc.returncode}: {proc.stderr[-300:]!r}"
    partial = len(read_manifest(out))
    assert partial == 3, "three pairs recorded before the kill"
    rerun = subprocess.run([sys.executable, "-m", "dreamgan", *args, "--out", str(out)], env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{partial} already done" in rerun.stdout
    lines = (out / "manifest.jsonl").read_text().splitlines()
    ids = [json.loads(l)["id"] for l in lines if l.strip().startswith("{") and l.strip().endswith("}")]
    assert len(ids) == len(set(ids)) == 12, "no duplicates in the manifest"
    assert not list(out.rglob("*.tmp")), "no torn temp files left behind"
    assert _files(out) == _files(ref), "resumed dataset must equal the uninterrupted one, byte for byte"
    for split in SPLITS:
        assert sorted(p.name for p in (out / split / "natural").iterdir()) == sorted(p.name for p in (out / split / "dream").iterdir())


def test_larger_count_extends_and_new_photos_are_refused(photo_dir, tmp_path):
    out = tmp_path / "ds"
    make_dataset(out, source=photo_dir, count=4, size=32, recipe=TINY, val=0.25, test=0.25)
    first = _files(out)
    more = make_dataset(out, source=photo_dir, count=10, size=32, recipe=TINY, val=0.25, test=0.25)
    assert more.already_done == 4 and more.made == 6
    assert all(_files(out)[k] == v for k, v in first.items()), "extending must keep the existing pairs"
    Image.fromarray(_photo(123)).save(photo_dir / "new.png")
    with pytest.raises(DreamganError, match="changed: photos"):
        make_dataset(out, source=photo_dir, count=10, size=32, recipe=TINY, val=0.25, test=0.25)


def test_small_photos_are_upscaled_with_a_warning(tmp_path):
    src = tmp_path / "small"
    src.mkdir()
    for i in range(3):
        Image.fromarray(_photo(i, 40, 50)).save(src / f"s{i}.png")
    with pytest.warns(UserWarning, match="smaller than 64 px and are upscaled"):
        report = make_dataset(tmp_path / "ds", source=src, size=64, recipe=TINY, val=0, test=0)
    assert report.made == 3
    a = next((tmp_path / "ds" / "train" / "natural").iterdir())
    assert np.asarray(Image.open(a)).shape == (64, 64, 3)


def _rows_without_timing(root: Path) -> dict[str, dict]:
    return {i: {k: v for k, v in r.items() if k != "seconds"} for i, r in read_manifest(root).items()}


def test_shards_dream_disjoint_parts_whose_union_is_the_unsharded_dataset(photo_dir, tmp_path):
    args = dict(source=photo_dir, count=10, size=32, recipe=TINY, val=0.25, test=0.25, seed=1, batch=2)
    make_dataset(tmp_path / "one", **args)
    first = make_dataset(tmp_path / "sharded", shard=(0, 3), **args)
    assert 0 < first.made < 10 and (tmp_path / "sharded" / "manifest-shard-0-of-3.jsonl").is_file()
    made = [first.made] + [make_dataset(tmp_path / "sharded", shard=(i, 3), **args).made for i in (1, 2)]
    assert sum(made) == 10, "the shards are disjoint and cover the plan"
    assert _files(tmp_path / "sharded") == _files(tmp_path / "one"), "byte-identical to one process"
    assert _rows_without_timing(tmp_path / "sharded") == _rows_without_timing(tmp_path / "one")
    meta = json.loads((tmp_path / "sharded" / "dataset.json").read_text())
    assert meta["complete"] and sum(meta["counts"].values()) == 10, "the last shard sees every shard's pairs"
    info = dataset_info(tmp_path / "sharded")
    assert info.shards == {f"manifest-shard-{i}-of-3.jsonl": n for i, n in enumerate(made)}
    assert make_dataset(tmp_path / "sharded", shard=(1, 3), **args).made == 0, "a finished shard resumes to nothing"
    # a worker with other options, a bad spec or --force is refused, and nothing is cleared
    with pytest.raises(DreamganError, match="other options"):
        make_dataset(tmp_path / "sharded", shard=(1, 3), **{**args, "seed": 2})
    with pytest.raises(DreamganError, match="another --batch"):
        make_dataset(tmp_path / "sharded", shard=(1, 3), **{**args, "batch": 3})
    with pytest.raises(DreamganError, match="--shard must be"):
        make_dataset(tmp_path / "x", shard=(3, 3), **args)
    with pytest.raises(DreamganError, match="cannot be combined"):
        make_dataset(tmp_path / "sharded", shard=(0, 3), force=True, **args)
    assert _files(tmp_path / "sharded") == _files(tmp_path / "one")


def test_two_shards_finishing_at_once_still_mark_the_dataset_complete(photo_dir, tmp_path, monkeypatch):
    """The race: shard 0 reads the manifests before shard 1's last pair, and writes dataset.json
    after shard 1 wrote `complete: true`. The shards take turns at the end, so the last one
    sees everything."""
    import threading
    import time

    import dreamgan.data.dataset as dataset

    args = dict(source=photo_dir, count=8, size=32, recipe=TINY, val=0.25, test=0.25, seed=1, batch=2)
    real_read, calls, stale, appended = dataset.read_manifest, [], threading.Event(), threading.Event()

    def read(root):
        if threading.current_thread().name == "shard1" and not stale.is_set():
            assert stale.wait(120)  # shard 1 starts dreaming once shard 0 has read its final view
        rows = real_read(root)
        if threading.current_thread().name == "shard0":
            calls.append(1)
            if len(calls) == 2:  # shard 0's final read: keep this stale view until shard 1 is done
                stale.set()
                assert appended.wait(120)
                time.sleep(0.5)
        return rows

    monkeypatch.setattr(dataset, "read_manifest", read)
    total = {}
    one = lambda n: appended.set() if n == total["n"] else None  # noqa: E731
    workers = [threading.Thread(name="shard0", target=make_dataset, args=(tmp_path / "ds",), kwargs={**args, "shard": (0, 2)}),
               threading.Thread(name="shard1", target=make_dataset, args=(tmp_path / "ds",),
                                kwargs={**args, "shard": (1, 2), "on_plan": lambda n, done: total.update(n=n), "on_pair": one})]
    workers[0].start()
    while not calls:  # shard 0 has written the plan files
        time.sleep(0.01)
    workers[1].start()
    for w in workers:
        w.join(180)
    assert len(calls) == 2 and appended.is_set()
    meta = json.loads((tmp_path / "ds" / "dataset.json").read_text())
    assert meta["complete"] is True and sum(meta["counts"].values()) == 8


@pytest.mark.slow
def test_two_concurrent_shard_processes_and_a_killed_shard_give_the_one_process_dataset(photo_dir, tmp_path):
    args = ["make-dataset", "--source", str(photo_dir), "--count", "12", "--size", "48", "--layers", "mixed_2",
            "--octaves", "1", "--steps", "3", "--batch", "2", "--val", "0.25", "--test", "0.25", "--seed", "5"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    run = lambda *extra: subprocess.run([sys.executable, "-m", "dreamgan", *args, *extra], env=env,  # noqa: E731
                                        capture_output=True, text=True)
    assert run("--out", str(tmp_path / "one")).returncode == 0
    # two workers at once into one folder
    workers = [subprocess.Popen([sys.executable, "-m", "dreamgan", *args, "--out", str(tmp_path / "two"), "--shard", f"{i}/2"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in (0, 1)]
    for w in workers:
        _, err = w.communicate(timeout=600)
        assert w.returncode == 0, err[-400:]
    assert _files(tmp_path / "two") == _files(tmp_path / "one")
    assert _rows_without_timing(tmp_path / "two") == _rows_without_timing(tmp_path / "one")
    # shard 1 killed after its 1st recorded pair (at a fixed point, as in the kill -9 test), then rerun
    out = tmp_path / "killed"
    assert run("--out", str(out), "--shard", "0/2").returncode == 0
    child = _KILLED_CHILD.replace("len(seen) == 4", "len(seen) == 2")
    killed = subprocess.run([sys.executable, "-c", child, *args, "--out", str(out), "--shard", "1/2"], env=env, capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    rerun = run("--out", str(out), "--shard", "1/2")
    assert rerun.returncode == 0 and "1 already done" in rerun.stdout, rerun.stdout + rerun.stderr
    assert _files(out) == _files(tmp_path / "one")
    info = subprocess.run([sys.executable, "-m", "dreamgan", "dataset-info", str(out)], env=env, capture_output=True, text=True)
    assert "manifest-shard-1-of-2.jsonl: " in info.stdout and "train " in info.stdout, info.stdout
