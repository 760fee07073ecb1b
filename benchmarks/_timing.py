"""Timing shared by the benchmarks: medians of repeated runs, measured in one process.

Absolute figures move with the machine's load; ratios between two things measured
in the same run, one right after the other, are what the benchmarks report.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

REPEATS = 15
TARGET_NS_PER_REPEAT = 20_000_000


def per_call_ns(func: Callable[[], object]) -> float:
    """Return the median time of one call, in nanoseconds, after a warm-up."""
    number = 1
    while True:  # warm-up, and find a loop count that makes each repeat ~20 ms
        start = time.perf_counter_ns()
        for _ in range(number):
            func()
        if time.perf_counter_ns() - start >= TARGET_NS_PER_REPEAT // 4:
            break
        number *= 2
    number *= 4
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter_ns()
        for _ in range(number):
            func()
        samples.append((time.perf_counter_ns() - start) / number)
    return statistics.median(samples)
