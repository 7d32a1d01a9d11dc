"""Stage 5: faster than physics (docs/reward-hacks.md row 14).

A candidate whose time implies more bytes per second or FLOPs per second than the device's measured
peak skipped work the task requires. The margin allows for measured peaks being below theoretical ones
and for data that stays in cache.
"""

from __future__ import annotations

from collections.abc import Callable

from kernelwright.evaluator.platforms.base import Peaks

PEAK_MARGIN = 3.0


def above_peak(flops: float | None, bytes_moved: float | None, candidate_s: float,
               peaks: Peaks) -> tuple[float | None, float | None, str | None]:
    """Achieved GFLOP/s and GB/s, and a message when either exceeds `PEAK_MARGIN` x the peak."""
    gflops = flops / candidate_s / 1e9 if flops and candidate_s > 0 else None
    gbps = bytes_moved / candidate_s / 1e9 if bytes_moved and candidate_s > 0 else None
    if gflops is not None and gflops > PEAK_MARGIN * peaks.gflops:
        return gflops, gbps, (f"{gflops:.1f} GFLOP/s achieved vs a measured peak of {peaks.gflops:.1f}: "
                              "faster than the hardware allows, so work was skipped")
    if gbps is not None and gbps > PEAK_MARGIN * peaks.gbps:
        return gflops, gbps, (f"{gbps:.1f} GB/s achieved vs a measured peak of {peaks.gbps:.1f}: "
                              "faster than the memory allows, so work was skipped")
    return gflops, gbps, None


def check_against_peaks(flops: float | None, bytes_moved: float | None, candidate_s: float, peaks: Peaks,
                        remeasure: Callable[[], Peaks | None]) -> tuple[float | None, float | None, str | None]:
    """`above_peak`, but a kernel is rejected only against peaks measured again just now (`remeasure`): cached
    peaks taken on a busy machine are too low, and would call an honest kernel faster than physics."""
    gflops, gbps, problem = above_peak(flops, bytes_moved, candidate_s, peaks)
    if problem is None:
        return gflops, gbps, None
    fresh = remeasure()
    if fresh is None:
        return gflops, gbps, problem
    return above_peak(flops, bytes_moved, candidate_s, fresh)
