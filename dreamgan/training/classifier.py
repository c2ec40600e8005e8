"""Train your own classifier on an ImageFolder, then dream with it ("nightmare" networks).

As in the Deep Nightmare project: a ResNet (depth is a choice) or EfficientNet-Lite0, from
scratch or from ImageNet weights, optionally with colour-jitter augmentation, trained on a
folder with one sub-folder per class. The run directory keeps what is needed to judge and
clean the data:

    checkpoints/NNNNN-classifier-NAME/
        config.json, metrics.jsonl        every option; per epoch train/val loss and accuracy
        best.pt, latest.pt                self-describing; best.pt is a dreamgan backbone
        curves.png, confusion.png         loss/accuracy curves, val confusion matrix
        misclassified.html                the most confidently wrong val images, with paths

`best.pt` loads with `load_backbone("…/best.pt")`, so `dreamgan dream --backbone …/best.pt
--class NAME` dreams *your* concepts.
"""
from __future__ import annotations

import base64
import html
import io
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dreamgan import __version__
from dreamgan.backbones import CLASSIFIER_ARCHS, CLASSIFIER_FORMAT, build_classifier, efficientnet_lite, save_classifier_checkpoint, zoo
from dreamgan.errors import DreamganError, require
from dreamgan.fileio import append_jsonl, load_torch_file, read_jsonl, write_json_atomic
from dreamgan.images import load_image, resize_uint8
from dreamgan.training.image_folder import FolderDataset, FolderScan, scan_image_folder, stratified_split  # noqa: F401
from dreamgan.training.plots import confusion_matrix_png, line_chart
from dreamgan.training.rundir import latest_run_dir, new_run_dir

MEAN, STD = zoo.IMAGENET_MEAN, zoo.IMAGENET_STD
CACHE_LIMIT = 4000
"""Datasets up to this many images are decoded once and kept in memory."""


@dataclass(frozen=True)
class ClassifierConfig:
    """Every option of a classifier run (saved as config.json)."""

    data: str
    arch: str = "resnet18"
    init: str = "scratch"
    """'scratch', 'imagenet', or the path of a weights file / dreamgan classifier checkpoint."""
    weights: str | None = None
    """With init='imagenet' for ResNets: the local torchvision weights file (else the hub cache)."""
    color_jitter: bool = False
    epochs: int = 10
    lr: float = 1e-3
    batch_size: int = 32
    val: float = 0.2
    image_size: int = 224
    seed: int = 0
    min_per_class: int = 5
    out: str = "checkpoints"

    def __post_init__(self):
        if self.arch not in CLASSIFIER_ARCHS:
            raise DreamganError(f"unknown arch {self.arch!r}; valid: {', '.join(CLASSIFIER_ARCHS)}")
        checks = [(self.epochs >= 1, "--epochs must be ≥ 1"), (self.lr > 0, "--lr must be > 0"),
                  (self.batch_size >= 1, "--batch-size must be ≥ 1"), (0 < self.val < 1, "--val must be in (0, 1)"),
                  (self.image_size >= 32, "--image-size must be ≥ 32"), (self.min_per_class >= 2, "min per class must be ≥ 2")]
        require(checks)


# -- model ----------------------------------------------------------------------------------------
def _replace_head(net: nn.Module, arch: str, num_classes: int) -> nn.Module:
    if arch == "efficientnet-lite0":
        if net._fc.out_features != num_classes:
            net._fc = nn.Linear(net._fc.in_features, num_classes)
    elif net.fc.out_features != num_classes:
        net.fc = nn.Linear(net.fc.in_features, num_classes)
    return net


def build_model(cfg: ClassifierConfig, num_classes: int) -> nn.Module:
    """The network for `cfg.arch`, initialised as `cfg.init`, with a head for `num_classes`.

    Raises:
        WeightsNotFoundError: ImageNet weights for a ResNet are not on this machine.
        DreamganError: an init file that does not fit the arch.
    """
    if cfg.init == "scratch":
        return build_classifier(cfg.arch, num_classes)
    if cfg.init == "imagenet":
        if cfg.arch == "efficientnet-lite0":
            net = efficientnet_lite.build_efficientnet_lite0()
        else:
            net = zoo.build_arch(cfg.arch)
            path = zoo.find_weights(cfg.arch, cfg.weights)
            zoo.load_state(net, load_torch_file(path), str(path))
        return _replace_head(net, cfg.arch, num_classes)
    path = Path(cfg.init)
    if not path.is_file():
        raise DreamganError(f"--init must be scratch, imagenet or a weights file; {path} does not exist")
    state = load_torch_file(path)
    if isinstance(state, dict) and state.get("format") == CLASSIFIER_FORMAT:
        if state.get("arch") != cfg.arch:
            raise DreamganError(f"{path} is a {state.get('arch')} checkpoint, not {cfg.arch}")
        net = build_classifier(cfg.arch, len(state["class_names"]))
        zoo.load_state(net, state["state_dict"], str(path))
    else:
        net = build_classifier(cfg.arch, 1000)
        zoo.load_state(net, state, str(path))
    return _replace_head(net, cfg.arch, num_classes)


