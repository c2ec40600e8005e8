"""Data-parallel training over processes: PyTorch's `torch.distributed`, started by `torchrun`.

    torchrun --standalone --nproc_per_node K -m dreamgan train --data data/NAME ...
    torchrun --nnodes M --node_rank I --rdzv_endpoint HOST:PORT --nproc_per_node K -m dreamgan train ...

torchrun sets RANK, LOCAL_RANK, WORLD_SIZE and the rendezvous for each process; `World`
joins the process group from them (`gloo` on CPU, `nccl` on CUDA, one GPU per local rank) and
wraps the networks in `DistributedDataParallel`, which averages the gradients.

What makes K processes train like one (docs/scaling.md):
  * `--batch-size` is the *global* batch. Every process draws the whole global batch of a step
    from the generator seeded by (seed, step), as one process does, and keeps its own slice
    (`World.take`): the parts are disjoint and their union is the one-process batch.
  * The generator's noise and the losses' random projections are drawn the same way, for the
    global batch, so each image meets the noise it would meet in one process.
  * Every loss of the default `dream` preset is a mean over images, so DDP's mean of the
    per-process gradients is the one-process gradient: the weights agree to float tolerance
    (tests/test_distributed.py), the learning rate stays the same, and checkpoints are the
    one-process format, so `--resume` works from one process to K and back.
  * Rank 0 alone writes the run directory: config, metrics, checkpoints, samples, curves.
"""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

import torch
import torch.distributed as dist

from dreamgan.devices import resolve_device
from dreamgan.errors import DreamganError

T = TypeVar("T")


def launched_world_size() -> int:
    """How many processes torchrun started for this job (1 outside torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """True outside torchrun and on its rank 0 (the one process that writes and reports)."""
    return int(os.environ.get("RANK", "0")) == 0


@dataclass
class World:
    """This process's place in the job: rank, world size and device (a world of 1 does nothing)."""

    rank: int
    size: int
    device: torch.device
    owns_group: bool = False
    """True when `join_world` made the process group (and `close` ends it)."""

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def part(self) -> tuple[int, int]:
        """(rank, size): which part of a global batch this process computes."""
        return self.rank, self.size

    def take(self, t: torch.Tensor) -> torch.Tensor:
        """This rank's slice of a global batch (B, ...) → (B / size, ...)."""
        per = t.shape[0] // self.size
        return t[self.rank * per:(self.rank + 1) * per]

    def wrap(self, module: torch.nn.Module) -> torch.nn.Module:
        """`module` in DistributedDataParallel (it averages gradients over processes), or as is."""
        if self.size == 1 or not any(p.requires_grad for p in module.parameters()):
            return module
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids)

    def mean(self, values: dict[str, float]) -> dict[str, float]:
        """The mean of each value over processes (every process gets the same dict)."""
        if self.size == 1 or not values:
            return values
        keys = sorted(values)
        t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return {k: float(v) / self.size for k, v in zip(keys, t.tolist())}

    def from_main(self, make: Callable[[], T]) -> T:
        """`make()` on rank 0 and its result on every rank; a `DreamganError` there is raised
        on every rank (so no process waits forever for one that failed)."""
        if self.size == 1:
            return make()
        box: list = [None]
        if self.is_main:
            try:
                box[0] = ("ok", make())
            except DreamganError as e:
                box[0] = ("error", str(e))
        dist.broadcast_object_list(box, src=0)
        kind, value = box[0]
        if kind == "error":
            raise DreamganError(value)
        return value

    def barrier(self) -> None:
        if self.size > 1:
            dist.barrier()

    def lost_peer(self, error: BaseException) -> bool:
        """True when `error` is a collective failing because another process is gone (killed,
        crashed): gloo's "Connection reset/closed by peer", nccl's remote errors."""
        if self.size == 1 or not isinstance(error, RuntimeError):
            return False
        text = str(error).lower()
        return isinstance(error, getattr(dist, "DistBackendError", ())) or any(
            s in text for s in ("connection reset by peer", "connection closed by peer", "broken pipe", "remote process exited"))

    def lost_peer_message(self, latest: Path, saved_step: int | None) -> str:
        """One line for the main process when another rank is gone: which, what was saved, how to go on."""
        others = [r for r in range(self.size) if r != self.rank]
        who = f"rank {others[0]}" if len(others) == 1 else f"one of ranks {others[0]}–{others[-1]}"
        saved = (f"{latest} holds step {saved_step}; rerun the same command with --resume to continue from there"
                 if saved_step is not None else "no checkpoint was saved yet; rerun the same command to start again")
        return f"{who} of this torchrun job is gone (killed or crashed), so training stopped; {saved}"

    def close(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()


def join_world(device: str = "auto", *, timeout_minutes: float = 60.0) -> World:
    """This process's `World`: joins torchrun's process group when WORLD_SIZE > 1.

    The device: with more than one process, `auto` and `cuda` mean the GPU of this local rank
    (`cuda:LOCAL_RANK`, backend nccl); `cpu` (or no CUDA) means backend gloo. The timeout
    bounds how long ranks wait for rank 0's evaluations and checkpoints.

    Raises:
        DreamganError: a bad --device, or `cuda:N` under torchrun (each rank takes its own GPU).
    """
    size = launched_world_size()
    if size == 1:
        return World(0, 1, resolve_device(device))
    name = (device or "auto").strip().lower()
    if name.startswith("cuda:"):
        raise DreamganError("under torchrun each process takes the GPU of its LOCAL_RANK: use --device cuda or auto, not cuda:N")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    resolved = resolve_device(name)
    if resolved.type == "cuda":
        resolved = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(resolved)
    owns = not dist.is_initialized()
    if owns:
        dist.init_process_group("nccl" if resolved.type == "cuda" else "gloo",
                                timeout=datetime.timedelta(minutes=timeout_minutes))
    return World(dist.get_rank(), dist.get_world_size(), resolved, owns_group=owns)


__all__ = ["World", "is_main_process", "join_world", "launched_world_size"]
