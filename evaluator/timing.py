"""Stage 4: side-by-side timing of baseline and candidate.

Baseline and candidate are timed in buckets; within a bucket their order is random, every run starts
from a flushed cache (the CPU's last-level cache, or the GPU's L2), and both see the same fresh inputs
(new values at the same addresses, so a cache keyed on pointers goes stale: row 4). The speedup is the
median of per-bucket ratios, with a bootstrap interval; a measurement whose interval is too wide is
retried, then reported as unstable.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from evaluator.platforms.base import Platform
from evaluator.stats import median_with_ci

Runner = Callable[[list[object]], object]


@dataclass
class TimingConfig:
    buckets: int = 12
    min_bucket_ms: float = 10.0
    min_runs: int = 3
    max_runs: int = 50
    warmup_runs: int = 3
    # An interval wider than this fraction of the median is not a measurement worth reporting.
    max_relative_ci: float = 0.5
    retries: int = 1


@dataclass
class TimingOutcome:
    speedup: float
    ci: tuple[float, float]
    baseline_ms: float
    candidate_ms: float
    baseline_min_ms: float
    candidate_min_ms: float
    ratios: list[float]
    runs_per_bucket: int
    buckets: int
    retries: int
    stable: bool
    stale_message: str | None = None
    bucket_times: dict[str, list[float]] = field(default_factory=dict)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def measure(
    baseline: Runner,
    candidate: Runner,
    fresh_inputs: Callable[[int], list[object]],
    platform: Platform,
    timer: Callable[[], float],
    check: Callable[[object, object], str | None],
    config: TimingConfig | None = None,
    seed: int = 0,
) -> TimingOutcome:
    """Time both sides; `check(baseline_out, candidate_out)` returns a message when outputs differ."""
    cfg = config or TimingConfig()
    rng = random.Random(seed)
    inputs = fresh_inputs(0)

    # The platform's stopwatch: the host clock on the CPU, CUDA events on a GPU. Either way it stops only
    # after every stream has finished, so work left on a side stream is counted (row 2).
    watch = platform.stopwatch(timer)

    def one(fn: Runner) -> tuple[float, object]:
        platform.flush_cache()
        platform.synchronize()
        watch.start()
        out = fn(inputs)
        return watch.stop(), out

    for _ in range(cfg.warmup_runs):
        one(baseline)
        one(candidate)
    slowest = max(one(baseline)[0], one(candidate)[0])
    runs = max(cfg.min_runs, min(cfg.max_runs, math.ceil(cfg.min_bucket_ms / 1e3 / max(slowest, 1e-7))))

    ratios: list[float] = []
    times: dict[str, list[float]] = {"baseline": [], "candidate": []}
    mins = {"baseline": math.inf, "candidate": math.inf}
    attempt, buckets = 0, cfg.buckets
    while True:
        for bucket in range(len(ratios), buckets):
            inputs = fresh_inputs(bucket + 1)
            order = [("baseline", baseline), ("candidate", candidate)]
            rng.shuffle(order)
            per_side: dict[str, float] = {}
            outs: dict[str, object] = {}
            for name, fn in order:
                samples = []
                for _ in range(runs):
                    elapsed, outs[name] = one(fn)
                    samples.append(elapsed)
                per_side[name] = _median(samples)
                mins[name] = min(mins[name], min(samples))
            stale = check(outs["baseline"], outs["candidate"])
            if stale:
                return TimingOutcome(0.0, (0.0, 0.0), 0.0, 0.0, 0.0, 0.0, ratios, runs, bucket + 1, attempt, False,
                                     stale_message=f"timing bucket {bucket + 1}: {stale}")
            times["baseline"].append(per_side["baseline"])
            times["candidate"].append(per_side["candidate"])
            ratios.append(per_side["baseline"] / max(per_side["candidate"], 1e-12))
        speedup, lo, hi = median_with_ci(ratios, seed=seed)
        stable = (hi - lo) <= cfg.max_relative_ci * speedup
        if stable or attempt >= cfg.retries:
            break
        attempt += 1
        buckets += cfg.buckets
    return TimingOutcome(
        speedup=speedup,
        ci=(lo, hi),
        baseline_ms=_median(times["baseline"]) * 1e3,
        candidate_ms=_median(times["candidate"]) * 1e3,
        baseline_min_ms=mins["baseline"] * 1e3,
        candidate_min_ms=mins["candidate"] * 1e3,
        ratios=ratios,
        runs_per_bucket=runs,
        buckets=len(ratios),
        retries=attempt,
        stable=stable,
        bucket_times=times,
    )
