"""Stage 4, on the judge's clock: interleaved rounds of calls, timed from outside, until the interval is tight.

A round is the judge's unit of timing: the judge writes the inputs into the runner's rx arena (the runner's input
tensors are views of it), starts its clock, asks for `n` calls together with a fresh random sample of output
positions, and stops the clock when the answer arrives: the values of the last call's outputs at those positions,
which exist only once the work is done and the device has synchronized. Nothing the runner says about time is
used. Both sides (the reference's runner and the candidate's) are timed the same way, on the same cores, so a
round's fixed cost (two short messages and the sample) is the same on both sides, can only pull the ratio toward
1, and `n` keeps it to a few percent. The runner could begin its first call while the judge is still writing the
inputs; that overlap is bounded by the write (a memcpy), once per round.

Every bucket gets inputs made for it alone (new values at the same addresses, row 4; no answer can be cached from
an earlier bucket), by a runner of their own so that neither timed side does extra work between rounds. A bucket
times each side once with a single call, then with n calls, in random order. The candidate's sampled values are
checked against the reference's on the same inputs in every round, and the whole outputs (fetched after the clock
stopped) every few buckets: a stale, cached or partial answer is caught. The single calls are the yardstick for
the repeated ones: inputs neither side has seen before leave no cache to answer from, so a candidate whose
repeated calls cost much less than a lone call may be answering repeats without the work, however it paces them;
its speedup is then taken from the lone calls (with the round's fixed cost in both sides' times: conservative),
where a cache gains nothing, with more buckets of lone calls until their own interval is narrow. While the
baseline's rounds run, the kernel's count of the candidate's CPU time must stay near zero: work left running
between its own calls is rejected.

Bucket ratios (of the n-call rounds) give a median and a distribution-free 95% interval (evaluator/stats.py),
widened by a margin for what differs between two processes (`process_margin`). Buckets are added until the
interval is narrow (`target_width` of the median), or the budget ends; the loop never stops early because an
interval excludes 1.0, which would bias it. Then the decision: faster (interval above 1), slower (below 1),
indistinguishable (contains 1, narrow) or unstable (contains 1 and wide).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import torch

from evaluator.compare import compare
from evaluator.judge.runner_process import RunnerProcess
from evaluator.runner import tensors
from evaluator.runner.protocol import Fetch, Load, Round
from evaluator.runner.tensors import WireError
from evaluator.stats import median, median_with_ci
from tasks.model import Tolerance

Clock = Callable[[], float]
# The judge's clock: its own process, which never runs untrusted code.
CLOCK: Clock = time.perf_counter
SAMPLE_SIZE = 256
# Positions are drawn from the OS's randomness: a candidate that knows the evaluation's seed still can't guess them.
_POSITIONS = random.SystemRandom()


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
    budget_s: float = 10.0  # judge wall time for the whole measurement
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
    stale_message: str | None = None
    cached_message: str | None = None  # set when the speedup comes from lone calls (see `Measurement.repeats`)
    busy_message: str | None = None
    alone_ms: float | None = None  # the candidate's call on new inputs, less a round's fixed cost
    repeated_ms: float | None = None  # the candidate's call repeated on the same inputs
    busy_fraction: float | None = None  # the candidate's CPU time while the baseline ran, over that time
    per_call: dict[str, list[tuple[int, float]]] = field(default_factory=dict)

    @property
    def stable(self) -> bool:
        return self.decision is not Comparison.unstable


class RoundFailed(Exception):
    """A timed round did not complete; `side` names which runner failed and `error` is what it raised."""

    def __init__(self, side: str, error: Exception) -> None:
        super().__init__(str(error))
        self.side, self.error = side, error


def timed_round(runner: RunnerProcess, args: list[Any], calls: int, deadline: float, sample: list[list[int]],
                clock: Clock = CLOCK, dtypes: list[torch.dtype] | None = None) -> tuple[float, list[torch.Tensor]]:
    """One round on the judge's clock: `calls` calls on inputs just written, then the sampled output values.
    Returns (seconds, one 1-D tensor of sampled values per output). The reply's specs are checked against the
    sample (and `dtypes`, the outputs' dtypes, when known) before a byte is read."""
    specs = runner.write_args(args)
    if specs != runner.loaded:
        runner.request(Load(args=specs), deadline)
        runner.loaded = specs
    start = clock()
    reply = runner.request(Round(calls=calls, sample=sample), deadline)
    elapsed = clock() - start
    if not sample:
        return elapsed, []
    if len(reply.outputs) != len(sample) or any(list(spec.shape) != [len(pos)] for spec, pos in
                                                zip(reply.outputs, sample)):
        raise WireError("a timed round answered with values of another shape than the sample asked for")
    if dtypes is not None and [tensors.dtype_of(spec) for spec in reply.outputs] != dtypes:
        raise WireError("a timed round answered with values of another dtype than its outputs'")
    return elapsed, runner.read_outputs(reply.outputs)


def sample_positions(shapes: list[torch.Size], size: int = SAMPLE_SIZE) -> list[list[int]]:
    """Fresh random flat positions in each output."""
    return [sorted(_POSITIONS.sample(range(max(math.prod(s), 1)), min(size, max(math.prod(s), 1)))) for s in shapes]


def check_sample(got: list[torch.Tensor], expected: list[torch.Tensor], tolerance: Tolerance) -> str | None:
    """A round's sampled output values against the reference's at the same positions, on the same inputs."""
    if len(got) != len(expected):
        return f"{len(got)} outputs, expected {len(expected)}"
    for i, (g, e) in enumerate(zip(got, expected)):
        if g.dtype != e.dtype or g.shape != e.shape:
            return f"output {i} changed dtype or shape"
        bad = compare(g, e, tolerance, f"output {i} (sampled)")
        if bad:
            return bad.message
    return None


def calls_per_round(baseline_s: float, candidate_s: float, overhead_s: float, config: TimingConfig) -> int:
    """Calls per round: enough that a round lasts `min_round_ms` and its fixed cost is at most `max_overhead` of
    the faster side's round, but no more than `max_round_ms` on the slower side."""
    fast, slow = min(baseline_s, candidate_s), max(baseline_s, candidate_s)
    wanted = max(config.min_round_ms / 1e3 / fast, max(overhead_s, 0.0) / (config.max_overhead * fast))
    cap = max(1.0, config.max_round_ms / 1e3 / slow)
    return int(max(1, min(config.max_calls, cap, math.ceil(wanted))))


def decide(speedup: float, lo: float, hi: float, wide: float) -> Comparison:
    if lo > 1.0:
        return Comparison.faster
    if hi < 1.0:
        return Comparison.slower
    return Comparison.unstable if (hi - lo) > wide * speedup else Comparison.indistinguishable


class Measurement:
    """One side-by-side measurement of `candidate` against `baseline`.

    `inputs_for(bucket)` makes a bucket's inputs (bucket 0: the warm-up), fresh every time. With a `tolerance`, the
    candidate's outputs are checked against the baseline's (the reference's) on the same inputs; `candidate_cpu`
    reads the kernel's count of the candidate's CPU time, to catch work it does while the baseline is timed.
    """

    def __init__(self, baseline: RunnerProcess, candidate: RunnerProcess, inputs_for: Callable[[int], list[Any]],
                 config: TimingConfig, deadline: float, seed: int = 0, clock: Clock = CLOCK,
                 tolerance: Tolerance | None = None, candidate_cpu: Callable[[], float | None] | None = None) -> None:
        self.sides = {"baseline": baseline, "candidate": candidate}
        self.inputs_for, self.config, self.deadline, self.clock = inputs_for, config, deadline, clock
        self.tolerance, self.candidate_cpu = tolerance, candidate_cpu
        self.rng = random.Random(seed)
        self.shapes: list[torch.Size] = []
        self.dtypes: list[torch.dtype] | None = None
        self.busy = 0.0  # candidate CPU seconds spent while the baseline's rounds ran
        self.baseline_time = 0.0
        self.alone_ms: float | None = None
        self.repeated_ms: float | None = None

    def _round(self, name: str, args: list[Any], calls: int, sample: list[list[int]]) -> tuple[float, list[Any]]:
        before = self.candidate_cpu() if name == "baseline" and self.candidate_cpu else None
        try:
            seconds, values = timed_round(self.sides[name], args, calls, self.deadline, sample, self.clock,
                                          self.dtypes)
        except Exception as exc:  # noqa: BLE001 - which side failed decides whose verdict it is
            raise RoundFailed(name, exc) from exc
        after = self.candidate_cpu() if before is not None and self.candidate_cpu else None
        if before is not None and after is not None:
            self.busy += after - before
            self.baseline_time += seconds
        return seconds, values

    def _fetch(self, name: str) -> list[torch.Tensor]:
        """The last round's whole outputs, checked against the known shapes and dtypes before a byte is read."""
        runner = self.sides[name]
        try:
            specs = runner.request(Fetch(), self.deadline).outputs
            if self.shapes and ([list(s.shape) for s in specs] != [list(s) for s in self.shapes]
                                or (self.dtypes is not None and [tensors.dtype_of(s) for s in specs] != self.dtypes)):
                raise WireError("the outputs changed shape or dtype")
            return runner.read_outputs(specs)
        except Exception as exc:  # noqa: BLE001
            raise RoundFailed(name, exc) from exc

    def calibrate(self, warm: list[Any]) -> int:
        """Warm both sides up, learn the outputs' shapes, and pick n from one-call and sixteen-call rounds."""
        self._round("baseline", warm, self.config.warmup_calls, [])
        self._round("candidate", warm, self.config.warmup_calls, [])
        outputs = self._fetch("baseline")
        self.shapes = [torch.Size(t.shape) for t in outputs]
        self.dtypes = [t.dtype for t in outputs]
        per_call: dict[str, float] = {}
        overhead = 0.0
        sample = sample_positions(self.shapes)
        for name in self.sides:
            # Minima: a busy machine only ever adds time, and the calibration must not chase its noise.
            t1 = min(self._round(name, warm, 1, sample)[0] for _ in range(5))
            t16 = min(self._round(name, warm, 16, sample)[0] for _ in range(5))
            per_call[name] = max((t16 - t1) / 15, t16 / 64, 1e-7)
            overhead = max(overhead, t1 - per_call[name])
        return calls_per_round(per_call["baseline"], per_call["candidate"], overhead, self.config)

    def _pair(self, args: list[Any], calls: int) -> tuple[dict[str, float], dict[str, list[Any]], list[list[int]]]:
        """One round per side, in random order, on the same inputs and sample."""
        sample = sample_positions(self.shapes)
        order = list(self.sides)
        self.rng.shuffle(order)
        seconds: dict[str, float] = {}
        values: dict[str, list[Any]] = {}
        for name in order:
            seconds[name], values[name] = self._round(name, args, calls, sample)
        return seconds, values, sample

    def run(self) -> TimingOutcome:
        start = self.clock()
        n = self.calibrate(self.inputs_for(0))
        ratios: list[float] = []
        per_call: dict[str, list[tuple[int, float]]] = {"baseline": [], "candidate": []}
        single: dict[str, list[float]] = {"baseline": [], "candidate": []}
        mins = {"baseline": math.inf, "candidate": math.inf}
        bucket = 0
        while True:
            bucket += 1
            args = self.inputs_for(bucket)
            # First one call each on inputs neither side has seen: no answer can come from a cache here.
            seconds, values, sample = self._pair(args, 1)
            stale = self.check(values, sample)
            for name in self.sides:
                single[name].append(seconds[name])
            # Then the round that is measured: n calls on the same inputs.
            seconds, values, sample = self._pair(args, n)
            stale = stale or self.check(values, sample, whole=bucket % self.config.full_check_every == 1)
            if stale:
                return _outcome(ratios, per_call, mins, n, bucket, self.config, self.clock() - start,
                                stale_message=f"timing bucket {bucket}: {stale}")
            for name in self.sides:
                per_call[name].append((n, seconds[name]))
                mins[name] = min(mins[name], seconds[name] / n)
            ratios.append(seconds["baseline"] / max(seconds["candidate"], 1e-12))
            if bucket < self.config.min_buckets:
                continue
            speedup, lo, hi = median_with_ci(ratios)
            spent = self.clock() - start
            if (hi - lo) <= self.config.target_width * speedup or bucket >= self.config.max_buckets \
                    or spent >= self.config.budget_s:
                break
        if self.tolerance is not None:
            stale = self.check(values, sample, whole=True)
            if stale:
                return _outcome(ratios, per_call, mins, n, bucket, self.config, self.clock() - start,
                                stale_message=f"timing bucket {bucket}: {stale}")
        outcome = _outcome(ratios, per_call, mins, n, bucket, self.config, self.clock() - start)
        cached = self.repeats(single, per_call, n)
        if cached is not None:
            # Scored on the lone calls instead: caching cannot help there, and an honest kernel that a process's
            # quirk made look cached gets a conservative speedup (a round's fixed cost is in both sides' times)
            # rather than a false accusation.
            stale, bucket = self.more_lone_calls(single, bucket, start)
            if stale:
                return _outcome(ratios, per_call, mins, n, bucket, self.config, self.clock() - start,
                                stale_message=f"timing bucket {bucket}: {stale}")
            lone = [b / max(c, 1e-12) for b, c in zip(single["baseline"], single["candidate"])]
            outcome = _outcome(lone, {name: [(1, t) for t in single[name]] for name in self.sides},
                               {name: min(single[name]) for name in self.sides}, 1, bucket, self.config,
                               self.clock() - start)
            outcome.cached_message = cached
        outcome.alone_ms, outcome.repeated_ms = self.alone_ms, self.repeated_ms
        if self.baseline_time > 0:
            outcome.busy_fraction = self.busy / self.baseline_time
        if self.baseline_time > 0 and self.busy > self.config.max_busy * self.baseline_time:
            outcome.busy_message = (f"the candidate's process used {self.busy * 1e3:.0f} ms of CPU while the baseline "
                                    f"ran ({self.busy / self.baseline_time:.0%} of its rounds' time): work left "
                                    "running between its own calls")
        return outcome

    def more_lone_calls(self, single: dict[str, list[float]], bucket: int, start: float) -> tuple[str | None, int]:
        """More buckets of lone calls, until their interval is as narrow as the repeated rounds' had to be or the
        budget ends. The loop above stopped on the repeated rounds' interval; a handful of lone calls, whose ratio a
        round's fixed cost pulls toward 1 and one late wake-up can drag below it, would otherwise decide a correct
        kernel's verdict as `unstable` on a busy machine. Returns (what was stale, if anything; the last bucket)."""
        while bucket < self.config.max_buckets and self.clock() - start < self.config.budget_s:
            lone = [b / max(c, 1e-12) for b, c in zip(single["baseline"], single["candidate"])]
            speedup, lo, hi = median_with_ci(lone)
            if hi - lo <= self.config.target_width * speedup:
                break
            bucket += 1
            seconds, values, sample = self._pair(self.inputs_for(bucket), 1)
            stale = self.check(values, sample, whole=bucket % self.config.full_check_every == 1)
            if stale:
                return stale, bucket
            for name in self.sides:
                single[name].append(seconds[name])
        return None, bucket

    def repeats(self, single: dict[str, list[float]], per_call: dict[str, list[tuple[int, float]]], n: int) -> \
            str | None:
        """Whether the candidate's calls get cheaper when repeated on the same inputs than one call on new inputs.

        An honest kernel costs about the same per call in a round of n as alone; a round's fixed cost (messages,
        the sample) is taken from the reference's own rounds and is the same for both sides. One that answers
        repeats from a cache is caught here, however it paces them: its lone calls, on inputs it has never seen,
        cost the full price.
        """
        if self.tolerance is None or len(single["candidate"]) < 4:
            return None
        # Minima: the machine's noise only ever adds time, and the fastest of several rounds is closest to the work.
        fixed = min(single["baseline"]) - min(t / c for c, t in per_call["baseline"])
        alone = min(single["candidate"]) - max(fixed, 0.0)
        repeated = min(t / c for c, t in per_call["candidate"])
        self.alone_ms, self.repeated_ms = alone * 1e3, repeated * 1e3
        if alone <= 0.25 * max(fixed, 1e-6):  # a call too short to tell from the round's fixed cost
            return None
        if repeated < self.config.repeat_ratio * alone:
            return (f"one call on new inputs takes the candidate {alone * 1e3:.3f} ms, a repeated call on the same "
                    f"inputs {repeated * 1e3:.3f} ms ({repeated / alone:.0%}, where the reference's cost the same): "
                    "timed on lone calls instead, where a cache cannot answer")
        return None

    def check(self, values: dict[str, list[Any]], sample: list[list[int]], whole: bool = False) -> str | None:
        """The candidate's round against the reference's on the same inputs: the sampled values always, the whole
        outputs (fetched after the clock stopped) when `whole`."""
        if self.tolerance is None:
            return None
        bad = check_sample(values["candidate"], values["baseline"], self.tolerance)
        if bad or not whole:
            return bad
        expected = self._fetch("baseline")
        outputs = self._fetch("candidate")
        for i, (g, e) in enumerate(zip(outputs, expected)):
            mismatch = compare(g, e, self.tolerance, f"output {i}, after timed runs")
            if mismatch:
                return mismatch.message
        return None


def measure(baseline: RunnerProcess, candidate: RunnerProcess, inputs_for: Callable[[int], list[Any]],
            config: TimingConfig, deadline: float, seed: int = 0, clock: Clock = CLOCK,
            tolerance: Tolerance | None = None, candidate_cpu: Callable[[], float | None] | None = None) -> \
        TimingOutcome:
    """Time `candidate` against `baseline` (see the module docstring and `Measurement`)."""
    return Measurement(baseline, candidate, inputs_for, config, deadline, seed, clock, tolerance,
                       candidate_cpu).run()


def _outcome(ratios: list[float], per_call: dict[str, list[tuple[int, float]]], mins: dict[str, float], n: int,
             buckets: int, config: TimingConfig, seconds: float, stale_message: str | None = None) -> TimingOutcome:
    if ratios:
        speedup, lo, hi = median_with_ci(ratios)
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
        stale_message=stale_message, per_call=per_call)
