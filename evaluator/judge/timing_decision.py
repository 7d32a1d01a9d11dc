"""Stage 4's statistics: what a measurement's bucket ratios say, when they have said enough, and the verdict.

Bucket ratios (of the n-call rounds) give a median and a distribution-free interval (evaluator/stats.py), widened
by a margin for what differs between two processes (`process_margin`). The interval is looked at only at planned
numbers of buckets (8, 12, 16, 24, ... by default), and the 5% error rate is split between those looks (alpha
spending, `stats.looks`): each look's interval has its own, higher confidence, so stopping at whichever look first
decides keeps the promise that the interval reported misses the true ratio at most 5% of the time. Timing stops at
the first look where the interval decides (clearly slower; clearly faster, no wider than `wide` of the median; or
indistinguishable from 1 within `wide`; `early_stop`), is narrow (`target_width` of the median), or once the budget
is spent (checked at looks only, so a loaded machine may take up to the next look past it; an interval that decides
nothing yet gets up to twice the budget, since stopping it would make every bucket so far an `unstable` verdict).
Then the decision: faster (interval above 1), slower (below 1), indistinguishable (contains 1, narrow) or unstable
(contains 1 and wide).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from kernelwright.evaluator.result import TimingStop
from kernelwright.evaluator.stats import Looks, median, median_with_ci


class Comparison(str, Enum):
    """What the interval says about the candidate against the baseline."""

    faster = "faster"
    slower = "slower"
    indistinguishable = "indistinguishable"
    unstable = "unstable"


@dataclass
class TimingConfig:
    min_buckets: int = 8
    max_buckets: int = 400
    target_width: float = 0.15  # stop when (hi - lo) <= target_width * median
    early_stop: bool = True  # stop at the first look whose interval decides (see the module docstring)
    alpha: float = 0.05  # the error rate of the interval reported, split between the looks
    budget_s: float = 10.0  # judge wall time for the whole measurement (checked at looks)
    undecided_budget: float = 2.0  # how many budgets an interval that decides nothing yet may take
    min_round_ms: float = 2.0
    max_round_ms: float = 250.0  # n is capped so the slower side's round stays under this
    max_overhead: float = 0.03  # n is raised until a round's fixed cost is at most this share of the faster side's
    max_calls: int = 5000
    warmup_calls: int = 3
    full_check_every: int = 4  # buckets between whole-output checks of the candidate
    # Wider than this fraction of the median, an interval that contains 1.0 decides nothing: unstable.
    wide: float = 0.5
    # What differs between two processes running the same code (physical pages, cache placement) shifts a whole
    # measurement, not single buckets, so no bucket statistic sees it: identical models in two runners on this
    # 2-core machine gave medians with a 3.5% standard deviation from run to run (20 runs). The interval is widened
    # by this much on each side.
    process_margin: float = 0.04
    # A repeated call costing less than this share of a call on new inputs is answered from a cache.
    repeat_ratio: float = 0.8
    # The candidate's CPU time while the baseline's rounds run, as a share of their time: above it, work was left
    # running (an idle runner waiting for its next command uses none).
    max_busy: float = 0.1


@dataclass
class TimingOutcome:
    speedup: float
    ci: tuple[float, float]
    baseline_ms: float
    candidate_ms: float
    baseline_min_ms: float
    candidate_min_ms: float
    ratios: list[float]
    calls_per_round: int
    buckets: int
    decision: Comparison
    seconds: float
    confidence: float  # the reported interval's level (the look it stopped at)
    stop: TimingStop
    stale_message: str | None = None
    cached_message: str | None = None  # set when the speedup comes from lone calls (see `timing.Measurement.repeats`)
    busy_message: str | None = None
    alone_ms: float | None = None  # the candidate's call on new inputs, less a round's fixed cost
    repeated_ms: float | None = None  # the candidate's call repeated on the same inputs
    busy_fraction: float | None = None  # the candidate's CPU time while the baseline ran, over that time
    per_call: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    @property
    def stable(self) -> bool:
        return self.decision is not Comparison.unstable


def calls_per_round(baseline_s: float, candidate_s: float, overhead_s: float, config: TimingConfig) -> int:
    """Calls per round: enough that a round lasts `min_round_ms` and its fixed cost is at most `max_overhead` of
    the faster side's round, but no more than `max_round_ms` on the slower side."""
    fast, slow = min(baseline_s, candidate_s), max(baseline_s, candidate_s)
    wanted = max(config.min_round_ms / 1e3 / fast, max(overhead_s, 0.0) / (config.max_overhead * fast))
    cap = max(1.0, config.max_round_ms / 1e3 / slow)
    return int(max(1, min(config.max_calls, cap, math.ceil(wanted))))


