"""What the benchmarks time with: the median wall seconds of a call, after warm-up calls."""
from __future__ import annotations

import statistics
import time


def median_seconds(fn, repeats: int, *, warmup: int = 1) -> float:
    """Median seconds of `fn()` over `repeats` calls, after `warmup` untimed calls (allocation,
    oneDNN primitives, graph optimisation)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)