def _normalise(x01: torch.Tensor) -> torch.Tensor:
    return (x01 - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


# -- training -------------------------------------------------------------------------------------
@dataclass
class EpochResult:
    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float
    val_acc: float
    lr: float
    seconds: float
    train_seconds: float
    """Seconds of the training pass alone (the rest of `seconds` is validation and saving)."""


@dataclass
class ClassifierReport:
    run_dir: Path
    classes: list[str]
    best_val_acc: float
    epochs: list[EpochResult]
    skipped: list[dict]
    resumed_from: int = 0


@torch.no_grad()
def evaluate(net: nn.Module, loader) -> tuple[float, float, np.ndarray, np.ndarray]:
    """(mean loss, accuracy, labels (N,), softmax probabilities (N, C)) over a loader."""
    net.eval()
    losses, labels, probs = [], [], []
    for x01, y in loader:
        logits = net(_normalise(x01))
        losses.append(F.cross_entropy(logits, y, reduction="sum").item())
        labels.append(y.numpy())
        probs.append(logits.softmax(1).numpy())
    labels_np, probs_np = np.concatenate(labels), np.concatenate(probs)
    return sum(losses) / len(labels_np), float((probs_np.argmax(1) == labels_np).mean()), labels_np, probs_np


def _thumb_b64(path: str, side: int = 96) -> str:
    img = load_image(path)
    h, w = img.shape[:2]
    f = side / max(h, w)
    img = resize_uint8(img, (max(1, round(w * f)), max(1, round(h * f))))
    buf = io.BytesIO()
    from PIL import Image

    Image.fromarray(img).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def write_misclassified_html(path: Path, items, labels: np.ndarray, probs: np.ndarray, classes: list[str], limit: int = 50) -> int:
    """The most confidently misclassified val images (thumbnail, path, truth, guess). Returns their count."""
    pred = probs.argmax(1)
    wrong = np.flatnonzero(pred != labels)
    wrong = wrong[np.argsort(-probs[wrong, pred[wrong]])][:limit]
    rows = []
    for i in wrong:
        p = items[i][0]
        rows.append(
            f"<tr><td><img src='data:image/png;base64,{_thumb_b64(p)}'></td><td><code>{html.escape(p)}</code></td>"
            f"<td>{html.escape(classes[labels[i]])}</td><td>{html.escape(classes[pred[i]])}</td>"
            f"<td>{probs[i, pred[i]]:.3f}</td></tr>")
    body = ("<p>No misclassified validation images.</p>" if not rows else
            "<table><tr><th></th><th>path</th><th>label</th><th>predicted</th><th>confidence</th></tr>" + "".join(rows) + "</table>")
    doc = ("<!doctype html><meta charset='utf-8'><title>misclassified</title>"
           "<style>body{font-family:sans-serif}td{padding:4px;border-bottom:1px solid #ddd}</style>"
           f"<h1>Most confidently misclassified validation images</h1><p>{len(wrong)} shown. Check these for wrong labels "
           f"or problem images.</p>{body}")
    from dreamgan.fileio import write_bytes_atomic

    write_bytes_atomic(path, doc.encode())
    return len(rows)


def _save(path: Path, net, cfg: ClassifierConfig, classes, epoch: int, best_val_acc: float, opt=None, sched=None) -> None:
    extra = {"image_size": cfg.image_size, "epoch": epoch, "best_val_acc": best_val_acc, "config": asdict(cfg),
             "dreamgan_version": __version__}
    if opt is not None:
        extra.update(optimizer=opt.state_dict(), scheduler=sched.state_dict())
    save_classifier_checkpoint(path, net, arch=cfg.arch, class_names=classes, mean=MEAN, std=STD, extra=extra)


def train_classifier(cfg: ClassifierConfig, *, resume: bool | str | os.PathLike = False,
                     on_epoch: Callable[[EpochResult], None] | None = None,
                     on_batch: Callable[[int, int], None] | None = None) -> ClassifierReport:
    """Train (or resume) a classifier run; returns where it is and how it did.

    Args:
        cfg: the options.
        resume: False (a new run), True (the latest run of this data and arch in `cfg.out`), or
            a run directory. The run's latest.pt must match the arch, classes and image size.
        on_epoch, on_batch(done, total): progress callbacks.

    Raises:
        DreamganError: bad data (see `scan_image_folder`), nothing to resume, a mismatched run.
    """
    scan = scan_image_folder(cfg.data, cfg.min_per_class)
    train_items, val_items = stratified_split(scan.items, cfg.val, cfg.seed, root=cfg.data)
    name = Path(cfg.data).resolve().name
    kind = "classifier"
    torch.manual_seed(cfg.seed)  # the same seed, the same initial weights (and new head)
    net = build_model(cfg, len(scan.classes))
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
    start_epoch, best = 0, -1.0
    if resume:
        run = latest_run_dir(cfg.out, kind, f"{name}-{cfg.arch}") if resume is True else Path(resume)
        if run is None or not (run / "latest.pt").is_file():
            raise DreamganError(f"nothing to resume: no {kind} run of {name} ({cfg.arch}) with a latest.pt in {cfg.out}")
        ckpt = load_torch_file(run / "latest.pt")
        for key, want in (("arch", cfg.arch), ("class_names", scan.classes), ("image_size", cfg.image_size)):
            if ckpt.get(key) != want:
                raise DreamganError(f"cannot resume {run}: its {key} is {ckpt.get(key)!r}, this run's is {want!r}")
        net = build_classifier(cfg.arch, len(scan.classes))
        net.load_state_dict(ckpt["state_dict"])
        opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=1e-4)
        opt.load_state_dict(ckpt["optimizer"])
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
        sched.load_state_dict(ckpt["scheduler"])
        start_epoch, best = int(ckpt["epoch"]) + 1, float(ckpt["best_val_acc"])
    else:
        run = new_run_dir(cfg.out, kind, f"{name}-{cfg.arch}")
    write_json_atomic(run / "config.json", {**asdict(cfg), "classes": scan.classes, "train_images": len(train_items),
                                            "val_images": len(val_items), "skipped": scan.skipped,
                                            "dreamgan_version": __version__})
    cache = {} if len(scan.items) <= CACHE_LIMIT else None
    train_ds = FolderDataset(train_items, cfg.image_size, train=True, color_jitter=cfg.color_jitter, cache=cache)
    val_ds = FolderDataset(val_items, cfg.image_size, train=False, cache=cache)
    val_loader = torch.utils.data.DataLoader(val_ds, batch_size=cfg.batch_size)
    results = []
    for epoch in range(start_epoch, cfg.epochs):
        t0 = time.perf_counter()
        # Each epoch's shuffling and augmentation come from its own seed, so a resumed run
        # replays exactly the epochs it has not done yet.
        torch.manual_seed(cfg.seed * 100_003 + epoch)
        loader = torch.utils.data.DataLoader(train_ds, batch_size=cfg.batch_size, shuffle=True, drop_last=len(train_ds) > cfg.batch_size)
        net.train()
        total, correct, loss_sum = 0, 0, 0.0
        for i, (x01, y) in enumerate(loader):
            logits = net(_normalise(x01))
            loss = F.cross_entropy(logits, y)
            if not torch.isfinite(loss):
                raise DreamganError(f"loss became {loss.item()} at epoch {epoch}; lower --lr. The last good checkpoint is {run / 'latest.pt'}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += len(y)
            correct += int((logits.argmax(1) == y).sum())
            loss_sum += loss.item() * len(y)
            if on_batch:
                on_batch(i + 1, len(loader))
        train_seconds = time.perf_counter() - t0
        lr = opt.param_groups[0]["lr"]
        sched.step()
        val_loss, val_acc, labels, probs = evaluate(net, val_loader)
        result = EpochResult(epoch, loss_sum / max(1, total), correct / max(1, total), val_loss, val_acc, lr,
                             time.perf_counter() - t0, train_seconds)
        results.append(result)
        append_jsonl(run / "metrics.jsonl", asdict(result))
        if val_acc > best:
            best = val_acc
            _save(run / "best.pt", net, cfg, scan.classes, epoch, best)
            matrix = np.zeros((len(scan.classes),) * 2, int)
            np.add.at(matrix, (labels, probs.argmax(1)), 1)
            confusion_matrix_png(run / "confusion.png", matrix, scan.classes)
            write_misclassified_html(run / "misclassified.html", val_items, labels, probs, scan.classes)
        _save(run / "latest.pt", net, cfg, scan.classes, epoch, best, opt, sched)
        _plot_curves(run)
        if on_epoch:
            on_epoch(result)
    return ClassifierReport(run, scan.classes, best, results, scan.skipped, resumed_from=start_epoch)


def _plot_curves(run: Path) -> None:
    rows = read_jsonl(run / "metrics.jsonl")
    series = {k: [(r["epoch"], r[k]) for r in rows] for k in ("train_loss", "val_loss", "train_acc", "val_acc")}
    line_chart(run / "curves.png", series, title=f"{run.name}: loss and accuracy", xlabel="epoch")


__all__ = ["ClassifierConfig", "ClassifierReport", "EpochResult", "build_model", "scan_image_folder", "stratified_split",
           "train_classifier"]
