"""Benchmark: GAN training throughput (images/s) in one process against data-parallel processes
under torchrun, side by side in one run, on this machine.

    python benchmarks/ddp_throughput.py [--data data/default] [--steps 60] [--batch 4]

Runs `dreamgan train` (the default `dream` preset, the real Inception statistics loss) three
ways on the same dataset and global batch:
  * 1 process, 1 thread;
  * 1 process, all threads (`nproc`; torch's intra-op parallelism);
  * `nproc` processes, 1 thread each (`torchrun --standalone`, gloo, DDP).
The last two are the fair pair: the same cores. Throughput is taken from the run's own
metrics.jsonl between step 10 and the last step, so start-up and the final evaluation are
left out. Without --data it first dreams a small 128 px dataset of the bundled photos.
Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def images_per_second(run: Path, batch: int) -> float:
    rows = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    timed = [r for r in rows if "seconds" in r and "eval" not in r and r["step"] >= 10]
    first, last = timed[0], timed[-1]
    return (last["step"] - first["step"]) * batch / (last["seconds"] - first["seconds"])


def train(data: str, out: Path, *, procs: int, threads: int, steps: int, batch: int) -> float:
    args = ["train", "--data", data, "--out", str(out), "--steps", str(steps), "--batch-size", str(batch),
            "--eval-every", str(10 * steps), "--no-fid", "--device", "cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    launcher = [sys.executable, "-m", "dreamgan"] if procs == 1 else \
        [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={procs}", "-m", "dreamgan"]
    subprocess.run([*launcher, *args], env=env, check=True, capture_output=True, text=True)
    (run,) = out.iterdir()
    return images_per_second(run, batch)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="A dataset (default: dream a small one of the bundled photos first).")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--batch", type=int, default=4, help="The global batch (split over the processes).")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            from dreamgan.data.dataset import make_dataset
            from dreamgan.dream import DreamConfig

            data = f"{tmp}/data/bench"
            make_dataset(data, count=12, size=160, recipe=DreamConfig(octaves=2, steps=3), val=0.2, test=0.2)
        rows = {}
        for label, procs, threads in (("1proc_1thread", 1, 1), (f"1proc_{cores}threads", 1, cores),
                                      (f"{cores}procs_1thread", cores, 1)):
            rows[label] = {"processes": procs, "threads_each": threads,
                           "images_per_s": round(train(data, Path(tmp) / label, procs=procs, threads=threads,
                                                       steps=args.steps, batch=args.batch), 3)}
    fair = rows[f"{cores}procs_1thread"]["images_per_s"] / rows[f"1proc_{cores}threads"]["images_per_s"]
    print(json.dumps({"cores": cores, "global_batch": args.batch, "steps": args.steps, "preset": "dream", "rows": rows,
                      "ddp_vs_threads": round(fair, 3),
                      "ddp_vs_1thread": round(rows[f"{cores}procs_1thread"]["images_per_s"] / rows["1proc_1thread"]["images_per_s"], 3)},
                     indent=1))


if __name__ == "__main__":
    main()
