"""Benchmark: the dream engine against a plain PyTorch loop of the TF tutorial algorithm.

Prints one JSON object. Measured side by side in one run, on the same backbone weights, recipe
and 299×299 photos:
  * seconds per dream for the plain loop (below, float32) and for the engine at its default
    precision (auto: bf16 where the CPU has bf16 units) and at `--precision fp32`, their ratios
    to the plain loop and to each other;
  * `--cli`: the whole `dreamgan dream` command on the same photos, default and `--precision fp32`,
    start-up included (what a user waits for);
  * the pixel difference of the two dreams (they draw the same jitter sequence), with a
    side-by-side PNG (photo | plain loop | engine);
  * the machine's matmul GFLOP/s (fp32 and bf16) and the GFLOP/s the engine achieves;
  * the peak RSS of a 4096×4096 tiled dream (in a child process).

Usage: python benchmarks/engine.py [--images 2] [--repeats 3] [--out benchmarks/results] [--skip-rss] [--cli]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

from dreamgan.backbones import load_backbone
from dreamgan.backbones.inception_tf import build_inception_v3_tf
from dreamgan.data.photos import embedded_photo
from dreamgan.devices import bf16_is_native
from dreamgan.dream import DreamConfig, DreamEngine
from dreamgan.images import labelled_grid, resize_uint8, save_png, uint8_to_x01


# -- the baseline: a straightforward loop, as one would write it from the TF tutorial --------------
def plain_dream(x01: torch.Tensor, cfg: DreamConfig) -> torch.Tensor:
    """TF-tutorial DeepDream in plain PyTorch: full network, forward hooks, loss.backward().

    Same recipe as the engine (octaves with detail transfer, roll jitter, g / std(g) steps),
    and the same jitter draws, so the outputs are comparable pixel for pixel.
    """
    model = build_inception_v3_tf()  # the whole network, weights with requires_grad=True
    model.pool2 = torch.nn.Identity()  # the 8×8 pool head cannot run on the octaves below 299 px
    acts = {}
    for name in cfg.layers:
        getattr(model, name).register_forward_hook(lambda m, i, o, name=name: acts.__setitem__(name, o))
    gen = torch.Generator().manual_seed(cfg.seed)
    h, w = x01.shape[-2:]
    sizes = [(round(h * cfg.octave_scale ** -i), round(w * cfg.octave_scale ** -i)) for i in range(cfg.octaves)]
    bases = [x01 if s == (h, w) else F.interpolate(x01, size=s, mode="bilinear", align_corners=False, antialias=True) for s in sizes]
    detail = torch.zeros_like(bases[-1])
    for base in reversed(bases):
        detail = F.interpolate(detail, size=base.shape[-2:], mode="bilinear", align_corners=False) if detail.shape != base.shape else detail
        img = (base + detail).clamp(0, 1)
        for _ in range(cfg.steps):
            oy = int(torch.randint(-cfg.jitter, cfg.jitter + 1, (1,), generator=gen))
            ox = int(torch.randint(-cfg.jitter, cfg.jitter + 1, (1,), generator=gen))
            img = torch.roll(img, (oy, ox), (2, 3)).detach().requires_grad_(True)
            model.zero_grad()
            model((img * 255 - 128) / 128).sum()  # full forward; hooks keep the layers
            loss = sum(a.pow(2).mean() if cfg.reduction == "l2" else a.mean() for a in acts.values())
            loss.backward()
            g = img.grad
            img = (img + cfg.step_size * g / (g.std() + 1e-8)).clamp(0, 1).detach()
            img = torch.roll(img, (-oy, -ox), (2, 3))
        detail = img - base
    return img


def photos(n: int, size: int = 299) -> list[torch.Tensor]:
    names = ["chelsea", "astronaut", "coffee", "rocket"][:n]
    out = []
    for name in names:
        img = embedded_photo(name)
        s = min(img.shape[:2])
        y, x = (img.shape[0] - s) // 2, (img.shape[1] - s) // 2
        out.append(uint8_to_x01(resize_uint8(img[y:y + s, x:x + s], (size, size))))
    return out


def matmul_gflops(dtype: torch.dtype, n: int = 1024, repeats: int = 10) -> float:
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    t = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n ** 3 * repeats / (time.perf_counter() - t) / 1e9


def engine_flops(engine: DreamEngine, x01: torch.Tensor) -> float:
    """FLOPs of one dream: forward FLOPs of the truncated net (torch's FlopCounterMode) at each
    octave size × steps × 2, since the backward pass to the input costs about one forward."""
    from torch.utils.flop_counter import FlopCounterMode

    from dreamgan.dream.engine import octave_sizes

    cfg = engine.config
    total = 0.0
    for size in octave_sizes(*x01.shape[-2:], cfg.octaves, cfg.octave_scale, engine.min_side):
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            engine.net(torch.zeros(1, 3, *size), engine.objective.layers)
        total += 2 * cfg.steps * counter.get_total_flops()
    return total


def rss_child(size: int) -> None:
    """Dream a size×size image in tiles and print the peak RSS (GiB) of this process."""
    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(0)
    x = F.interpolate(torch.rand(1, 3, size // 64, size // 64, generator=g), size=(size, size), mode="bilinear")
    cfg = DreamConfig(octaves=2, steps=1, tile=512)
    t = time.perf_counter()
    out = DreamEngine(cfg).run(x)
    assert out.shape == x.shape
    print(json.dumps({"size": size, "seconds": time.perf_counter() - t,
                      "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20}))


def cli_seconds(xs: list[torch.Tensor], out: str, repeats: int) -> dict:
    """Best wall seconds of `dreamgan dream PHOTOS -o DIR` (a fresh process: start-up, network
    load and writing included) at the default precision and with `--precision fp32`."""
    import tempfile

    from dreamgan.images import x01_to_uint8

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, x in enumerate(xs):
            paths.append(os.path.join(tmp, f"photo{i}.png"))
            save_png(paths[-1], x01_to_uint8(x))
        commands = {"default": [], "fp32": ["--precision", "fp32"]}
        best = {k: float("inf") for k in commands}
        for _ in range(repeats):
            for name, extra in commands.items():
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "dreamgan", "dream", *paths, "-o", os.path.join(tmp, name), *extra],
                               check=True, capture_output=True)
                best[name] = min(best[name], time.perf_counter() - t)
    return {"images": len(xs), "default_seconds": round(best["default"], 2), "fp32_seconds": round(best["fp32"], 2),
            "default_speedup_vs_fp32": round(best["fp32"] / best["default"], 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="benchmarks/results")
    ap.add_argument("--skip-rss", action="store_true")
    ap.add_argument("--cli", action="store_true", help="also time the whole `dreamgan dream` command, default and --precision fp32")
    ap.add_argument("--rss-child", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rss_child:
        return rss_child(args.rss_child)
    torch.set_num_threads(2)
    cfg = DreamConfig(precision="fp32")  # the default recipe in float32, as the plain loop
    xs = photos(args.images)
    batch = torch.cat(xs)
    backbone = load_backbone(cfg.backbone)
    variants = {
        "engine": DreamConfig(),  # the default: precision auto, channels_last
        "engine_fp32": cfg,  # --precision fp32
        "engine_fp32_contiguous": cfg.replace(channels_last=False),
    }
    result: dict = {"recipe": cfg.to_dict(), "images": len(xs), "size": 299, "torch": torch.__version__,
                    "machine": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
                    "bf16_units": bf16_is_native(torch.device("cpu"))}

    # 1. the plain loop and the engine variants, interleaved over the repeats so that machine
    #    noise hits all of them alike; the best time of each counts.
    engines = {name: DreamEngine(vcfg, backbone=backbone) for name, vcfg in variants.items()}
    runs = {"plain": lambda: torch.cat([plain_dream(x, cfg) for x in xs])}
    for name, engine in engines.items():
        runs[name] = lambda engine=engine: torch.cat([engine.run(x) for x in xs])
        runs[name + "/batched"] = lambda engine=engine: engine.run(batch)
    best = {k: float("inf") for k in runs}
    outs = {}
    for _ in range(args.repeats):
        for k, fn in runs.items():
            t = time.perf_counter()
            outs[k] = fn()
            best[k] = min(best[k], time.perf_counter() - t)
    plain_s, plain_out = best["plain"], outs["plain"]
    result["repeats"] = args.repeats
    result["plain_seconds_per_image"] = plain_s / len(xs)
    for name, engine in engines.items():
        single_s, batch_s, single_out = best[name], best[name + "/batched"], outs[name]
        result[name] = {
            "seconds_per_image": single_s / len(xs),
            "seconds_per_image_batched": batch_s / len(xs),
            "speedup_vs_plain": plain_s / single_s,
            "speedup_vs_plain_batched": plain_s / batch_s,
            "mean_abs_pixel_diff_vs_plain": float((single_out - plain_out).abs().mean()),
            "max_abs_pixel_diff_vs_plain": float((single_out - plain_out).abs().max()),
            "precision": engine.config.precision,
        }
        if name == "engine_fp32":
            engine_out = single_out
            flops = engine_flops(engine, xs[0])
            result[name]["gflop_per_image"] = flops / 1e9
            result[name]["achieved_gflops"] = flops / 1e9 / (single_s / len(xs))
    # The algorithms are the same: after one step the two agree to float rounding; over many
    # steps rounding differences grow (gradient ascent through ReLUs amplifies them).
    one = cfg.replace(octaves=1, steps=1)
    result["one_step_max_abs_pixel_diff_vs_plain"] = float(
        (plain_dream(xs[0], one) - DreamEngine(one, backbone=backbone).run(xs[0])).abs().max())
    # 3. the machine's matmul throughput
    result["matmul_gflops_fp32"] = matmul_gflops(torch.float32)
    result["matmul_gflops_bf16"] = matmul_gflops(torch.bfloat16)
    result["engine_fp32"]["fraction_of_fp32_matmul_peak"] = result["engine_fp32"]["achieved_gflops"] / result["matmul_gflops_fp32"]
    result["default_speedup_vs_fp32"] = best["engine_fp32"] / best["engine"]
    # 4. a side-by-side PNG: photo | plain loop | engine
    os.makedirs(args.out, exist_ok=True)
    rows = [[xs[i], plain_out[i], engine_out[i]] for i in range(len(xs))]
    sheet = os.path.join(args.out, "engine_vs_plain.png")
    save_png(sheet, labelled_grid(rows, ["photo", "plain loop", "engine (fp32)"]))
    result["side_by_side_png"] = sheet
    # 5. the whole command, as a user runs it: default against --precision fp32, interleaved
    if args.cli:
        result["cli"] = cli_seconds(xs, args.out, args.repeats)
    # 6. peak memory of a 4096² tiled dream, in a fresh process
    if not args.skip_rss:
        child = subprocess.run([sys.executable, __file__, "--rss-child", "4096"], capture_output=True, text=True, check=True)
        result["tiled_4096"] = json.loads(child.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
