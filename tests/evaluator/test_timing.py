"""The judge's timing protocol with fake runners on a fake clock: exact ratios, intervals, decisions, and the
checks that catch stale and cached answers. Nothing here is timed for real."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import pytest
import torch

from evaluator.judge.timing import Comparison, TimingConfig, calls_per_round, decide, measure
from evaluator.runner.protocol import Arg, Fetch, Load, Reply, Round, TensorSpec
from evaluator.stats import median_with_ci, order_rank
from tasks.model import Tolerance


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
    """Answers the judge's timing commands like a runner; a round advances the clock by what `cost` says for its
    calls (`cost(calls, new)`: `new` when the round's inputs differ from the previous round's)."""

    def __init__(self, clock: FakeClock, cost: Callable[[int, bool], float],
                 answer: Callable[[torch.Tensor], Any]) -> None:
        self.clock, self.cost, self.answer = clock, cost, answer
        self.loaded: list[Any] | None = None
        self.args: list[Any] = []
        self.seen: torch.Tensor | None = None
        self.outputs: list[torch.Tensor] = []
        self.sent: list[torch.Tensor] = []

    def write_args(self, args: list[Any]) -> list[Arg]:
        self.args = args
        return [Arg(value=list(a.shape)) for a in args]

    def request(self, message: Any, deadline: float) -> Reply:
        del deadline
        if isinstance(message, Load):
            return Reply()
        if isinstance(message, Round):
            new = self.seen is None or not torch.equal(self.seen, self.args[0])
            self.seen = self.args[0]
            self.clock.now += self.cost(message.calls, new)
            self.outputs = [self.answer(self.args[0])]
            return self._reply([out.reshape(-1)[torch.tensor(pos, dtype=torch.long)]
                                for out, pos in zip(self.outputs, message.sample)])
        assert isinstance(message, Fetch)
        return self._reply(self.outputs)

    def _reply(self, values: list[torch.Tensor]) -> Reply:
        """Specs as a runner would send them; the values themselves wait here for `read_outputs`."""
        self.sent = values
        specs = [TensorSpec(dtype=str(v.dtype).removeprefix("torch."), shape=list(v.shape), stride=list(v.stride()),
                            offset=0, nbytes=v.numel() * v.element_size()) for v in values]
        return Reply(outputs=specs)

    def read_outputs(self, specs: list[TensorSpec]) -> list[torch.Tensor]:
        return self.sent


def _fresh(bucket: int) -> list[Any]:
    return [torch.randn(64, generator=torch.Generator().manual_seed(bucket))]


def _measure(baseline: FakeRunner, candidate: FakeRunner, cpu: Callable[[], float] | None = None,
             **config: Any) -> Any:
    cfg = TimingConfig(**{"min_buckets": 12, "max_buckets": 12, **config})
    return measure(baseline, candidate, _fresh, cfg, deadline=math.inf, clock=baseline.clock,  # type: ignore[arg-type]
                   tolerance=Tolerance(), candidate_cpu=cpu)


def _honest(per_call: float) -> Callable[[int, bool], float]:
    return lambda calls, new: per_call * calls


def test_exact_ratio_on_a_fake_clock() -> None:
    clock = FakeClock()
    baseline = FakeRunner(clock, _honest(0.004), lambda x: x * 2)
    candidate = FakeRunner(clock, _honest(0.001), lambda x: x * 2)
    out = _measure(baseline, candidate)
    assert out.speedup == pytest.approx(4.0)
    margin = TimingConfig().process_margin
    assert out.ci == pytest.approx((4.0 * (1 - margin), 4.0 * (1 + margin)))
    assert out.decision is Comparison.faster and out.buckets == 12
    assert out.baseline_ms == pytest.approx(4.0) and out.candidate_ms == pytest.approx(1.0)
    assert out.stale_message is None and out.cached_message is None and out.busy_message is None


def test_a_stale_answer_in_a_timed_round_is_caught() -> None:
    clock = FakeClock()
    warm = _fresh(0)[0]
    baseline = FakeRunner(clock, _honest(0.002), lambda x: x * 2)
    # Right on the warm-up inputs, then the warm-up's answer again for every bucket's new inputs.
    candidate = FakeRunner(clock, _honest(0.001), lambda x: warm * 2)
    out = _measure(baseline, candidate)
    assert out.stale_message is not None and "timing bucket 1" in out.stale_message


def test_repeats_answered_from_a_cache_gain_nothing_however_they_are_paced() -> None:
    clock = FakeClock()
    baseline = FakeRunner(clock, _honest(0.002), lambda x: x * 2)
    # The full price for the first call on new inputs, then a third of it per repeat (a cache, padded so that its
    # rounds still grow with their calls): 2.9x on repeated calls, no faster than the baseline on a lone one.
    candidate = FakeRunner(clock, lambda calls, new: (0.002 if new else 0.0007) + 0.0007 * (calls - 1),
                           lambda x: x * 2)
    out = _measure(baseline, candidate)
    assert out.cached_message is not None and "lone calls" in out.cached_message
    assert out.speedup == pytest.approx(1.0) and out.calls_per_round == 1  # scored on the lone calls
    assert out.decision is Comparison.indistinguishable


def test_work_left_running_while_the_baseline_is_timed_is_caught() -> None:
    clock = FakeClock()
    baseline = FakeRunner(clock, _honest(0.002), lambda x: x * 2)
    candidate = FakeRunner(clock, _honest(0.001), lambda x: x * 2)
    # The kernel's count of the candidate's CPU time grows with the clock: it is busy while the baseline runs.
    out = _measure(baseline, candidate, cpu=lambda: clock.now * 0.5)
    assert out.busy_message is not None and "CPU" in out.busy_message
    assert _measure(baseline, candidate, cpu=lambda: 1.0).busy_message is None  # an idle runner uses none


def test_noise_that_straddles_one_widely_is_unstable() -> None:
    clock = FakeClock()
    noise = itertools.cycle([0.0004, 0.004, 0.0003, 0.008, 0.0009])
    baseline = FakeRunner(clock, _honest(0.002), lambda x: x * 2)
    candidate = FakeRunner(clock, lambda calls, new: next(noise) * calls, lambda x: x * 2)
    out = _measure(baseline, candidate, repeat_ratio=0.0)
    assert out.decision is Comparison.unstable and not out.stable


def test_lone_calls_get_buckets_of_their_own_before_they_decide() -> None:
    clock = FakeClock()
    baseline = FakeRunner(clock, _honest(0.002), lambda x: x * 2)
    # Looks cached (repeats cost half a lone call), so it is scored on lone calls; one of them woke up late. Eight
    # lone calls with that outlier give an interval from 0.1 to 2: unstable, for a kernel that is 2x on lone calls.
    lone = itertools.cycle([0.001, 0.02] + [0.001] * 10)
    candidate = FakeRunner(clock, lambda calls, new: (next(lone) if new else 0.0005) + 0.0005 * (calls - 1),
                           lambda x: x * 2)
    out = _measure(baseline, candidate, min_buckets=8, max_buckets=400)
    assert out.cached_message is not None and out.calls_per_round == 1
    assert out.decision is Comparison.faster and out.speedup == pytest.approx(2.0) and out.buckets > 8
