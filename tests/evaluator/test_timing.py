"""The judge's timing protocol with fake runners on a fake clock: exact ratios, intervals, decisions, and the
checks that catch stale and cached answers. Nothing here is timed for real."""

from __future__ import annotations

import itertools
import math
import random
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from kernelwright.evaluator.judge import timing
from kernelwright.evaluator.judge.rounds import DeferredWork, InputsChanged, RoundDeadline, RoundFailed
from kernelwright.evaluator.judge.timing import measure
from kernelwright.evaluator.judge.timing_decision import Comparison, TimingConfig, calls_per_round, decide
from kernelwright.evaluator.judge.timing_lock import LockTimeout, TimingLock
from kernelwright.evaluator.result import TimingStop
from kernelwright.evaluator.runner.protocol import Arg, Load, Reply, Round, TensorSpec
from kernelwright.evaluator.stats import looks, median_with_ci, order_rank
from kernelwright.tasks.model import Tolerance


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
    calls (`cost(calls, new)`: `new` when the round's inputs differ from the previous round's). `cpu` is the
    kernel's count of its CPU time; `after_reply` is CPU it burns after answering a round (before it is frozen);
    `mutate` changes its inputs during a round."""

    def __init__(self, clock: FakeClock, cost: Callable[[int, bool], float],
                 answer: Callable[[torch.Tensor], Any], after_reply: float = 0.0, mutate: bool = False) -> None:
        self.clock, self.cost, self.answer = clock, cost, answer
        self.after_reply, self.mutate = after_reply, mutate
        self.config = SimpleNamespace(threads=1, arena_bytes=2**30)
        self.loaded: list[Any] | None = None
        self.args: list[Any] = []
        self.seen: torch.Tensor | None = None
        self.outputs: list[torch.Tensor] = []
        self.cpu = 0.0
        self.frozen = False
        self.alive = True
        self.freezes = 0
        self.starts: list[int] = []

    def write_args(self, args: list[Any], start: int = 0) -> list[Arg]:
        self.args = [a.clone() for a in args]
        self.starts.append(start)
        return [Arg(value=list(a.shape)) for a in args]

    def read_inputs(self, specs: list[Arg]) -> list[Any]:
        return self.args

    def cpu_seconds(self) -> float:
        return self.cpu

    def freeze(self, deadline: float) -> bool:
        self.cpu += self.after_reply  # what it did between its answer and standing still
        self.frozen, self.freezes = True, self.freezes + 1
        return True

    def thaw(self) -> None:
        self.frozen = False

    def request(self, message: Any, deadline: float) -> Reply:
        del deadline
        assert not self.frozen, "a command to a frozen runner"
        if isinstance(message, Load):
            return Reply()
        assert isinstance(message, Round)
        new = self.seen is None or not torch.equal(self.seen, self.args[0])
        self.seen = self.args[0].clone()
        self.clock.now += self.cost(message.calls, new)
        self.outputs = [self.answer(self.args[0])]
        if self.mutate:
            self.args[0].add_(1)
        return Reply(outputs=[TensorSpec(dtype=str(v.dtype).removeprefix("torch."), shape=list(v.shape),
                                         stride=list(v.stride()), offset=0, nbytes=v.numel() * v.element_size())
                              for v in self.outputs])

    def read_outputs(self, specs: list[TensorSpec]) -> list[torch.Tensor]:
        assert self.frozen, "outputs read from a runner that was not standing still"
        return [o.clone() for o in self.outputs]


def _fresh(bucket: int) -> list[Any]:
    return [torch.randn(64, generator=torch.Generator().manual_seed(bucket))]


def _measure(baseline: FakeRunner, candidate: FakeRunner, cpu: Callable[[], float] | None = None,
             lock: TimingLock | None = None, **config: Any) -> Any:
    cfg = TimingConfig(**{"min_buckets": 12, "max_buckets": 12, **config})
    return measure(baseline, candidate, _fresh, cfg, deadline=math.inf, clock=baseline.clock,  # type: ignore[arg-type]
                   tolerance=Tolerance(), candidate_cpu=cpu, lock=lock)


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


def test_an_honest_kernel_whose_first_lone_calls_all_woke_late_is_not_taken_for_a_cache() -> None:
    clock = FakeClock()
    baseline = FakeRunner(clock, _honest(0.002), lambda x: x * 2)
    # 1 ms a call, alone or repeated; but a loaded machine's scheduler woke each of its first 20 calls on new inputs
    # (warm-up and every bucket's lone call) 2 ms late: the busy CI run that judged an honest 3.5x kernel at half its
    # speed on lone calls. Before the second look it was scored 0.67x here.
    lone = itertools.chain([0.003] * 20, itertools.repeat(0.001))
    candidate = FakeRunner(clock, lambda calls, new: (next(lone) if new else 0.001) + 0.001 * (calls - 1),
                           lambda x: x * 2)
    out = _measure(baseline, candidate, max_buckets=400)
    assert out.cached_message is None and out.calls_per_round > 1
    assert out.speedup == pytest.approx(2.0) and out.decision is Comparison.faster


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


def test_outputs_are_read_only_from_a_frozen_runner() -> None:
    clock = FakeClock()
    baseline = FakeRunner(clock, _honest(0.002), lambda x: x * 2)
    candidate = FakeRunner(clock, _honest(0.001), lambda x: x * 2)
    _measure(baseline, candidate)  # FakeRunner.read_outputs asserts it was frozen
    assert candidate.freezes > 12 and baseline.freezes > 12 and not candidate.frozen


def test_work_after_answering_a_round_is_rejected() -> None:
    """Row 19: whatever a runner does between its answer and being frozen is deferred work."""
    clock = FakeClock()
    baseline = FakeRunner(clock, _honest(0.002), lambda x: x * 2)
    candidate = FakeRunner(clock, _honest(0.001), lambda x: x * 2, after_reply=0.05)
    with pytest.raises(RoundFailed) as failed:
        _measure(baseline, candidate)
    assert failed.value.side == "candidate" and isinstance(failed.value.error, DeferredWork)
    honest = FakeRunner(clock, _honest(0.001), lambda x: x * 2, after_reply=0.0002)
    assert _measure(baseline, honest).decision is Comparison.faster


def test_inputs_changed_during_a_timed_round_are_rejected() -> None:
    clock = FakeClock()
    baseline = FakeRunner(clock, _honest(0.002), lambda x: x * 2, mutate=True)  # the reference's are not checked
    candidate = FakeRunner(clock, _honest(0.001), lambda x: x * 2, mutate=True)
    with pytest.raises(RoundFailed) as failed:
        _measure(baseline, candidate)
    assert failed.value.side == "candidate" and isinstance(failed.value.error, InputsChanged)


def test_the_timing_lock_is_held_per_round_and_waited_for_with_a_deadline(tmp_path: Any) -> None:
    """Row 21: another evaluation's round holds the lock for one round, and no wait for it is unbounded."""
    path = str(tmp_path / "timing.lock")
    held, release = threading.Event(), threading.Event()

    def other_evaluation() -> None:
        with TimingLock(path).held(time.monotonic() + 5):
            held.set()
            release.wait(5)
    thread = threading.Thread(target=other_evaluation)
    thread.start()
    assert held.wait(5)
    start = time.monotonic()
    with pytest.raises(LockTimeout):
        with TimingLock(path).held(time.monotonic() + 0.2):
            pass
    assert time.monotonic() - start < 5
    release.set()
    thread.join()
    with TimingLock(path).held(time.monotonic() + 1):  # free again once the round is over
        pass


