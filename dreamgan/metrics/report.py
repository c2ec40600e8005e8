"""Evaluate a trained generator on unseen photos, next to the baselines that give it meaning.

Rows of the report (all on the same split, usually `test`):
  * generator             fast dreams, one forward pass;
  * identity              the photo itself as the "dream" (what doing nothing scores);
  * equal-time classical  the classical engine cut down (1 octave, k steps) to the
                          generator's per-image time;
  * hybrid (optional)     the generator plus K classical steps (`--refine K`);
  * jitter floor          a second true dream of the photo with another jitter seed: how close
                          two true dreams are to each other (the best a replica can hope for).

Each row has the paired dream metrics and, with enough images, FID/KID (with N). The FID
floor (two halves of the true dreams) is reported beside them.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import torch

from dreamgan.errors import DreamganError
from dreamgan.fileio import ensure_writable_dir, write_json_atomic
from dreamgan.images import labelled_grid, save_image_grid, save_png


def _timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


@torch.no_grad()
def evaluate_run(checkpoint: str | os.PathLike, *, split: str = "test", data: str | None = None, fid: bool = True,
                 jitter_floor: bool = True, refine: tuple[int, ...] = (), out_dir: str | os.PathLike | None = None,
                 crops: int = 64) -> dict:
    """Evaluate a generator checkpoint on a dataset split; writes evaluate-<split>.json and a sheet.
    A noise → dream run goes to `evaluate_dcgan` (`crops` crops of the split).

    Raises:
        DreamganError: not a pix2pix checkpoint, or a split without pairs.
    """
    from dreamgan.data.pairs import PairedDreams
    from dreamgan.dream.engine import DreamConfig, DreamEngine
    from dreamgan.fast import fast_dream, load_generator
    from dreamgan.metrics import dream_scores, fid_kid_x01, lattice_index

    g, cfg, ckpt = load_generator(checkpoint)
    if cfg.arch == "dcgan":
        return evaluate_dcgan(checkpoint, split=split, data=data, out_dir=out_dir, crops=crops)
    if cfg.arch != "pix2pix":
        raise DreamganError("evaluate compares fast dreams of photos with their true dreams: it needs a pix2pix checkpoint")
    data = data or cfg.data
    pairs = PairedDreams(data, split, min_pairs=1)
    recipe = DreamConfig.from_dict(ckpt["recipe"])
    real_a, real_b = pairs.all_x01()
    n = len(real_a)
    engine = DreamEngine(recipe)

    # 1. the generator, timed per image (after a warm-up)
    g(real_a[:1])
    fake_b, gen_s = _timed(lambda: fast_dream(g, real_a))
    gen_per_image = gen_s / n
    # 2. the equal-time classical baseline: one octave, as many steps as fit in the generator's time
    one = DreamEngine(recipe.replace(octaves=1, steps=1))
    one.run(real_a[:1])  # warm-up
    _, step_s = _timed(lambda: one.run(real_a[:1]))
    k = max(1, int(gen_per_image // max(step_s, 1e-9)))
    classical_engine = DreamEngine(recipe.replace(octaves=1, steps=k))
    classical_b, classical_s = _timed(lambda: classical_engine.run(real_a))
    rows = {
        "generator": (fake_b, gen_per_image),
        "identity": (real_a, 0.0),
        f"equal-time classical (1 octave, {k} step{'s' if k > 1 else ''})": (classical_b, classical_s / n),
    }
    # hybrid fast dreams: K classical steps on top of the generator (a product choice, own rows)
    for k_refine in refine:
        hybrid, hybrid_s = _timed(lambda: fast_dream(g, real_a, refine=k_refine, recipe=ckpt["recipe"]))
        rows[f"hybrid (generator + {k_refine} classical step{'s' if k_refine > 1 else ''})"] = (hybrid, hybrid_s / n)
    # 3. the jitter floor: another true dream of the same photos, other jitter seed
    if jitter_floor:
        second, second_s = _timed(lambda: DreamEngine(recipe.replace(seed=recipe.seed + 1)).run(real_a))
        rows["jitter floor (2nd true dream)"] = (second, second_s / n)
    report: dict = {"checkpoint": ckpt["path"], "data": str(data), "split": split, "n": n, "rows": {},
                    # the yardstick of the rows' lattice index: how periodic the true dreams' own change is
                    "true_dream_lattice_index": float(lattice_index(real_a, real_b).mean())}
    for name, (images, seconds) in rows.items():
        report["rows"][name] = {**dream_scores(real_a, real_b, images, recipe, engine=engine, fid=fid), "seconds_per_image": seconds}
    if fid and n >= 4:
        half = n // 2
        s = fid_kid_x01(real_b[:half], real_b[half:2 * half])
        report["fid_floor_halves"] = {"fid": s["fid"], "kid_mean": s["kid_mean"], "n": [half, half]}
    # 4. a sheet: photo | true dream | fast dream | equal-time classical
    out = ensure_writable_dir(out_dir) if out_dir else Path(ckpt["path"]).parent
    sheet = labelled_grid([[t[i] for t in (real_a, real_b, fake_b, classical_b)] for i in range(min(6, n))],
                          ["photo", "true dream", "fast dream", "equal-time classical"])
    report["sheet"] = str(save_png(out / f"evaluate-{split}.png", sheet))
    write_json_atomic(out / f"evaluate-{split}.json", report)
    return report


MAX_CROPS = 4096
"""The most crops `evaluate_dcgan` measures (as the training's --eval-crops)."""


@torch.no_grad()
def evaluate_dcgan(checkpoint: str | os.PathLike, *, split: str = "test", data: str | None = None,
                   out_dir: str | os.PathLike | None = None, seed: int = 0, crops: int = 64) -> dict:
    """KID/FID (both extractors) of a noise → dream run's samples against `crops` crops of a
    split's true dreams, cut as the run trained (its image size and crop scales), beside the
    rows that give them meaning: the identity (the same crops of the photos, undreamed) and the
    floor (as many crops of *other* true dreams, from the train split: what a perfect generator
    scores). `diversity` is the mean pairwise Inception-feature distance of a row's images over
    that of the true-dream crops (1 = as varied as the true dreams; near 0 = one sample
    repeated). Writes evaluate-<split>.json and a sheet of samples.

    Raises:
        DreamganError: a split with no pairs, or fewer than 2 or more than MAX_CROPS crops.
    """
    from dreamgan.data.pairs import open_dataset
    from dreamgan.fast import load_generator
    from dreamgan.metrics import fid_kid_both_x01, mean_pairwise_distance
    from dreamgan.models.dcgan import noise_dreams
    from dreamgan.training.evals import dream_crops

    if not 2 <= crops <= MAX_CROPS:
        raise DreamganError(f"--crops must be 2 to {MAX_CROPS} (KID and the diversity need at least 2), got {crops}")
    g, cfg, ckpt = load_generator(checkpoint)
    data = data or cfg.data  # the report names the dataset it used, given or the run's own
    dataset = open_dataset(data)
    real_a, real_b = dream_crops(dataset.split(split, min_pairs=1), cfg, crops, seed)
    others = dream_crops(dataset.split("train", min_pairs=1), cfg, crops, seed + 1)[1]
    fake = noise_dreams(g, crops, seed=seed)
    rows = {"dcgan (dreams from noise)": fake, "identity (the photos)": real_a, "floor (other true dreams, train split)": others}
    report: dict = {"checkpoint": ckpt["path"], "data": str(data), "split": split, "n": crops,
                    "crops": {"size": cfg.image_size, "scale": list(cfg.crop_scale)}, "rows": {}}
    spread = mean_pairwise_distance(real_b)
    with tempfile.TemporaryDirectory() as cache:  # the true crops' features: once per extractor, not once per row
        for name, images in rows.items():
            report["rows"][name] = {**fid_kid_both_x01(images, real_b, cache_real=Path(cache) / "true-crops"),
                                    "n_compared": len(images), "diversity": mean_pairwise_distance(images) / spread}
    out = ensure_writable_dir(out_dir) if out_dir else Path(ckpt["path"]).parent
    report["sheet"] = str(save_image_grid(out / f"evaluate-{split}.png", fake[:32], nrow=8))
    write_json_atomic(out / f"evaluate-{split}.json", report)
    return report


def format_report(report: dict) -> str:
    """A plain-text table of an evaluation report."""
    cols = {"attainment": "attainment", "feature_ratio": "feat ratio", "stats_ratio": "stats incep", "stats_ratio_effnet": "stats effnet",
            "cond_stats_ratio": "cond stats", "lattice_index": "lattice",
            "alignment": "alignment", "l1": "l1", "psnr": "psnr", "fid": "fid", "kid_mean": "kid incep",
            "kid_effnet_mean": "kid effnet", "diversity": "diversity", "seconds_per_image": "s/image"}
    lines = [f"{report['split']} split, N = {report['n']}  ({report['checkpoint']})",
             f"{'':42s}" + "".join(f"{label:>13s}" for label in cols.values())]
    for name, m in report["rows"].items():
        lines.append(f"{name:42s}" + "".join(f"{m[c]:13.4f}" if isinstance(m.get(c), float) else f"{'-':>13s}" for c in cols))
    if "true_dream_lattice_index" in report:
        lines.append(f"lattice index of the true dreams themselves: {report['true_dream_lattice_index']:.4f}")
    if "fid_floor_halves" in report:
        f = report["fid_floor_halves"]
        lines.append(f"FID floor (two halves of the true dreams, N = {f['n'][0]} vs {f['n'][1]}): {f['fid']:.3f}")
    if report.get("sheet"):
        lines.append(f"sheet: {report['sheet']}")
    return "\n".join(lines)
