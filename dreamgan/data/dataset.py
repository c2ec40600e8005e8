"""Mass production of paired dream datasets: photos → true dreams, for the GAN to learn from.

Layout (same `<id>` for a pair; `a` = photo, `b` = dream)::

    data/NAME/dataset.json                      version, recipe, backbone + weights sha256, size,
                                                counts per split, seed, dreamgan version
    data/NAME/recipe.json                       the DreamConfig the dreams were made with
    data/NAME/manifest.jsonl                    one line per finished pair
    data/NAME/manifest-shard-I-of-N.jsonl       the same, per worker of `make-dataset --shard I/N`
    data/NAME/skipped.jsonl                     unreadable sources and why
    data/NAME/{train,val,test}/{natural,dream}/<id>.png

The work is planned up front and deterministically (from the seed and the photos' sha256):
  1. photos are deduplicated by sha256 and split into train/val/test *by scene* (near-duplicate
     photos, such as a stereo pair or a burst, stay together), so evaluation photos are never
     seen in training, not even as another crop or their twin;
  2. each photo gets a centre crop; when `count` exceeds the number of photos, extra views are
     random resized crops and flips, seeded per view and recorded in the manifest;
  3. views are dreamed in fixed chunks of `batch`. A manifest line is appended only after both
     PNGs of a pair are written (atomically), so a killed run resumes where it stopped, and a
     chunk is always dreamed with the same members, so a resumed run gives identical pairs.

Every image is dreamed with the same jitter sequence (the recipe's seed): the dream is then a
deterministic function of the photo, which is what a generator can learn.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from dreamgan import __version__
from dreamgan.data.debian_photos import read_provenance
from dreamgan.data.pairs import manifest_parts, manifest_path, pair_paths, read_dataset_meta, read_manifest  # noqa: F401  (read_dataset_meta: re-exported)
from dreamgan.data.sources import (  # noqa: F401  (Photo, near_duplicate_groups, photo_signature: re-exported)
    EMBEDDED_SOURCE,
    Photo,
    find_sources,
    near_duplicate_groups,
    photo_signature,
    read_source,
    scan_photos,
    sha256_file,
)
from dreamgan.errors import DreamganError
from dreamgan.fileio import append_jsonl, ensure_writable_dir, exclusive_lock, read_jsonl, write_bytes_atomic, write_json_atomic
from dreamgan.images import labelled_grid, load_image, resize_uint8, save_png, uint8_to_x01, x01_to_uint8_tensor

SPLITS = ("train", "val", "test")
FORMAT_VERSION = 1
SPLIT_BY = "scene"
"""How photos are split (part of a dataset's identity): "scene" keeps near-duplicates together."""


@dataclass(frozen=True)
class View:
    """One pair to make: a crop of a photo, resized to the dataset size."""

    id: str
    source: str
    sha256: str
    split: str
    box: tuple[int, int, int, int]  # (left, top, right, bottom) in source pixels
    flip: bool


@dataclass
class DatasetReport:
    out: Path
    planned: dict[str, int]
    made: int = 0
    already_done: int = 0
    skipped: list[dict] = field(default_factory=list)
    duplicates: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


# -- 2. plan --------------------------------------------------------------------------------------
def _order_key(seed: int, text: str) -> str:
    return hashlib.sha256(f"{seed}:{text}".encode()).hexdigest()


def split_photos(photos: list[Photo], val: float, test: float, seed: int) -> tuple[dict[str, str], list[str]]:
    """{sha256: split}, deterministic from seed and hashes, plus warnings.

    The split is by *scene*: near-duplicate photos (`near_duplicate_groups`: bursts, stereo
    pairs, edits of one shot) always land in the same split, so no held-out scene is trained on
    through its twin. Each non-empty fraction gets at least one scene when there are enough
    scenes for three splits; with fewer, every photo goes to train and a warning explains why.
    """
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise DreamganError(f"--val and --test must be fractions in [0, 1) with a sum below 1, got {val} and {test}")
    groups = sorted(near_duplicate_groups(photos), key=lambda g: _order_key(seed, min(p.sha256 for p in g)))
    n = len(groups)
    wanted = [s for s, f in (("val", val), ("test", test)) if f > 0]
    warn: list[str] = []
    twins = [g for g in groups if len(g) > 1]
    if twins:
        warn.append(f"{sum(len(g) for g in twins)} photos are near-duplicates of another (e.g. "
                    f"{' ~ '.join(p.source for p in twins[0][:2])}): each such scene stays in one split")
    if n < len(wanted) + 1:
        warn.append(f"only {n} distinct scene(s): too few to hold out {' and '.join(wanted)} photos, so all go to train; "
                    "evaluation needs photos the generator never saw, so add more photos")
        return {p.sha256: "train" for g in groups for p in g}, warn
    n_test = max(1, round(test * n)) if test > 0 else 0
    n_val = max(1, round(val * n)) if val > 0 else 0
    while n_test + n_val > n - 1:  # keep at least one training scene
        if n_val >= n_test and n_val > 1:
            n_val -= 1
        elif n_test > 1:
            n_test -= 1
        else:
            break
    splits = {}
    for i, group in enumerate(groups):
        for p in group:
            splits[p.sha256] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    return splits, warn


def centre_box(h: int, w: int) -> tuple[int, int, int, int]:
    s = min(h, w)
    left, top = (w - s) // 2, (h - s) // 2
    return left, top, left + s, top + s


def random_box(h: int, w: int, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """A square crop of 50–100 % of the short side at a random position."""
    s = max(1, int(round(min(h, w) * rng.uniform(0.5, 1.0))))
    left = int(rng.integers(0, w - s + 1))
    top = int(rng.integers(0, h - s + 1))
    return left, top, left + s, top + s


def plan_views(photos: list[Photo], splits: dict[str, str], count: int | None, seed: int) -> list[View]:
    """The views to dream, in a fixed order: every photo's centre crop, then augmented views."""
    ordered = sorted(photos, key=lambda p: _order_key(seed, p.sha256))
    count = len(ordered) if count is None else count
    if count < 1:
        raise DreamganError(f"--count must be ≥ 1, got {count}")
    views = []
    for i in range(count):
        p = ordered[i % len(ordered)]
        k = i // len(ordered)  # 0: centre crop; k ≥ 1: the k-th augmented view of this photo
        if k == 0:
            box, flip = centre_box(p.height, p.width), False
        else:
            rng = np.random.default_rng([seed, int(p.sha256[:12], 16), k])
            box, flip = random_box(p.height, p.width, rng), bool(rng.integers(0, 2))
        views.append(View(f"{p.sha256[:12]}-{k:03d}", p.source, p.sha256, splits[p.sha256], box, flip))
    return views


def render_view(img: np.ndarray, view: View, size: int) -> np.ndarray:
    """Crop, flip and resize (Lanczos) a view: (size, size, 3) uint8."""
    left, top, right, bottom = view.box
    crop = img[top:bottom, left:right]
    if view.flip:
        crop = crop[:, ::-1]
    return resize_uint8(np.ascontiguousarray(crop), (size, size))


# -- 3. the dataset on disk -----------------------------------------------------------------------
def _identity(recipe, size: int, seed: int, source: str, photos: list[Photo], val: float, test: float) -> dict:
    """What must match for a rerun to continue an existing dataset.

    `--count` is not part of it: a larger count plans a superset of the same views, so a rerun
    with a larger count extends the dataset. The photo set is: a new photo would reshuffle the
    by-scene split and could leak a held-out scene into training.
    """
    photo_set = hashlib.sha256("".join(sorted(p.sha256 for p in photos)).encode()).hexdigest()
    return {"recipe": recipe.to_dict(), "size": size, "seed": seed, "source": source, "photos": photo_set,
            "val": val, "test": test, "split_by": SPLIT_BY}


def _legacy_precision(out: Path, recipe):
    """`recipe`, with precision auto replaced by the precision of a dataset in `out` made before
    auto existed (its dataset.json has no `precision` record; its recipe says fp32 or bf16), so
    that it resumes exactly as it was made, with a warning that says so. Any other recipe as given."""
    meta_path = out / "dataset.json"
    if recipe.precision != "auto" or not meta_path.exists():
        return recipe
    try:
        meta = json.loads(meta_path.read_text())
        made = meta["identity"]["recipe"].get("precision", "fp32")
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
        return recipe  # an unreadable dataset.json: _claim_folder decides
    if "precision" in meta or made not in ("fp32", "bf16"):
        return recipe
    warnings.warn(f"{out} was made before --precision auto existed: it continues in {made}, as it was made", stacklevel=3)
    return recipe.replace(precision=made)


def _with_current_recipe_keys(identity):
    """A stored identity with its recipe read as this version reads it (a key added since, such
    as `jitter_average`, takes the default the dataset was made with), so an older dataset still
    matches the command that made it; anything unreadable is returned as it is."""
    from dreamgan.dream.config import DreamConfig

    try:
        return {**identity, "recipe": DreamConfig.from_dict(identity["recipe"]).to_dict()}
    except (DreamganError, KeyError, TypeError, ValueError):
        return identity


def _precision_change(previous: dict | None, identity: dict) -> str | None:
    """The one-line refusal for a dataset that differs from `identity` only in the resolved
    precision, or None."""
    was, now = ((previous or {}).get("recipe") or {}).get("precision"), identity["recipe"]["precision"]
    if was is None or was == now:
        return None
    if {**previous, "recipe": {**previous["recipe"], "precision": now}} != identity:
        return None
    return (f"was dreamed in {was} and this run would dream in {now} (--precision auto means {now} on this machine); "
            f"continue it with --precision {was}, or use another --out name, or --force to start over")


def _claim_folder(out: Path, identity: dict, batch: int, shards: int, force: bool) -> None:
    """Make `out` this dataset's folder: an existing dataset must be the same one (its identity:
    recipe, size, seed, source, photos, split), unless `force` clears it; one with no pair yet is
    simply planned again. A --shard worker never clears a folder others may be writing into.

    Raises:
        DreamganError: a dataset made differently without `force`, or a worker's options differ.
    """
    meta_path = out / "dataset.json"
    meta_path = out / "dataset.json"
    if meta_path.exists():
        try:
            previous_meta = json.loads(meta_path.read_text())
        except json.JSONDecodeError:
            previous_meta = {}
        previous = _with_current_recipe_keys(previous_meta.get("identity"))
        if shards > 1 and previous == identity and previous_meta.get("batch", batch) != batch:
            raise DreamganError(f"{out} is being dreamed in chunks of another --batch; every --shard worker must use the same one")
        if previous != identity:
            if shards > 1:  # never clear a folder other workers may be writing into
                raise DreamganError(f"{out} holds a dataset planned with other options than this worker's; "
                                    "every --shard worker must run the same command")
            if not force and read_manifest(out):
                if precision := _precision_change(previous, identity):
                    raise DreamganError(f"{out} {precision}")
                changed = sorted(k for k in identity if (previous or {}).get(k) != identity[k])
                raise DreamganError(
                    f"{out} holds a dataset made differently (changed: {', '.join(changed) or 'unreadable dataset.json'}); "
                    "use another --out name, or --force to start over")
            _clear(out)
    elif force and out.exists():
        _clear(out)
    ensure_writable_dir(out)


def _dream_chunks(out: Path, chunks: list, done: dict, engine, size: int, recipe_seed: int, provenance: dict,
                  manifest: Path, report: DatasetReport, on_pair) -> None:
    """Dream the views of `chunks` that are not `done`, a chunk at a time (a chunk is dreamed as
    a whole, so each pair gets the same jitter as in any other run): write each pair's PNGs
    atomically, then its manifest line (a kill loses at most the chunk in flight)."""
    import torch

    cache: dict[str, np.ndarray] = {}
    for chunk in chunks:
        todo = [v for v in chunk if v.id not in done]
        if not todo:
            continue
        naturals = np.stack([render_view(_pixels(cache, v.source), v, size) for v in chunk])  # (B, S, S, 3)
        t0 = time.perf_counter()
        x01 = torch.from_numpy(naturals).permute(0, 3, 1, 2).float().div_(255.0)
        dreams = x01_to_uint8_tensor(engine.run(x01)).permute(0, 2, 3, 1).numpy()  # (B, S, S, 3)
        seconds = (time.perf_counter() - t0) / len(chunk)
        for v, natural, dream_uint8 in zip(chunk, naturals, dreams):
            if v.id in done:
                continue
            a_path, b_path = pair_paths(out, v.split, v.id)
            save_png(a_path, natural)
            save_png(b_path, np.ascontiguousarray(dream_uint8))
            row = {"id": v.id, "source": v.source, "source_sha256": v.sha256, "split": v.split, "box": list(v.box),
                   "flip": v.flip, "seconds": round(seconds, 3), "seed": recipe_seed}
            if v.sha256 in provenance:  # the photo's package, path and licence (`fetch-photos`)
                row["provenance"] = {k: provenance[v.sha256].get(k) for k in ("package", "version", "path", "license", "copyright", "source")}
            append_jsonl(manifest, row)
            done[v.id] = row
            report.made += 1
            if on_pair:
                on_pair(report.already_done + report.made)


def _finish(out: Path, meta: dict, views: list, done: dict, shards: int) -> None:
    """dataset.json with the counts per split and `complete` once every planned view is done."""
    # Shards take turns here, so the last one to finish has seen every shard's last pair
    # (a shard appends its pairs before it takes the lock) and writes `complete` true.
    with exclusive_lock(out / ".dataset.lock") if shards > 1 else contextlib.nullcontext():
        if shards > 1:
            done = read_manifest(out)  # every shard's pairs, for the counts and `complete`
        counts = {s: sum(1 for r in done.values() if r["split"] == s) for s in SPLITS}
        write_json_atomic(out / "dataset.json", {**meta, "counts": counts, "complete": all(v.id in done for v in views)})


def make_dataset(out: str | os.PathLike, *, source: str | os.PathLike | None = None, count: int | None = None,
                 size: int = 299, recipe=None, val: float = 0.15, test: float = 0.15, seed: int = 0, batch: int = 1,
                 force: bool = False, shard: tuple[int, int] = (0, 1),
                 on_plan: Callable[[int, int], None] | None = None,
                 on_pair: Callable[[int], None] | None = None) -> DatasetReport:
    """Make (or continue) a paired dream dataset in `out`.

    Args:
        out: dataset folder (`data/NAME`).
        source: a folder of photos (recursive), or None for the embedded scikit-image photos.
        count: number of pairs (default: one per photo); more than the photos adds augmented views.
        size: side of the square pairs in px (≥ 32).
        recipe: `DreamConfig` of the true dreams (default: `DreamConfig()`).
        val, test: fractions of *photos* held out.
        seed: seeds the split, the augmentations and (through the recipe) the jitter.
        batch: pairs dreamed together.
        force: start over if `out` holds a dataset made differently.
        shard: (I, N): dream only the I-th of N disjoint parts of the plan (every N-th chunk, so
            each pair is dreamed with the same chunk as in one process: the union of the N shards
            is byte-identical to an unsharded dataset). N workers may run at once into one
            folder (a shared filesystem): each appends to its own manifest part, and the plan
            files are written by whichever comes first; a worker whose options differ is refused.
        on_plan(total, already_done), on_pair(n_done): progress callbacks (for this shard).

    Raises:
        DreamganError: missing/empty source, no readable photo, a dataset of another recipe in
            `out` without `force`, bad arguments.
    """
    from dreamgan.backbones import weights_file
    from dreamgan.dream.engine import DreamConfig, DreamEngine

    recipe = recipe or DreamConfig()
    if size < 32:
        raise DreamganError(f"--size must be ≥ 32 px, got {size}")
    if batch < 1:
        raise DreamganError(f"--batch must be ≥ 1, got {batch}")
    index, shards = shard
    if not (shards >= 1 and 0 <= index < shards):
        raise DreamganError(f"--shard must be I/N with 0 ≤ I < N, got {index}/{shards}")
    if force and shards > 1:
        raise DreamganError("--force cannot be combined with --shard: another worker may be writing this dataset")
    out = Path(out)
    source_id = EMBEDDED_SOURCE if source is None else str(Path(source).resolve())

    # 1. sources (and where each came from, when the folder says: `dreamgan fetch-photos`)
    photos, skipped, duplicates = scan_photos(find_sources(source))
    provenance = read_provenance(source)
    if not photos:
        raise DreamganError(f"no readable photo in {source or EMBEDDED_SOURCE} ({len(skipped)} unreadable)")
    # every option is checked before anything is written: a bad backbone, layer or class
    # leaves no dataset.json behind to refuse the corrected rerun
    weights = weights_file(recipe.backbone, recipe.weights)
    asked = recipe.precision
    engine = DreamEngine(recipe if force else _legacy_precision(out, recipe))
    recipe = engine.config  # precision auto resolved: the recipe the dreams are made with
    identity = _identity(recipe, size, seed, source_id, photos, val, test)

    # 0. an existing dataset must be the same one, unless --force
    _claim_folder(out, identity, batch, shards, force)
    ensure_writable_dir(out)

    # 2. plan
    splits, warn = split_photos(photos, val, test, seed)
    views = plan_views(photos, splits, count, seed)
    small = [p for p in photos if min(p.height, p.width) < size]
    if small:
        warn.append(f"{len(small)} photo(s) are smaller than {size} px and are upscaled (e.g. {small[0].source})")
    for w in warn:
        warnings.warn(w, stacklevel=2)
    planned = {s: sum(v.split == s for v in views) for s in SPLITS}
    report = DatasetReport(out, planned, skipped=skipped, duplicates=duplicates, warnings=warn)
    for split in SPLITS:
        for kind in ("natural", "dream"):
            (out / split / kind).mkdir(parents=True, exist_ok=True)
    meta = {
        "format_version": FORMAT_VERSION, "dreamgan_version": __version__, "identity": identity,
        "recipe": recipe.to_dict(), "backbone": recipe.backbone, "weights": weights.name,
        "weights_sha256": sha256_file(weights), "size": size, "seed": seed, "source": source_id,
        "photos": len(photos), "planned": planned, "complete": False, "batch": batch,
        "precision": {"asked": asked, "resolved": recipe.precision},
    }
    if shards == 1 or not (out / "dataset.json").exists():  # the plan files, once (identical for every shard)
        write_json_atomic(out / "recipe.json", recipe.to_dict())
        write_bytes_atomic(out / "skipped.jsonl", "".join(json.dumps(s, sort_keys=True) + "\n" for s in skipped).encode())
        write_json_atomic(out / "dataset.json", meta)

    # 3. dream the views that are not done yet, chunk by chunk
    done = read_manifest(out)
    done = {i: r for i, r in done.items() if all(p.exists() for p in pair_paths(out, r["split"], i))}
    mine = [chunk for i, chunk in enumerate(_chunks(views, batch)) if i % shards == index]
    report.already_done = sum(v.id in done for chunk in mine for v in chunk)
    if on_plan:
        on_plan(sum(len(chunk) for chunk in mine), report.already_done)
    manifest = manifest_path(out, shard)
    start = time.perf_counter()
    _dream_chunks(out, mine, done, engine, size, recipe.seed, provenance, manifest, report, on_pair)
    report.seconds = time.perf_counter() - start
    _finish(out, meta, views, done, shards)
    return report


def _chunks(items: list, n: int) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _pixels(cache: dict, source: str) -> np.ndarray:
    if source not in cache:
        if len(cache) > 8:
            cache.clear()
        cache[source] = read_source(source)[0]
    return cache[source]


def _clear(out: Path) -> None:
    """Remove what make-dataset writes in `out` (and nothing else)."""
    for name in ("dataset.json", "recipe.json", "manifest.jsonl", "skipped.jsonl", "contact_sheet.png"):
        (out / name).unlink(missing_ok=True)
    for part in manifest_parts(out):
        part.unlink(missing_ok=True)
    for split in SPLITS:
        shutil.rmtree(out / split, ignore_errors=True)


# -- inspection -----------------------------------------------------------------------------------
@dataclass
class DatasetInfo:
    path: Path
    meta: dict
    counts: dict[str, int]
    sheet: Path | None
    shards: dict[str, int] = field(default_factory=dict)
    """Pairs finished per manifest part (`manifest-shard-I-of-N.jsonl`) of a sharded dataset."""


def dataset_info(path: str | os.PathLike, *, sheet_pairs: int = 8) -> DatasetInfo:
    """Counts and recipe of a dataset, and a contact sheet (natural | dream rows) PNG.

    Raises:
        DreamganError: not a dreamgan dataset.
    """
    path = Path(path)
    meta = read_dataset_meta(path)
    done = read_manifest(path)
    counts = {s: sum(1 for r in done.values() if r["split"] == s) for s in SPLITS}
    rows = []
    for item_id, r in list(done.items())[:sheet_pairs]:
        a, b = pair_paths(path, r["split"], item_id)
        if a.exists() and b.exists():
            rows.append([load_image(a), load_image(b)])
    sheet = None
    if rows:
        side = rows[0][0].shape[0]  # every pair of a dataset has one size; an odd one is resized to it
        rows = [[uint8_to_x01(x if x.shape[:2] == (side, side) else resize_uint8(x, (side, side)))[0] for x in row] for row in rows]
        sheet = save_png(path / "contact_sheet.png", labelled_grid(rows, ["photo", "true dream"]))
    shards = {part.name: len(read_jsonl(part)) for part in manifest_parts(path) if part.name != "manifest.jsonl"}
    return DatasetInfo(path, meta, counts, sheet, shards)


__all__ = ["SPLITS", "DatasetInfo", "DatasetReport", "View", "dataset_info", "make_dataset",
           "near_duplicate_groups", "photo_signature", "plan_views", "split_photos"]
