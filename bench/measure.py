"""Timing and memory: medians of repeated runs, and the peak resident memory of a process and its children."""
from __future__ import annotations

import os
import statistics
import threading
import time
from contextlib import contextmanager


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def tree_rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process and all its descendants, MB."""
    pid = pid or os.getpid()
    todo, total = [pid], 0
    while todo:
        p = todo.pop()
        total += _rss_kb(p)
        todo += _children(p)
    return total / 1024


class PeakRSS:
    """Samples the process tree's resident memory every few milliseconds; `.peak_mb` after the block."""

    def __init__(self, pid: int | None = None, every_s: float = 0.02):
        self.pid, self.every_s, self.peak_mb = pid, every_s, 0.0
        self._stop = threading.Event()

    def __enter__(self):
        self.peak_mb = tree_rss_mb(self.pid)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(self.every_s):
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def median_time(func, repeat: int, setup=None) -> tuple[float, list[float]]:
    """Median wall time of func() over `repeat` runs (setup() before each, untimed)."""
    times = []
    for _ in range(repeat):
        if setup:
            setup()
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def percentiles_ms(times_s: list[float]) -> dict[str, float]:
    ordered = sorted(times_s)

    def pick(q):
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000

    return {"p50_ms": round(pick(0.5), 2), "p95_ms": round(pick(0.95), 2)}


@contextmanager
def stopwatch():
    box = {}
    start = time.perf_counter()
    yield box
    box["s"] = time.perf_counter() - start
