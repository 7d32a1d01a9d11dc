"""Baselines, judged: PyTorch eager against `torch.compile` of the same Model, each in its own jailed runner.

The same protocol as a candidate's timing (interleaved rounds on the judge's clock, fresh inputs per bucket, the
same intervals and the same timing lock), so a stored baseline is comparable with every speedup. The eager side is
the task's warm reference session; the compiled side a runner of its own, whose inductor cache is a folder per task
version (a hostile task's compile can only ever poison its own).
"""

from __future__ import annotations

import time
from typing import Any

from kernelwright.evaluator.baseline_result import BaselineResult, BaselineStatus, SideTiming
from kernelwright.evaluator.compare import compare
from kernelwright.evaluator.judge.references import ReferenceFailed, ReferenceSession
from kernelwright.evaluator.judge.rounds import CLOCK, RoundFailed, timed_round
from kernelwright.evaluator.judge.runner_process import (
    RunnerConfig,
    RunnerFailed,
    RunnerGone,
    RunnerProcess,
    RunnerTimeout,
)
from kernelwright.evaluator.judge.timing import measure
from kernelwright.evaluator.judge.timing_decision import TimingConfig, TimingOutcome
from kernelwright.evaluator.judge.timing_lock import TimingLock
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.runner.protocol import Role, Setup
from kernelwright.evaluator.stats import median_with_ci
from kernelwright.tasks.model import Task


def _side(samples: list[tuple[int, float]], min_ms: float) -> SideTiming:
    median, lo, hi = median_with_ci([t / calls * 1e3 for calls, t in samples])
    return SideTiming(median_ms=median, min_ms=min_ms, ci_ms=(lo, hi))


def _why(error: Exception) -> str:
    if isinstance(error, RunnerFailed):
        return error.failure.message
    if isinstance(error, RunnerGone):
        return f"its process {error.why}"
    if isinstance(error, RunnerTimeout):
        return "it did not answer in time"
    return str(error)


class BaselineMeasurement:
    """One task version's eager and compiled times."""

    def __init__(self, task: Task, platform: str, options: EvalOptions, session: ReferenceSession,
                 compiled: RunnerConfig, timing_lock: str | None) -> None:
        self.task, self.platform, self.opts = task, platform, options
        self.session, self.compiled_config, self.timing_lock = session, compiled, timing_lock
        self.deadline = time.monotonic() + options.timeout_s
        self.per_call_s: dict[str, float] = {}  # one call of each side, as first seen: the first rounds' deadlines

    def result(self, status: BaselineStatus, message: str, **extra: Any) -> BaselineResult:
        return BaselineResult(status=status, message=message, platform=self.platform, **extra)

    def run(self) -> BaselineResult:
        with self.session.lock:
            try:
                return self._run()
            except (ReferenceFailed, RunnerFailed, RunnerGone, RunnerTimeout) as exc:
                return self.result(BaselineStatus.error, f"the task failed: {_why(exc)}")
            except Exception as exc:  # noqa: BLE001 - data the runners sent that the judge cannot use
                return self.result(BaselineStatus.error, f"the baseline could not be measured: "
                                   f"{type(exc).__name__}: {str(exc)[:300]}")

    def _run(self) -> BaselineResult:
        eager = self.session.ensure_runner(self.deadline)
        self.inputs_for = self.session.timing_inputs(self.deadline)
        warm = self.inputs_for(0)
        start = time.monotonic()
        expected = self.session.run(warm, self.deadline)
        self.per_call_s["baseline"] = time.monotonic() - start
        compiled, status, message, compile_s = self._compiled(warm, expected)
        try:
            outcome = self._timed(eager, compiled or eager)
        except RoundFailed as failed:
            if compiled is not None:
                compiled.kill()
            return self.result(BaselineStatus.error, f"timing failed: {_why(failed.error)}")
        finally:
            if compiled is not None:
                compiled.kill()
        eager_side = _side(outcome.per_call["baseline"], outcome.baseline_min_ms)
        if compiled is None:
            return self.result(status, message, eager=eager_side, compile_seconds=compile_s)
        comp = _side(outcome.per_call["candidate"], outcome.candidate_min_ms)
        lo, hi = outcome.ci
        if not outcome.stable:
            return self.result(BaselineStatus.unstable, f"eager {eager_side.median_ms:.3f} ms; torch.compile vs eager "
                               f"did not settle: [{lo:.2f}, {hi:.2f}] around {outcome.speedup:.2f}x",
                               eager=eager_side, compiled=comp, compile_seconds=compile_s)
        return self.result(BaselineStatus.measured, f"eager {eager_side.median_ms:.3f} ms, torch.compile "
                           f"{comp.median_ms:.3f} ms ({outcome.speedup:.2f}x [{lo:.2f}, {hi:.2f}] vs eager)",
                           eager=eager_side, compiled=comp, compile_speedup=outcome.speedup,
                           compile_speedup_ci=outcome.ci, compile_seconds=compile_s)

    def _compiled(self, warm: list[Any], expected: list[Any]) -> tuple[RunnerProcess | None, BaselineStatus, str,
                                                                        float | None]:
        """The compiled model's runner, warmed (compiled) on `warm`, or None with why not."""
        if not self.opts.compile_baseline:
            return None, BaselineStatus.measured, "eager only (compile baseline not asked for)", None
        runner = RunnerProcess(self.compiled_config)
        setup = Setup(role=Role.compiled, task_id=self.task.id, task_source=self.task.source,
                      platform=self.platform, threads=self.compiled_config.threads, seed=self.opts.seed)
        start = CLOCK()
        try:
            runner.request(setup, self.deadline)
            first = time.monotonic()
            got = timed_round(runner, warm, 1, self.deadline)[1]
            self.per_call_s["candidate"] = time.monotonic() - first  # compiling: a generous first hint
        except (RunnerFailed, RunnerGone, RunnerTimeout) as exc:
            runner.kill()
            return None, BaselineStatus.compile_failed, f"torch.compile failed: {_why(exc)[:300]}", CLOCK() - start
        seconds = CLOCK() - start
        for g, e in zip(got, expected):
            bad = compare(g, e, self.task.tolerance, "torch.compile output")
            if bad:
                runner.kill()
                return None, BaselineStatus.mismatch, f"torch.compile disagrees with eager: {bad.message}", seconds
        return runner, BaselineStatus.measured, "", seconds

    def _timed(self, eager: RunnerProcess, other: RunnerProcess) -> TimingOutcome:
        config = TimingConfig(min_buckets=self.opts.buckets, max_buckets=max(self.opts.buckets, self.opts.max_buckets),
                              target_width=self.opts.target_width, budget_s=self.opts.timing_budget_s,
                              early_stop=self.opts.early_stop, min_round_ms=self.opts.min_bucket_ms)
        hints = self.per_call_s if other is not eager else {"candidate": self.per_call_s.get("baseline", 0.0),
                                                             **self.per_call_s}
        return measure(eager, other, self.inputs_for, config, self.deadline, lock=TimingLock(self.timing_lock),
                       per_call_s=hints)
