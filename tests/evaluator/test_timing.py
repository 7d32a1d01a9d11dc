"""The judge's timing protocol with fake runners on a fake clock: exact ratios, intervals, decisions, and the
checks that catch stale and cached answers. Nothing here is timed for real."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import pytest
import torch

from evaluator.judge.timing import (
    Comparison,
    TimingConfig,
    TimingInputs,
    calls_per_round,
    decide,
    measure,
)
from evaluator.runner.protocol import Arg, Fetch, Load, Reply, Round
from evaluator.stats import median_with_ci, order_rank


def test_median_with_ci_brackets_the_median() -> None:
    values = [0.9, 1.0, 1.1, 0.95, 1.05, 1.02, 0.98, 1.01, 0.97]
    median, lo, hi = median_with_ci(values)
    assert median == pytest.approx(1.0)
    ordered = sorted(values)
    assert (lo, hi) == (ordered[1], ordered[7])  # 9 values: the 2nd smallest to the 2nd largest covers 96%


def test_order_rank_keeps_its_promised_coverage() -> None:
    for n in range(6, 80):
        j, coverage = order_rank(n)
        assert coverage >= 0.95
        assert order_rank(n, 0.95)[0] == j
        if j < n // 2:  # one rank further in would undercover
            assert 1 - 2 * sum(math.comb(n, i) for i in range(j + 1)) / 2**n < 0.95
    assert order_rank(5)[0] == 1  # too few values for 95%: the whole range


def test_median_with_ci_single_and_empty() -> None:
    assert median_with_ci([2.0]) == (2.0, 2.0, 2.0)
    with pytest.raises(ValueError):
        median_with_ci([])


@pytest.mark.parametrize(("interval", "decision"), [
    ((1.1, 1.3), Comparison.faster), ((0.7, 0.9), Comparison.slower),
    ((0.95, 1.05), Comparison.indistinguishable), ((0.5, 2.0), Comparison.unstable)])
def test_decide(interval: tuple[float, float], decision: Comparison) -> None:
    assert decide(1.0, *interval, wide=0.5) is decision


def test_calls_per_round_amortizes_the_fixed_cost() -> None:
    config = TimingConfig(min_round_ms=2, max_overhead=0.05, max_round_ms=250)
    n = calls_per_round(1e-3, 0.5e-3, 1e-3, config)
    assert n * 0.5e-3 * config.max_overhead >= 1e-3  # the fixed cost is at most 5% of the faster side's round
    assert calls_per_round(1.0, 1.0, 0.0, config) == 1  # a slow call: one per round, never zero


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeRunner:
    """Answers the judge's timing commands like a runner; a round advances the clock by what `cost` says."""

    def __init__(self, clock: FakeClock, cost: Callable[[int], float], answer: Callable[[torch.Tensor], Any]) -> None:
        self.clock, self.cost, self.answer = clock, cost, answer
        self.loaded: list[Any] | None = None
        self.args: list[Any] = []
        self.outputs: list[torch.Tensor] = []

    def write_args(self, args: list[Any]) -> list[Arg]:
        self.args = args
        return [Arg(value=list(a.shape)) for a in args]

    def request(self, message: Any, deadline: float) -> Reply:
        del deadline
        if isinstance(message, Load):
            return Reply()
        if isinstance(message, Round):
            self.clock.now += self.cost(message.calls)
            self.outputs = [self.answer(self.args[0])]
            picked = [out.reshape(-1)[torch.tensor(pos, dtype=torch.long)]
                      for out, pos in zip(self.outputs, message.sample)]
            return Reply.model_construct(outputs=picked)  # the fake hands tensors straight to `read_outputs`
        assert isinstance(message, Fetch)
        return Reply.model_construct(outputs=self.outputs)

    def read_outputs(self, outputs: list[Any]) -> list[Any]:
        return outputs


def _inputs(sets: int = 4) -> TimingInputs:
    data = [[torch.randn(64)] for _ in range(sets + 1)]
    return TimingInputs(data, [[x[0] * 2] for x in data])


def _measure(baseline: FakeRunner, candidate: FakeRunner, inputs: TimingInputs | None = None, **config: Any) -> Any:
    cfg = TimingConfig(**{"min_buckets": 12, "max_buckets": 12, **config})
    return measure(baseline, candidate, inputs or _inputs(), cfg, deadline=math.inf,  # type: ignore[arg-type]
                   clock=baseline.clock)


def test_exact_ratio_on_a_fake_clock() -> None:
    clock = FakeClock()
    baseline = FakeRunner(clock, lambda calls: 0.004 * calls, lambda x: x * 2)
    candidate = FakeRunner(clock, lambda calls: 0.001 * calls, lambda x: x * 2)
    out = _measure(baseline, candidate)
    assert out.speedup == pytest.approx(4.0)
    margin = TimingConfig().process_margin
    assert out.ci == pytest.approx((4.0 * (1 - margin), 4.0 * (1 + margin)))
    assert out.decision is Comparison.faster and out.buckets == 12
    assert out.baseline_ms == pytest.approx(4.0) and out.candidate_ms == pytest.approx(1.0)
    assert out.stale_message is None and out.cached_message is None


def test_a_wrong_answer_in_a_timed_round_is_stale() -> None:
    clock = FakeClock()
    inputs = _inputs()
    warm = inputs.sets[0][0]
    baseline = FakeRunner(clock, lambda calls: 0.002 * calls, lambda x: x * 2)
    # Right on the warm-up inputs, then the warm-up's answer again for the buckets' new inputs (a stale value).
    candidate = FakeRunner(clock, lambda calls: 0.001 * calls, lambda x: warm * 2)
    out = _measure(baseline, candidate, inputs)
    assert out.stale_message is not None and "timing bucket 1" in out.stale_message


def test_a_round_whose_time_does_not_grow_with_its_calls_is_caught() -> None:
    clock = FakeClock()
    baseline = FakeRunner(clock, lambda calls: 0.002 * calls, lambda x: x * 2)
    # Computes once per round and answers the repeats from a cache.
    candidate = FakeRunner(clock, lambda calls: 0.002 + 1e-6 * calls, lambda x: x * 2)
    out = _measure(baseline, candidate)
    assert out.cached_message is not None and "repeated calls" in out.cached_message


def test_noise_that_straddles_one_widely_is_unstable() -> None:
    clock = FakeClock()
    noise = itertools.cycle([0.0004, 0.004, 0.0003, 0.008])
    baseline = FakeRunner(clock, lambda calls: 0.002 * calls, lambda x: x * 2)
    candidate = FakeRunner(clock, lambda calls: next(noise) * calls, lambda x: x * 2)
    out = _measure(baseline, candidate, repeat_ratio=0.0)
    assert out.decision is Comparison.unstable and not out.stable
