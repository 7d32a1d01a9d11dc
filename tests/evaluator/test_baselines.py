"""Baseline measurements: eager vs torch.compile, side by side, in the sandbox child."""

from __future__ import annotations

import pytest

from kernelwright.evaluator import BaselineStatus, EvalOptions, measure_baselines
from kernelwright.tasks.registry import resolve_task

pytestmark = pytest.mark.slow


def test_eager_and_compiled_are_timed_side_by_side() -> None:
    task = resolve_task("activation/relu")
    result = measure_baselines(task, "cpu", EvalOptions(threads=1, buckets=6))
    assert result.status in (BaselineStatus.measured, BaselineStatus.unstable), result.message + result.log[-2000:]
    assert result.eager is not None and result.compiled is not None
    assert 0 < result.eager.min_ms <= result.eager.median_ms
    assert result.eager.ci_ms[0] <= result.eager.median_ms <= result.eager.ci_ms[1]
    assert result.compiled.median_ms > 0 and result.compile_seconds is not None and result.compile_seconds > 0
    assert result.task_id == task.id and result.task_hash == task.source_hash and result.hardware
    if result.status is BaselineStatus.measured:
        lo, hi = result.compile_speedup_ci  # type: ignore[misc]
        assert lo <= result.compile_speedup <= hi  # type: ignore[operator]


def test_eager_only_when_compile_is_not_asked_for() -> None:
    result = measure_baselines(resolve_task("activation/relu"), "cpu",
                               EvalOptions(threads=1, buckets=4, compile_baseline=False))
    assert result.status is BaselineStatus.measured and result.eager is not None
    assert result.compiled is None and result.compile_speedup is None and result.compile_seconds is None


def test_a_platform_that_times_nothing_here_runs_nothing() -> None:
    result = measure_baselines(resolve_task("activation/relu"), "cuda")
    assert result.status is BaselineStatus.not_timed and result.eager is None and "cuda" in result.message
