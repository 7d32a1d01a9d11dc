"""Timing statistics and the bucketed timing loop, with deterministic fake workloads."""

from __future__ import annotations

import itertools

import pytest

from evaluator.platforms import get_platform
from evaluator.stats import median_with_ci
from evaluator.timing import TimingConfig, measure


def test_median_with_ci_brackets_the_median() -> None:
    values = [0.9, 1.0, 1.1, 0.95, 1.05, 1.02, 0.98]
    median, lo, hi = median_with_ci(values)
    assert median == pytest.approx(1.0)
    assert lo <= median <= hi
    assert lo >= min(values) and hi <= max(values)


def test_median_with_ci_single_and_empty() -> None:
    assert median_with_ci([2.0]) == (2.0, 2.0, 2.0)
    with pytest.raises(ValueError):
        median_with_ci([])


class FakeClock:
    """A clock that advances only when a fake workload 'runs', so timings are exact."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_measure_reports_exact_ratio_with_fake_clock() -> None:
    clock = FakeClock()

    def baseline(_inputs: list[object]) -> str:
        clock.now += 0.004
        return "same"

    def candidate(_inputs: list[object]) -> str:
        clock.now += 0.001
        return "same"

    out = measure(baseline, candidate, lambda _b: [], get_platform("cpu"), clock, lambda a, b: None,
                  TimingConfig(buckets=5, min_bucket_ms=5))
    assert out.speedup == pytest.approx(4.0)
    assert out.ci == pytest.approx((4.0, 4.0))
    assert out.stable and out.buckets == 5
    assert out.baseline_ms == pytest.approx(4.0) and out.candidate_ms == pytest.approx(1.0)


def test_measure_flags_stale_outputs() -> None:
    clock = FakeClock()
    calls = itertools.count()

    def candidate(_inputs: list[object]) -> int:
        clock.now += 0.001
        return 0  # a cached answer: never changes

    def baseline(inputs: list[object]) -> int:
        clock.now += 0.001
        return inputs[0]  # type: ignore[return-value]

    out = measure(baseline, candidate, lambda b: [b], get_platform("cpu"), clock,
                  lambda a, b: None if a == b else f"{a} != {b}", TimingConfig(buckets=4, min_bucket_ms=1))
    assert out.stale_message is not None and "timing bucket 1" in out.stale_message
    assert next(calls) == 0


def test_measure_retries_then_reports_unstable() -> None:
    clock = FakeClock()
    noise = itertools.cycle([0.001, 0.010, 0.0005, 0.02])

    def baseline(_inputs: list[object]) -> int:
        clock.now += 0.002
        return 1

    def candidate(_inputs: list[object]) -> int:
        clock.now += next(noise)
        return 1

    out = measure(baseline, candidate, lambda _b: [], get_platform("cpu"), clock, lambda a, b: None,
                  TimingConfig(buckets=4, min_bucket_ms=0.001, min_runs=1, max_runs=1, warmup_runs=0,
                               max_relative_ci=0.1, retries=1))
    assert not out.stable
    assert out.retries == 1 and out.buckets == 8