def test_a_round_past_its_own_deadline_is_a_round_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Row 21: a round gets a multiple of what its calls took before, not the whole evaluation's time, so a stalled
    round holds the timing lock (and delays other evaluations) for that long at most."""
    monkeypatch.setattr(timing, "ROUND_FLOOR_S", 0.05)
    clock = FakeClock()
    baseline = FakeRunner(clock, _honest(0.002), lambda x: x * 2)
    candidate = FakeRunner(clock, _honest(0.001), lambda x: x * 2)
    given: list[float] = []

    def stall(message: Any, deadline: float) -> Reply:
        if isinstance(message, Round):  # sleeps through its round, as the runner process would be killed at it
            given.append(deadline - time.monotonic())
            time.sleep(max(deadline - time.monotonic(), 0.0))
            candidate.alive = False
            raise TimeoutError("no answer before the deadline")
        return Reply()
    candidate.request = stall  # type: ignore[method-assign]
    cfg = TimingConfig(min_buckets=12, max_buckets=12)
    start = time.monotonic()
    with pytest.raises(RoundFailed) as failed:
        measure(baseline, candidate, _fresh, cfg, deadline=time.monotonic() + 3600,  # type: ignore[arg-type]
                clock=clock, tolerance=Tolerance(), per_call_s={"candidate": 0.001, "baseline": 0.002})
    assert failed.value.side == "candidate" and isinstance(failed.value.error, RoundDeadline)
    assert given and given[0] <= 0.06 and time.monotonic() - start < 60


def test_inputs_start_at_a_fresh_place_in_their_page_the_same_for_both_sides() -> None:
    """A memory-bound kernel's speed depends on how its input and output pages line up, and each process's heap puts
    its outputs elsewhere: a placement fixed for a whole measurement biased identical code by about 10%."""
    clock = FakeClock()
    baseline = FakeRunner(clock, _honest(0.002), lambda x: x * 2)
    candidate = FakeRunner(clock, _honest(0.002), lambda x: x * 2)
    _measure(baseline, candidate)
    assert all(s % 64 == 0 and 0 <= s < 4096 for s in baseline.starts + candidate.starts)
    assert len(set(candidate.starts)) > 4
    paired = baseline.starts[-24:], candidate.starts[-24:]  # 12 buckets: a lone and an n-call round per side each
    assert paired[0] == paired[1]
    buckets = paired[1][0::2]
    assert paired[1][1::2] == buckets, "a bucket's two rounds share their place"
    assert buckets[1] == buckets[0], "bucket 2 puts new values where bucket 1 was (row 4)"


# --- deciding early, at planned looks ------------------------------------------------------------------------------


def test_looks_split_the_error_rate_and_end_at_the_most_buckets() -> None:
    plan = looks(8, 60)
    assert plan.counts == (8, 12, 16, 24, 32, 48, 60)
    assert sum(plan.alphas) == pytest.approx(0.05) and all(a > 0 for a in plan.alphas)
    assert all(plan.confidence(k) > 0.95 for k in range(len(plan.counts)))
    assert looks(6, 6).counts == (6,) and looks(6, 6).confidence(0) == pytest.approx(0.95)
    with pytest.raises(ValueError):
        looks(10, 9)


def _ratio_sequence(rng: random.Random, truth: float, spread: float, count: int) -> list[float]:
    return [truth * math.exp(rng.gauss(0.0, spread)) for _ in range(count)]


def test_stopping_when_the_interval_decides_keeps_the_promised_error_rate() -> None:
    """Identical kernels (true ratio 1): stopping at the first look whose interval excludes 1 reports an interval
    that misses 1 in at most 5% of runs with the looks' split error rate; peeking at every bucket with plain 95%
    intervals, as a naive early stop would, misses far more often (so this test can tell the two apart)."""
    rng = random.Random(20261207)
    plan = looks(8, 60)
    runs, misses_planned, misses_naive = 2000, 0, 0
    for _ in range(runs):
        ratios = _ratio_sequence(rng, 1.0, 0.1, 60)
        for look, n in enumerate(plan.counts):
            _, lo, hi = median_with_ci(ratios[:n], plan.confidence(look))
            if lo > 1.0 or hi < 1.0 or look == len(plan.counts) - 1:
                misses_planned += lo > 1.0 or hi < 1.0
                break
        for n in range(8, 61):
            _, lo, hi = median_with_ci(ratios[:n])
            if lo > 1.0 or hi < 1.0:
                misses_naive += 1
                break
    assert misses_planned / runs <= 0.05, misses_planned
    assert misses_naive / runs > 0.1, misses_naive


def _noisy(per_call: float, spread: float, seed: int) -> Callable[[int, bool], float]:
    rng = random.Random(seed)
    return lambda calls, new: per_call * calls * math.exp(rng.gauss(0.0, spread))


def test_a_clearly_faster_kernel_stops_at_the_first_look() -> None:
    clock = FakeClock()
    baseline = FakeRunner(clock, _noisy(0.004, 0.08, 1), lambda x: x * 2)
    candidate = FakeRunner(clock, _noisy(0.001, 0.08, 2), lambda x: x * 2)
    out = _measure(baseline, candidate, min_buckets=8, max_buckets=60, target_width=0.01)
    assert out.decision is Comparison.faster and out.buckets == 8 and out.stop is TimingStop.decided
    assert out.confidence == pytest.approx(looks(8, 60).confidence(0))
    late = _measure(FakeRunner(clock, _noisy(0.004, 0.08, 1), lambda x: x * 2),
                    FakeRunner(clock, _noisy(0.001, 0.08, 2), lambda x: x * 2),
                    min_buckets=8, max_buckets=60, target_width=0.01, early_stop=False, budget_s=math.inf)
    assert late.buckets == 60 and late.stop is TimingStop.last_look and late.decision is Comparison.faster


def test_an_undecided_interval_goes_on_to_the_next_look_and_the_budget_stops_at_a_look() -> None:
    clock = FakeClock()
    # About 1.05x with wide noise: no look decides, each round costs fake time, the budget runs out.
    baseline = FakeRunner(clock, _noisy(0.0021, 0.3, 3), lambda x: x * 2)
    candidate = FakeRunner(clock, _noisy(0.002, 0.3, 4), lambda x: x * 2)
    out = _measure(baseline, candidate, min_buckets=8, max_buckets=60, budget_s=0.35, repeat_ratio=0.0,
                   wide=0.05)
    assert out.stop is TimingStop.budget and out.buckets in looks(8, 60).counts[1:-1]
    assert out.decision is Comparison.unstable and out.seconds >= 2 * 0.35  # undecided: twice the budget


def test_faster_but_wide_goes_on_until_the_interval_can_stand_for_the_speedup() -> None:
    """Faster at the first look, but wider than `wide` of the median: a reward would take its lower end, so timing
    goes on to a look where the interval is narrow enough (or the budget ends)."""
    clock = FakeClock()
    baseline = FakeRunner(clock, _noisy(0.006, 0.15, 5), lambda x: x * 2)
    candidate = FakeRunner(clock, _noisy(0.002, 0.15, 6), lambda x: x * 2)
    out = _measure(baseline, candidate, min_buckets=8, max_buckets=60, target_width=0.01, repeat_ratio=0.0,
                   budget_s=math.inf)
    first = median_with_ci(out.ratios[:8], looks(8, 60).confidence(0))
    assert first[1] * (1 - TimingConfig().process_margin) > 1.0, "faster at the first look already"
    assert out.buckets > 8 and out.stop is TimingStop.decided and out.decision is Comparison.faster
    assert out.ci[1] - out.ci[0] <= TimingConfig().wide * out.speedup
