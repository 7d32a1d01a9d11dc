"""The leaderboard's formulas on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from kernelwright.agent.bench.config import Split, Suite, select_tasks
from kernelwright.agent.bench.metrics import (
    Sample,
    TaskOutcome,
    expected_best_of_k,
    geomean_with_ci,
    group_metrics,
    k_values,
    pass_at_k,
)
from kernelwright.agent.strategies import strategy_names
from kernelwright.agent.strategies.base import strategy_class


def test_pass_at_k_is_the_unbiased_estimator() -> None:
    assert pass_at_k(4, 0, 1) == 0.0
    assert pass_at_k(4, 4, 1) == 1.0
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    # 1 - C(2,2)/C(4,2) = 1 - 1/6
    assert pass_at_k(4, 2, 2) == pytest.approx(5 / 6)
    assert pass_at_k(4, 3, 2) == 1.0


def test_expected_best_of_k_enumerates_subsets() -> None:
    values = [1.0, 2.0, 4.0]
    # pairs: (1,2)->2, (1,4)->4, (2,4)->4: mean 10/3
    assert expected_best_of_k(values, 2) == pytest.approx(10 / 3)
    assert expected_best_of_k(values, 1) == pytest.approx(7 / 3)
    assert expected_best_of_k(values, 3) == 4.0


def test_k_values() -> None:
    assert k_values(1) == [1]
    assert k_values(5) == [1, 2, 4, 5]
    assert k_values(8) == [1, 2, 4, 8]


def test_geomean_interval_brackets_the_point() -> None:
    point, lo, hi = geomean_with_ci([1.0, 2.0, 4.0, 8.0])
    assert point == pytest.approx(math.sqrt(8))
    assert lo < point < hi
    assert geomean_with_ci([3.0]) == (pytest.approx(3.0), pytest.approx(3.0), pytest.approx(3.0))


def _outcome(task_id: str, speedups: list[float | None], level: int = 1, compile_ratio: float | None = None,
             evaluations: int = 0, build_errors: int = 0) -> TaskOutcome:
    samples = [Sample(trajectory=i, correct=s is not None, speedup=s,
                      speedup_ci=None if s is None else (s * 0.9, s * 1.1)) for i, s in enumerate(speedups)]
    timed = [s for s in speedups if s is not None]
    best = max(timed, default=None)
    outcome = TaskOutcome(task_id=task_id, category=task_id.split("/")[0], level=level, held_out=False,
                          samples=samples, correct=best is not None, speedup=best,
                          speedup_ci=None if best is None else (best * 0.9, best * 1.1), evaluations=evaluations,
                          build_errors=build_errors)
    if compile_ratio is not None:
        outcome.compile_ratio = compile_ratio
        if best is not None:
            outcome.vs_compile = best / compile_ratio
    return outcome


def test_group_metrics_count_failures_against_every_threshold() -> None:
    outcomes = [_outcome("a/x", [3.0, None], compile_ratio=2.0, evaluations=2),
                _outcome("a/y", [0.8, 1.2], compile_ratio=2.0, evaluations=2),
                _outcome("b/z", [None, None], evaluations=2, build_errors=2)]
    m = group_metrics(outcomes, samples=2)
    assert m.tasks == 3
    assert m.fast_p == {"0": pytest.approx(2 / 3), "0.5": pytest.approx(2 / 3), "1": pytest.approx(2 / 3),
                        "1.5": pytest.approx(1 / 3), "2": pytest.approx(1 / 3)}
    assert m.geomean == pytest.approx(math.sqrt(3.0 * 1.2))
    # pass@1: (1/2 + 2/2 + 0) / 3
    assert m.pass_at_k["1"] == pytest.approx(0.5)
    assert m.pass_at_k["2"] == pytest.approx(2 / 3)
    # speedup@1: per task mean of max(1, s) (failures 1.0): 2.0, 1.1, 1.0 -> geomean
    assert m.speedup_at_k["1"] == pytest.approx((2.0 * 1.1 * 1.0) ** (1 / 3))
    assert m.speedup_at_k["2"] == pytest.approx((3.0 * 1.2 * 1.0) ** (1 / 3))
    assert m.build_error_rate == pytest.approx(2 / 6)
    # vs compile: 3.0/2 = 1.5 (> 1), 1.2/2 = 0.6; fast_1 over the two tasks with a compile baseline
    assert m.compile_tasks == 2 and m.fast_1_vs_compile == pytest.approx(0.5)
    assert m.geomean_vs_compile == pytest.approx(math.sqrt(1.5 * 0.6))
    assert m.verified_fast_1 == pytest.approx(2 / 3)


def test_pass_at_k_below_the_sample_count_needs_independent_samples() -> None:
    # Under evolution or tree a worker refines the others' kernels: 1 of 4 correct is not a 25% pass@1.
    outcomes = [_outcome("a/x", [2.0, None, None, None]), _outcome("a/y", [None, None, None, None])]
    independent = group_metrics(outcomes, samples=4)
    assert set(independent.pass_at_k) == {"1", "2", "4"} and independent.pass_at_k["1"] == pytest.approx(0.125)
    pooled = group_metrics(outcomes, samples=4, independent=False)
    assert set(pooled.pass_at_k) == set(pooled.speedup_at_k) == {"4"}
    assert pooled.pass_at_k["4"] == pytest.approx(0.5) and pooled.speedup_at_k["4"] == pytest.approx(2 ** 0.5)


def test_only_the_parallel_strategy_declares_independent_workers() -> None:
    assert {name: strategy_class(name).independent_workers for name in strategy_names()} == {
        "evolution": False, "parallel": True, "tree": False}


def test_selection_by_suite_glob_and_split() -> None:
    smoke = select_tasks(Suite.smoke, [], Split.all)
    assert len({t.category for t in smoke}) == len(smoke) == 15
    pooling = select_tasks(None, ["pooling/*"], Split.all)
    assert {t.id for t in pooling} >= {"pooling/max_pool2d", "pooling/lp_pool2d"}
    public = select_tasks(None, ["pooling/*"], Split.public)
    held = select_tasks(None, ["pooling/*"], Split.held_out)
    assert [t.id for t in held] == ["pooling/lp_pool2d"]
    assert len(public) + len(held) == len(pooling)
    builtin_held = select_tasks(Suite.builtin, [], Split.held_out)
    assert len(builtin_held) == 15 and all(t.held_out for t in builtin_held)
