"""Cached peak rates that stay honest: re-measured when stale, when measured under load, or when a kernel would be
rejected against them.

A peak measured while the machine was busy is too low, and a too-low peak rejects honest kernels as faster than
physics (row 14). Peaks are physical upper bounds that noise only ever lowers, so a new measurement can only raise
the cached one: the best of every measurement is kept, with when it was taken and the load average then.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from kernelwright.evaluator.platforms.base import Peaks

STALE_S = 7 * 24 * 3600
# A measurement under a load average above this share of the cores is taken again, at most once per
# `BUSY_RETRY_S` (a machine that is always busy must not pay for a measurement on every evaluation).
BUSY_SHARE = 0.5
BUSY_RETRY_S = 3600.0
# How long a re-measurement waits for a quieter moment before it measures anyway.
QUIET_WAIT_S = 5.0
TRIES = 3


def load_per_core() -> float | None:
    """The 1-minute load average per core, where the OS tells it."""
    try:
        return os.getloadavg()[0] / max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return None


class PeakCache:
    """The peaks of one device, in `path`, measured by `measure` (one measurement, best of its own trials)."""

    def __init__(self, path: Path, measure: Callable[[], Peaks], clock: Callable[[], float] = time.time,
                 load: Callable[[], float | None] = load_per_core, sleep: Callable[[float], None] = time.sleep) -> None:
        self.path, self.measure, self.clock, self.load, self.sleep = path, measure, clock, load, sleep

    def cached(self) -> Peaks | None:
        try:
            return Peaks.model_validate_json(self.path.read_text())
        except (OSError, ValueError):
            return None

    def get(self) -> Peaks:
        """The cached peaks, re-measured first when missing, stale, or measured on a busy machine."""
        peaks = self.cached()
        if peaks is None or self.stale(peaks):
            return self.refresh()
        return peaks

    def stale(self, peaks: Peaks) -> bool:
        if peaks.measured_at is None or self.clock() - peaks.measured_at > STALE_S:
            return True
        busy = peaks.load is not None and peaks.load > BUSY_SHARE
        return busy and self.clock() - peaks.measured_at > BUSY_RETRY_S

    def refresh(self) -> Peaks:
        """Measure again at the quietest moment within `QUIET_WAIT_S`, best of `TRIES`, and keep the best of this
        and every earlier measurement."""
        deadline = self.clock() + QUIET_WAIT_S
        load = self.load()
        while load is not None and load > BUSY_SHARE and self.clock() < deadline:
            self.sleep(0.5)
            load = self.load()
        fresh = [self.measure() for _ in range(TRIES)]
        best = Peaks(gbps=max(p.gbps for p in fresh), gflops=max(p.gflops for p in fresh), measured_at=self.clock(),
                     load=load)
        old = self.cached()
        if old is not None:
            best = best.model_copy(update={"gbps": max(best.gbps, old.gbps), "gflops": max(best.gflops, old.gflops)})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(best.model_dump_json())
        partial.replace(self.path)
        return best
