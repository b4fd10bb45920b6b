"""Shared timing helpers and the result row every benchmark returns."""

from __future__ import annotations

import gc
import subprocess
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Spread:
    """The lowest and highest of repeated measurements (shown beside their median)."""

    low: float
    high: float

    @classmethod
    def of(cls, values: list[float], scale: float = 1.0) -> Spread:
        return cls(min(values) * scale, max(values) * scale)

    def __str__(self) -> str:
        return f"{self.low:,.3g}-{self.high:,.3g}"


@dataclass(frozen=True)
class Row:
    """One measured figure beside its baseline (same run, same machine)."""

    bench: str
    name: str
    figure: float
    unit: str
    baseline_name: str
    baseline: float
    goal: str = ""
    spread: Spread | None = None
    baseline_spread: Spread | None = None

    @property
    def ratio(self) -> float:
        return self.figure / self.baseline if self.baseline else float("nan")


def reap(proc: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Wait for a child told to stop (killed after ``timeout``); close its stdout."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    """Best wall time of ``repeat`` runs, in seconds (GC off while timing)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        finally:
            gc.enable()
    return min(times)


def peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated through Python's allocators while ``fn`` runs,
    counting what its result keeps alive."""
    gc.collect()
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak
