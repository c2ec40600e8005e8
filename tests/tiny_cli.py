"""`python tests/tiny_cli.py ARGS` runs `dreamgan ARGS` with the tests' tiny backbone registered,
for tests that need a real separate process (torchrun workers).

Env:
    DREAMGAN_TEST_TINY_WEIGHTS  the tiny backbone's weights file (the session fixture's).
    DREAMGAN_TEST_STOP_AFTER    N: every process gets a KeyboardInterrupt (as from Ctrl-C)
                                after N training steps, at the same point.
    DREAMGAN_TEST_KILL_AFTER    R:N: the process of rank R SIGKILLs itself after N training steps.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from conftest import tiny_backbone  # noqa: E402

from dreamgan.backbones import register_backbone  # noqa: E402


def _build(weights):
    net = tiny_backbone()
    net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return net


def _stop_after(n: int) -> None:
    import dreamgan.training.kinds as gan

    real, calls = gan.pix2pix_step, []

    def step(*args, **kwargs):
        if len(calls) == n:
            raise KeyboardInterrupt
        calls.append(1)
        return real(*args, **kwargs)

    gan.pix2pix_step = step


def _kill_after(rank: int, n: int) -> None:
    import signal

    import dreamgan.training.kinds as gan

    real, calls = gan.pix2pix_step, []

    def step(*args, **kwargs):
        if len(calls) == n and int(os.environ.get("RANK", "0")) == rank:
            os.kill(os.getpid(), signal.SIGKILL)
        calls.append(1)
        return real(*args, **kwargs)

    gan.pix2pix_step = step


if __name__ == "__main__":
    register_backbone("tiny", _build, weights=Path(os.environ["DREAMGAN_TEST_TINY_WEIGHTS"]), description="tests")
    if os.environ.get("DREAMGAN_TEST_STOP_AFTER"):
        _stop_after(int(os.environ["DREAMGAN_TEST_STOP_AFTER"]))
    if os.environ.get("DREAMGAN_TEST_KILL_AFTER"):
        _kill_after(*map(int, os.environ["DREAMGAN_TEST_KILL_AFTER"].split(":")))
    from dreamgan.cli import main

    main(sys.argv[1:])
