"""Shared by the studio tests: a tiny trained pix2pix checkpoint and a polling helper."""
from __future__ import annotations

import io
import time

import numpy as np
from PIL import Image


def png_file_bytes(uint8: np.ndarray, **save) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(uint8).save(buf, format=save.pop("format", "PNG"), **save)
    return buf.getvalue()


def tiny_pix2pix_run(root, arch: str = "pix2pix"):
    """A pix2pix (or dcgan) run dir trained for 2 steps on a 6-photo, 48 px dataset."""
    from dreamgan.data.dataset import make_dataset
    from dreamgan.dream import DreamConfig
    from dreamgan.training.gan import TrainConfig, train_gan

    data = root / "data"
    if not (data / "dataset.json").exists():
        src = root / "photos"
        src.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(0)
        for i in range(6):
            small = rng.integers(0, 255, (4, 4, 3), dtype=np.uint8)
            Image.fromarray(small).resize((64, 64), Image.Resampling.BICUBIC).save(src / f"p{i}.png")
        make_dataset(data, source=src, count=6, size=48,
                     recipe=DreamConfig(layers=("mixed_1",), octaves=1, steps=2, tile=0), val=0.2, test=0.2, seed=0)
    size = 64 if arch == "dcgan" else 32
    cfg = TrainConfig.from_preset(None, arch=arch, data=str(data), out=str(root / "runs"), steps=2, image_size=size, batch_size=2,
                                  ngf=8, depth=3, ndf=8, eval_every=2, eval_fid=False)
    return train_gan(cfg).run_dir


def wait_job(client, job_id: str, timeout: float = 60.0) -> dict:
    """Poll GET /api/jobs/{id} until it is finished; returns its JSON."""
    deadline = time.time() + timeout
    while True:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        assert time.time() < deadline, f"job {job_id} still {job['state']} after {timeout} s"
        time.sleep(0.05)
