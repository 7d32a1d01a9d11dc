"""Stage 4, on the judge's clock: interleaved rounds of calls, timed from outside, until the interval decides.

A round (judge/rounds.py) is the judge's unit of timing: `n` calls on inputs the judge wrote, ended by the last
call's whole outputs, which the judge copies out of the frozen runner before it picks, at random, the positions it
compares with the reference's (it never tells the runner which). Each call's outputs in a round are checked by the
runner as in correctness calls (exactly tensors, real storage), and the judge checks after the candidate's round
that its inputs are unchanged. Nothing the runner says about time is used. Both sides (the reference's runner and
the candidate's) are timed the same way, on the same cores, so a round's fixed cost (two short messages and the
output copy) is the same on both sides, can only pull the ratio toward 1, and `n` keeps it to a few percent.

Every bucket gets inputs made for it alone from a secret seed (row 20: values no runner can predict), by a runner
of their own so that neither timed side does extra work between rounds, placed at a random step within a page (the
same for both sides; bucket 2 reuses bucket 1's place, new values at an old address, row 4). A bucket
times each side once with a single call, then with n calls, in random order. The candidate's outputs are compared
with the reference's on the same inputs in every round (sampled positions), and whole every few buckets: a stale,
cached or partial answer is caught. The single calls are the yardstick for the repeated ones: inputs neither side
has seen before leave no cache to answer from, so a candidate whose repeated calls cost much less than a lone call
may be answering repeats without the work, however it paces them; its speedup is then taken from the lone calls
(with the round's fixed cost in both sides' times: conservative), where a cache gains nothing, with more buckets of
lone calls until their own interval is narrow. While the baseline's rounds run, the kernel's count of the
candidate's CPU time must stay near zero: work left running between its own calls is rejected.

Every round holds the machine's timing lock (judge/timing_lock.py) and has a deadline of its own, a generous
multiple of what its calls took before: a round that stalls is killed at that deadline, so it delays other
evaluations by at most that much.

What the bucket ratios say, and when they have said enough, is judge/timing_decision.py.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from typing import Any

import torch

from kernelwright.evaluator.compare import compare
from kernelwright.evaluator.judge.rounds import (
    CLOCK,
    ROUND_FACTOR,
    ROUND_FLOOR_S,
    Clock,
    RoundDeadline,
    RoundFailed,
    timed_round,
)
from kernelwright.evaluator.judge.runner_process import RunnerProcess
from kernelwright.evaluator.judge.timing_decision import (
    TimingConfig,
    TimingOutcome,
    calls_per_round,
    stop_at_look,
    timing_outcome,
)
from kernelwright.evaluator.judge.timing_lock import TimingLock
from kernelwright.evaluator.result import TimingStop
from kernelwright.evaluator.stats import looks, median_with_ci
from kernelwright.tasks.model import Tolerance

SAMPLE_SIZE = 256
# Positions and the order of the sides come from the OS's randomness, drawn after the clock stops: nothing a runner
# can read predicts them.
_RANDOM = random.SystemRandom()
# Where in its page a round's inputs start, drawn per pair of rounds (the same for both sides): how a memory-bound
# kernel's input and output pages line up (the output's address depends on each process's own heap) changes its
# speed by 10-15% on this kind of machine (4K aliasing), and a placement fixed for a whole measurement biased
# identical code by 7% (identity medians 0.93 fixed against 1.00 shifted, 6 pairs). Every bucket draws its own
# place, except the second, which takes the first's: new values at an address used before (row 4).
SHIFT_STEP, SHIFT_PLACES = 64, 64


def sample_positions(shapes: list[torch.Size], size: int = SAMPLE_SIZE) -> list[list[int]]:
    """Fresh random flat positions in each output."""
    return [sorted(_RANDOM.sample(range(max(math.prod(s), 1)), min(size, max(math.prod(s), 1)))) for s in shapes]


def sampled(outputs: list[torch.Tensor], positions: list[list[int]]) -> list[torch.Tensor]:
    """The values of `outputs` at flat `positions` (one list per output)."""
    return [out.reshape(-1)[torch.tensor(pos, dtype=torch.long)] if out.numel() else out.reshape(-1)
            for out, pos in zip(outputs, positions)]


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


class Measurement:
    """One side-by-side measurement of `candidate` against `baseline`.

    `inputs_for(bucket)` makes a bucket's inputs (bucket 0: the warm-up), fresh every time. With a `tolerance`, the
    candidate's outputs are checked against the baseline's (the reference's) on the same inputs; `candidate_cpu`
    reads the kernel's count of the candidate's CPU time, to catch work it does while the baseline is timed.
    `per_call_s` says what one call of each side took before (e.g. in the correctness stage), which sets the first
    rounds' deadlines; `lock` is the machine's timing lock, held for each round.
    """

    def __init__(self, baseline: RunnerProcess, candidate: RunnerProcess, inputs_for: Callable[[int], list[Any]],
                 config: TimingConfig, deadline: float, clock: Clock = CLOCK, tolerance: Tolerance | None = None,
                 candidate_cpu: Callable[[], float | None] | None = None, lock: TimingLock | None = None,
                 per_call_s: dict[str, float] | None = None) -> None:
        self.sides = {"baseline": baseline, "candidate": candidate}
        self.inputs_for, self.config, self.deadline, self.clock = inputs_for, config, deadline, clock
        self.tolerance, self.candidate_cpu = tolerance, candidate_cpu
        self.lock = lock or TimingLock(None)
        self.per_call_s = dict(per_call_s or {})
        self.expected: list[tuple[torch.Size, torch.dtype]] | None = None
        self.places: dict[int, int] = {}  # bucket -> where its inputs start in rx
        self.busy = 0.0  # candidate CPU seconds spent while the baseline's rounds ran
        self.baseline_time = 0.0
        self.alone_ms: float | None = None
        self.repeated_ms: float | None = None

    def round_limit(self, name: str, calls: int) -> float:
        """Seconds a round of `calls` calls of side `name` may take before its runner is killed."""
        return max(ROUND_FLOOR_S, ROUND_FACTOR * calls * self.per_call_s.get(name, 0.0))

    def _round(self, name: str, args: list[Any], calls: int, start: int | None = None) -> \
            tuple[float, list[torch.Tensor]]:
        runner = self.sides[name]
        if start is None:
            start = self.input_shift()
        try:
            with self.lock.held(self.deadline):
                limit = self.round_limit(name, calls)
                deadline = min(self.deadline, time.monotonic() + limit)
                before = self.candidate_cpu() if name == "baseline" and self.candidate_cpu else None
                try:
                    seconds, values = timed_round(runner, args, calls, deadline, self.clock, self.expected,
                                                  check_inputs=name == "candidate" and self.tolerance is not None,
                                                  start=start)
                except Exception as exc:
                    if deadline < self.deadline and time.monotonic() >= deadline and not runner.alive:
                        raise RoundDeadline(limit, calls) from exc
                    raise
                after = self.candidate_cpu() if before is not None and self.candidate_cpu else None
        except Exception as exc:  # noqa: BLE001 - which side failed decides whose verdict it is
            raise RoundFailed(name, exc) from exc
        if before is not None and after is not None:
            self.busy += after - before
            self.baseline_time += seconds
        return seconds, values

    def calibrate(self, warm: list[Any]) -> int:
        """Warm both sides up, learn the outputs' shapes, and pick n from one-call and sixteen-call rounds."""
        outputs = self._round("baseline", warm, self.config.warmup_calls)[1]
        self.expected = [(torch.Size(t.shape), t.dtype) for t in outputs]
        self._round("candidate", warm, self.config.warmup_calls)
        per_call: dict[str, float] = {}
        overhead = 0.0
        for name in self.sides:
            # Minima: a busy machine only ever adds time, and the calibration must not chase its noise.
            t1 = min(self._round(name, warm, 1)[0] for _ in range(5))
            t16 = min(self._round(name, warm, 16)[0] for _ in range(5))
            per_call[name] = max((t16 - t1) / 15, t16 / 64, 1e-7)
            overhead = max(overhead, t1 - per_call[name])
            self.per_call_s[name] = max(t1, per_call[name])
        return calls_per_round(per_call["baseline"], per_call["candidate"], overhead, self.config)

    def input_shift(self, bucket: int | None = None) -> int:
        """Where in its page a round's inputs start: drawn at random, the same for both rounds of a bucket, and
        bucket 2 where bucket 1 was."""
        if bucket is None:
            return SHIFT_STEP * _RANDOM.randrange(SHIFT_PLACES)
        if bucket not in self.places:
            self.places[bucket] = self.places.get(1, 0) if bucket == 2 else self.input_shift()
        return self.places[bucket]

    def _pair(self, args: list[Any], calls: int, bucket: int | None = None) -> \
            tuple[dict[str, float], dict[str, list[torch.Tensor]]]:
        """One round per side, in random order, on the same inputs."""
        order = list(self.sides)
        _RANDOM.shuffle(order)
        start = self.input_shift(bucket)
        seconds: dict[str, float] = {}
        values: dict[str, list[torch.Tensor]] = {}
        for name in order:
            seconds[name], values[name] = self._round(name, args, calls, start)
        return seconds, values

    def run(self) -> TimingOutcome:
        start = self.clock()
        n = self.calibrate(self.inputs_for(0))
        plan = looks(self.config.min_buckets, self.config.max_buckets, self.config.alpha)
        ratios: list[float] = []
        per_call: dict[str, list[tuple[int, float]]] = {"baseline": [], "candidate": []}
        single: dict[str, list[float]] = {"baseline": [], "candidate": []}
        mins = {"baseline": math.inf, "candidate": math.inf}
        bucket = look = 0
        stop: TimingStop | None = None
        while stop is None:
            bucket += 1
            args = self.inputs_for(bucket)
            # First one call each on inputs neither side has seen: no answer can come from a cache here.
            seconds, values = self._pair(args, 1, bucket)
            stale = self.check(values)
            for name in self.sides:
                single[name].append(seconds[name])
            # Then the round that is measured: n calls on the same inputs.
            seconds, values = self._pair(args, n, bucket)
            stale = stale or self.check(values, whole=bucket % self.config.full_check_every == 1)
            if stale:
                return timing_outcome(ratios, per_call, mins, n, bucket, self.config, self.clock() - start,
                                      plan.confidence(look), TimingStop.stale,
                                      stale_message=f"timing bucket {bucket}: {stale}")
            for name in self.sides:
                per_call[name].append((n, seconds[name]))
                mins[name] = min(mins[name], seconds[name] / n)
            ratios.append(seconds["baseline"] / max(seconds["candidate"], 1e-12))
            if bucket == plan.counts[look]:
                stop = stop_at_look(ratios, plan, look, self.clock() - start, self.config)
                look += stop is None
        confidence = plan.confidence(look)
        if self.tolerance is not None:
            stale = self.check(values, whole=True)
            if stale:
                return timing_outcome(ratios, per_call, mins, n, bucket, self.config, self.clock() - start,
                                      confidence, TimingStop.stale, stale_message=f"timing bucket {bucket}: {stale}")
        outcome = timing_outcome(ratios, per_call, mins, n, bucket, self.config, self.clock() - start, confidence,
                                 stop)
        cached = self.repeats(single, per_call, n)
        if cached is not None:
            # A second look before the accusation: one late wake-up in every lone call so far (a loaded machine's
            # scheduler) looks just like a cache. A cache's lone calls never get cheaper with more of them; an honest
            # kernel's fastest one soon shows its real cost.
            stale, bucket = self.lone_calls(single, bucket, len(single["candidate"]), start)
            if stale:
                return timing_outcome(ratios, per_call, mins, n, bucket, self.config, self.clock() - start,
                                      confidence, TimingStop.stale, stale_message=f"timing bucket {bucket}: {stale}")
            cached = self.repeats(single, per_call, n)
        if cached is not None:
            # Scored on the lone calls instead: caching cannot help there, and an honest kernel that a process's
            # quirk made look cached gets a conservative speedup (a round's fixed cost is in both sides' times)
            # rather than a false accusation.
            stale, bucket = self.more_lone_calls(single, bucket, start, confidence)
            if stale:
                return timing_outcome(ratios, per_call, mins, n, bucket, self.config, self.clock() - start,
                                      confidence, TimingStop.stale, stale_message=f"timing bucket {bucket}: {stale}")
            lone = [b / max(c, 1e-12) for b, c in zip(single["baseline"], single["candidate"])]
            outcome = timing_outcome(lone, {name: [(1, t) for t in single[name]] for name in self.sides},
                                     {name: min(single[name]) for name in self.sides}, 1, bucket, self.config,
                                     self.clock() - start, confidence, stop)
            outcome.cached_message = cached
        outcome.alone_ms, outcome.repeated_ms = self.alone_ms, self.repeated_ms
        if self.baseline_time > 0:
            outcome.busy_fraction = self.busy / self.baseline_time
        if self.baseline_time > 0 and self.busy > self.config.max_busy * self.baseline_time:
            outcome.busy_message = (f"the candidate's process used {self.busy * 1e3:.0f} ms of CPU while the baseline "
                                    f"ran ({self.busy / self.baseline_time:.0%} of its rounds' time): work left "
                                    "running between its own calls")
        return outcome

    def more_lone_calls(self, single: dict[str, list[float]], bucket: int, start: float, confidence: float) -> \
            tuple[str | None, int]:
        """More buckets of lone calls, until their interval is as narrow as the repeated rounds' had to be or the
        budget ends. The loop above stopped on the repeated rounds' interval; a handful of lone calls, whose ratio a
        round's fixed cost pulls toward 1 and one late wake-up can drag below it, would otherwise decide a correct
        kernel's verdict as `unstable` on a busy machine. Their interval has the `confidence` of the look the loop
        above stopped at (its share of the error rate goes to the lone calls' interval, the one reported). Returns
        (what was stale, if anything; the last bucket)."""
        while bucket < self.config.max_buckets and self.clock() - start < self.config.budget_s:
            lone = [b / max(c, 1e-12) for b, c in zip(single["baseline"], single["candidate"])]
            speedup, lo, hi = median_with_ci(lone, confidence)
            if hi - lo <= self.config.target_width * speedup:
                break
            stale, bucket = self.lone_calls(single, bucket, 1, start)
            if stale:
                return stale, bucket
        return None, bucket

    def lone_calls(self, single: dict[str, list[float]], bucket: int, count: int, start: float) -> \
            tuple[str | None, int]:
        """Up to `count` more buckets of one call each on new inputs (within the bucket and time budgets), added to
        `single`. Returns (what was stale, if anything; the last bucket)."""
        for _ in range(count):
            if bucket >= self.config.max_buckets or self.clock() - start >= self.config.budget_s:
                break
            bucket += 1
            seconds, values = self._pair(self.inputs_for(bucket), 1, bucket)
            stale = self.check(values, whole=bucket % self.config.full_check_every == 1)
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

    def check(self, values: dict[str, list[torch.Tensor]], whole: bool = False) -> str | None:
        """The candidate's round against the reference's on the same inputs, both copied whole into the judge's
        memory: at positions drawn now (after the clock, never told to anyone), and everywhere when `whole`."""
        if self.tolerance is None:
            return None
        got, expected = values["candidate"], values["baseline"]
        positions = sample_positions([t.shape for t in expected])
        bad = check_sample(sampled(got, positions), sampled(expected, positions), self.tolerance)
        if bad or not whole:
            return bad
        for i, (g, e) in enumerate(zip(got, expected)):
            mismatch = compare(g, e, self.tolerance, f"output {i}, after timed runs")
            if mismatch:
                return mismatch.message
        return None


def measure(baseline: RunnerProcess, candidate: RunnerProcess, inputs_for: Callable[[int], list[Any]],
            config: TimingConfig, deadline: float, clock: Clock = CLOCK, tolerance: Tolerance | None = None,
            candidate_cpu: Callable[[], float | None] | None = None, lock: TimingLock | None = None,
            per_call_s: dict[str, float] | None = None) -> TimingOutcome:
    """Time `candidate` against `baseline` (see the module docstring and `Measurement`)."""
    return Measurement(baseline, candidate, inputs_for, config, deadline, clock, tolerance, candidate_cpu, lock,
                       per_call_s).run()
