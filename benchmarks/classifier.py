"""Benchmark: classifier training and evaluation throughput, resnet18 at 224 px on this CPU.

Prints one JSON object with images/s for
  * dreamgan's pipeline: `train_classifier` on an ImageFolder of synthetic 256 px photos
    (decode cache, augmentation, normalisation, AdamW step) and `evaluate` on its val split;
  * the baseline: a bare PyTorch loop over pre-made tensors with the same model, batch and
    optimiser (no data pipeline at all),
and the ratio pipeline / baseline (1.0 = the data pipeline costs nothing).

Usage: python benchmarks/classifier.py [--images 96] [--batch-size 16] [--image-size 224]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from shapes import make_shapes_folder  # noqa: E402

from dreamgan.backbones import build_classifier  # noqa: E402
from dreamgan.training.classifier import ClassifierConfig, FolderDataset, evaluate, scan_image_folder, stratified_split, train_classifier  # noqa: E402


def baseline(batch: int, size: int, steps: int) -> tuple[float, float]:
    """(train images/s, eval images/s) of a bare loop on random tensors."""
    net = build_classifier("resnet18", 3)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3)
    x, y = torch.randn(batch, 3, size, size), torch.randint(0, 3, (batch,))
    net.train()
    F.cross_entropy(net(x), y).backward()  # warm-up
    t = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()
    train = batch * steps / (time.perf_counter() - t)
    net.eval()
    with torch.no_grad():
        net(x)
        t = time.perf_counter()
        for _ in range(steps):
            net(x)
    return train, batch * steps / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=96)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--image-size", type=int, default=224)
    args = ap.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as d:
        data = make_shapes_folder(Path(d) / "shapes", per_class=args.images // 3, size=256)
        cfg = ClassifierConfig(data=str(data), arch="resnet18", epochs=2, image_size=args.image_size,
                               batch_size=args.batch_size, out=str(Path(d) / "runs"))
        report = train_classifier(cfg)
        second = report.epochs[-1]  # the first epoch also fills the decode cache
        n_train = len(stratified_split(scan_image_folder(data, 5).items, cfg.val, cfg.seed, root=data)[0])
        n_train -= n_train % args.batch_size  # drop_last
        pipeline_train = n_train / second.train_seconds
        _, val_items = stratified_split(scan_image_folder(data, 5).items, cfg.val, cfg.seed, root=data)
        net = build_classifier("resnet18", 3)
        loader = torch.utils.data.DataLoader(FolderDataset(val_items, args.image_size, train=False, cache={}), batch_size=args.batch_size)
        evaluate(net, loader)  # warm the cache
        t = time.perf_counter()
        evaluate(net, loader)
        pipeline_eval = len(val_items) / (time.perf_counter() - t)
    base_train, base_eval = baseline(args.batch_size, args.image_size, steps=4)
    print(json.dumps({
        "arch": "resnet18", "image_size": args.image_size, "batch_size": args.batch_size, "threads": torch.get_num_threads(),
        "train_images_per_s": pipeline_train, "eval_images_per_s": pipeline_eval,
        "baseline_train_images_per_s": base_train, "baseline_eval_images_per_s": base_eval,
        "train_ratio_vs_baseline": pipeline_train / base_train, "eval_ratio_vs_baseline": pipeline_eval / base_eval,
    }, indent=2))


if __name__ == "__main__":
    main()