def decide(speedup: float, lo: float, hi: float, wide: float) -> Comparison:
    """What the interval [lo, hi] around `speedup` says; wider than `wide` of it, one that contains 1 is unstable."""
    if lo > 1.0:
        return Comparison.faster
    if hi < 1.0:
        return Comparison.slower
    return Comparison.unstable if (hi - lo) > wide * speedup else Comparison.indistinguishable


def stop_at_look(ratios: list[float], plan: Looks, look: int, spent_s: float, config: TimingConfig) -> \
        TimingStop | None:
    """Why timing stops at look `look` (its interval at that look's confidence), or None to go on to the next."""
    if look == len(plan.counts) - 1:
        return TimingStop.last_look
    speedup, lo, hi = median_with_ci(ratios, plan.confidence(look))
    if (hi - lo) <= config.target_width * speedup:
        return TimingStop.narrow
    lo, hi = lo * (1 - config.process_margin), hi * (1 + config.process_margin)
    decision = decide(speedup, lo, hi, config.wide)
    # Clearly slower stops at once; faster only once its interval is no wider than `wide` (a wider one would make
    # the speedup a reward's lower end, see rl/rewards.py); indistinguishable is narrow by definition.
    decided = decision is Comparison.slower or decision is Comparison.indistinguishable or \
        (decision is Comparison.faster and hi - lo <= config.wide * speedup)
    if config.early_stop and decided:
        return TimingStop.decided
    # An interval that decides nothing yet is given up to twice the budget: stopping it would waste every bucket
    # spent so far on an `unstable` verdict (a loaded machine, one late wake-up at the first look).
    if spent_s >= config.budget_s * (1 if decided else config.undecided_budget):
        return TimingStop.budget
    return None


def timing_outcome(ratios: list[float], per_call: dict[str, list[tuple[int, float]]], mins: dict[str, float],
                   n: int, buckets: int, config: TimingConfig, seconds: float, confidence: float,
                   stop: TimingStop, stale_message: str | None = None) -> TimingOutcome:
    """The measurement's result from its bucket ratios: median, interval widened by `process_margin`, decision."""
    if ratios:
        speedup, lo, hi = median_with_ci(ratios, confidence)
        lo, hi = lo * (1 - config.process_margin), hi * (1 + config.process_margin)
        decision = decide(speedup, lo, hi, config.wide)
    else:
        speedup, lo, hi, decision = 0.0, 0.0, 0.0, Comparison.unstable

    def per_call_ms(name: str) -> float:
        values = [t / c for c, t in per_call[name]]
        return median(values) * 1e3 if values else 0.0

    return TimingOutcome(
        speedup=speedup, ci=(lo, hi), baseline_ms=per_call_ms("baseline"), candidate_ms=per_call_ms("candidate"),
        baseline_min_ms=mins["baseline"] * 1e3 if math.isfinite(mins["baseline"]) else 0.0,
        candidate_min_ms=mins["candidate"] * 1e3 if math.isfinite(mins["candidate"]) else 0.0,
        ratios=ratios, calls_per_round=n, buckets=buckets, decision=decision, seconds=seconds,
        confidence=confidence, stop=stop, stale_message=stale_message, per_call=per_call)
