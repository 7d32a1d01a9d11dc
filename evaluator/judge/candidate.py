"""The judge's evaluation of one candidate: build, correctness, timing and sanity, decided in the judge.

The candidate's code runs in its own jailed runner, started fresh for this evaluation and killed at its end. The
reference's outputs come from the task's reference session (another runner). The judge compares the candidate's
outputs with its own comparator, times both runners on its own clock, and writes the verdict; what the
candidate's runner reports can only ever lower it.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from kernelwright.evaluator.compare import ErrorStats, Mismatch, compare
from kernelwright.evaluator.judge.builds import BuildService
from kernelwright.evaluator.judge.outcomes import Ended, Ending, from_exit, from_failure, task_failed, timed_out
from kernelwright.evaluator.judge.references import ReferenceFailed, ReferenceSession, ReferenceTimedOut
from kernelwright.evaluator.judge.rounds import DeferredWork, InputsChanged, RoundDeadline, RoundFailed
from kernelwright.evaluator.judge.runner_process import (
    RunnerConfig,
    RunnerFailed,
    RunnerGone,
    RunnerProcess,
    RunnerTimeout,
)
from kernelwright.evaluator.judge.timing import measure
from kernelwright.evaluator.judge.timing_decision import TimingConfig, TimingOutcome
from kernelwright.evaluator.judge.timing_lock import LockTimeout, TimingLock
from kernelwright.evaluator.platforms.base import Peaks, Platform
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import CorrectnessStats, EvalResult, Reason, Stage, Status, TimingStats, Verification
from kernelwright.evaluator.runner import tensors
from kernelwright.evaluator.runner.protocol import Call, Finish, Role, Setup, TensorSpec
from kernelwright.evaluator.sanity import check_against_peaks
from kernelwright.tasks.model import Task


@dataclass
class CandidateContext:
    """Everything one evaluation needs, resolved by `evaluator.api.evaluate`."""

    task: Task
    source: str
    platform: Platform
    options: EvalOptions
    threads: int
    peaks: Peaks | None
    verification: Verification
    runner: RunnerConfig
    builds: BuildService | None
    timing_lock: str | None


def check_metadata(spec: TensorSpec, expected: torch.Tensor, where: str) -> Mismatch | None:
    """Rows 8 and 10, before a byte is read: the output's dtype and shape are the reference's."""
    dtype = tensors.dtype_of(spec)
    if dtype != expected.dtype:
        return Mismatch(Reason.output_dtype, f"{where}: dtype {dtype}, expected {expected.dtype}")
    if list(spec.shape) != list(expected.shape):
        return Mismatch(Reason.output_shape, f"{where}: shape {tuple(spec.shape)}, expected {tuple(expected.shape)}")
    return None


class CandidateEvaluation:
    """One candidate, start to verdict."""

    def __init__(self, ctx: CandidateContext, session: ReferenceSession,
                 start_runner: Callable[[RunnerConfig], RunnerProcess] = RunnerProcess) -> None:
        self.ctx, self.session = ctx, session
        self.start_runner = start_runner
        self.opts = ctx.options
        self.stage = Stage.build
        self.errors = ErrorStats()
        self.trials = 0
        self.groups = 0
        self.deadline = time.monotonic() + self.opts.timeout_s
        if ctx.builds is not None:
            ctx.builds.deadline = self.deadline
        self.runner: RunnerProcess | None = None
        # The slowest single call each side took in the correctness stage (with its messages): what the first timed
        # rounds' deadlines are scaled from.
        self.per_call_s = {"baseline": 0.0, "candidate": 0.0}

    def run(self) -> EvalResult:
        try:
            self.runner = self.start_runner(self.ctx.runner)
            self.runner.on_build = self.ctx.builds
            self.runner.expires(self.deadline)  # the watchdog's: killed at the deadline whatever the judge waits on
            with self.session.lock:
                self.session.prestart()
                return self._judge()
        except Ended as ended:
            return self.result(ended.ending)
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, the worker gets a verdict, never a traceback
            return self.result(Ending(Status.runtime_error, Reason.harness_error, f"the judge could not finish "
                                      f"during {self.stage.value}: {type(exc).__name__}: {str(exc)[:300]}",
                                      traceback.format_exc()[-4000:]))
        finally:
            if self.runner is not None:
                self.runner.kill()

    @property
    def log(self) -> str:
        return self.runner.log if self.runner is not None else ""

    def result(self, ending: Ending, **extra: Any) -> EvalResult:
        builds = self.ctx.builds.log if self.ctx.builds is not None else None
        notes = self.runner.notes if self.runner is not None else []
        log = "\n".join(filter(None, [ending.log, *notes, self.log.strip()]))[-8000:]
        return EvalResult(
            status=ending.status, reason=ending.reason, message=ending.message, stage=self.stage,
            platform=self.ctx.platform.name, allow_torch=self.opts.allow_torch, verification=self.ctx.verification,
            build_seconds=builds.seconds if builds is not None else None, log=log,
            correctness=CorrectnessStats(trials=self.trials, input_groups=self.groups,
                                         max_abs_error=self.errors.max_abs, max_rel_error=self.errors.max_rel,
                                         worst_index=self.errors.index),
            **extra)

    def candidate_ending(self, error: Exception) -> Ending:
        """What the candidate's runner did to end the evaluation: a failure it reported, its death, its silence, or
        data it sent that breaks the protocol."""
        if isinstance(error, RunnerFailed):
            return from_failure(error.failure)
        if isinstance(error, RunnerGone):
            return from_exit(error, self.stage)
        if isinstance(error, RunnerTimeout):
            return timed_out(self.opts.timeout_s, self.stage)
        if isinstance(error, DeferredWork):
            return Ending(Status.rejected, Reason.deferred_work, f"timing: {error}")
        if isinstance(error, InputsChanged):
            return Ending(Status.rejected, Reason.input_mutation, f"timing: {error}")
        return Ending(Status.rejected, Reason.output_storage, f"the candidate's runner sent data the judge cannot "
                      f"use during {self.stage.value} ({type(error).__name__}: {str(error)[:200]})")

    def _candidate(self, fn: Any) -> Any:
        """Run a request to the candidate's runner; its failures, death, silence and bad data end the evaluation."""
        try:
            return fn()
        except (RunnerFailed, RunnerGone, RunnerTimeout, tensors.WireError) as exc:
            raise Ended(self.candidate_ending(exc)) from exc

    def _ending(self, failed: RoundFailed) -> Ending:
        """Whose timed round failed, and how: the candidate's is its verdict, the reference's a task problem."""
        error = failed.error
        if isinstance(error, LockTimeout):
            return Ending(Status.timeout, Reason.wall_timeout,
                          f"no verdict within {self.opts.timeout_s:.0f} s: {error}")
        if isinstance(error, RoundDeadline) and failed.side == "candidate":
            return Ending(Status.timeout, Reason.wall_timeout, f"{error} (its calls took at most "
                          f"{self.per_call_s['candidate'] * 1e3:.1f} ms each while being checked); killed")
        if failed.side == "baseline":
            detail = error.failure.message if isinstance(error, RunnerFailed) else getattr(error, "why", str(error))
            return task_failed(f"during timing: {detail}")
        return self.candidate_ending(error)

    def _reference(self, fn: Any) -> Any:
        try:
            return fn()
        except ReferenceTimedOut as exc:
            raise Ended(timed_out(self.opts.timeout_s, self.stage)) from exc
        except ReferenceFailed as exc:
            raise Ended(task_failed(str(exc))) from exc

    def _judge(self) -> EvalResult:
        assert self.runner is not None
        ctx, runner = self.ctx, self.runner
        setup = Setup(role=Role.candidate, task_id=ctx.task.id, task_source=ctx.task.source,
                      candidate_source=ctx.source, platform=ctx.platform.name, threads=ctx.threads,
                      seed=self.opts.seed, allow_torch=self.opts.allow_torch, verification=ctx.verification)
        self._reference(lambda: self.session.ensure_runner(self.deadline))
        try:
            runner.request(setup, self.deadline)
        except RunnerFailed as exc:
            refused = ctx.builds.log.refused if ctx.builds is not None else None
            if refused is not None:  # the judge's own refusal stands over whatever the runner made of it
                raise Ended(from_failure(refused)) from exc
            built = ctx.builds.log.kernels if ctx.builds is not None else 0
            if exc.failure.status is Status.build_ok_unverified and ctx.verification is Verification.compile_only \
                    and built:
                # A constructor that needs a GPU fails here for want of one: what the judge compiled is the answer.
                raise Ended(Ending(Status.build_ok_unverified, Reason.ok, f"{self.compile_message()} "
                                   f"({exc.failure.message})")) from exc
            raise Ended(from_failure(exc.failure)) from exc
        except (RunnerGone, RunnerTimeout) as exc:
            raise Ended(self.candidate_ending(exc)) from exc
        if ctx.builds is not None and ctx.builds.log.refused is not None:
            raise Ended(from_failure(ctx.builds.log.refused))
        if ctx.verification is Verification.compile_only:
            return self.compile_checked()
        self.stage = Stage.correctness
        self.correctness()
        if ctx.verification is Verification.interpreter:
            return self.finish(Ending(Status.correct, Reason.ok,
                                      f"{self.correct_message()} ({ctx.verification.label})"))
        if not self.opts.timing:
            return self.finish(Ending(Status.correct, Reason.ok, self.correct_message()))
        self.stage = Stage.timing
        outcome = self.timing()
        self._candidate(lambda: runner.request(Finish(), self.deadline))
        stats = TimingStats(buckets=outcome.buckets, runs_per_bucket=outcome.calls_per_round, threads=ctx.threads,
                            bucket_ratios=[round(r, 5) for r in outcome.ratios],
                            baseline_min_ms=outcome.baseline_min_ms, candidate_min_ms=outcome.candidate_min_ms,
                            decision=outcome.decision.value, seconds=round(outcome.seconds, 3),
                            confidence=round(outcome.confidence, 5), stopped=outcome.stop,
                            alone_ms=outcome.alone_ms, repeated_ms=outcome.repeated_ms,
                            busy_fraction=outcome.busy_fraction, lone_calls=outcome.cached_message)
        lo, hi = outcome.ci
        if not outcome.stable:
            return self.result(Ending(Status.unstable, Reason.unstable_timing,
                                      f"timing did not settle: interval [{lo:.2f}, {hi:.2f}] around "
                                      f"{outcome.speedup:.2f}x after {outcome.buckets} buckets; the kernel is "
                                      "correct but no speedup is reported"),
                               timing=stats, baseline_ms=outcome.baseline_ms, candidate_ms=outcome.candidate_ms,
                               speedup_ci=outcome.ci)
        timed = dict(speedup=outcome.speedup, speedup_ci=outcome.ci, baseline_ms=outcome.baseline_ms,
                     candidate_ms=outcome.candidate_ms, timing=stats)
        self.stage = Stage.sanity
        gflops, gbps, problem = None, None, None
        if ctx.peaks is not None:
            gflops, gbps, problem = check_against_peaks(ctx.task.flops, ctx.task.bytes_moved,
                                                        outcome.candidate_ms / 1e3, ctx.peaks,
                                                        ctx.platform.refresh_peaks)
        if problem:
            return self.result(Ending(Status.rejected, Reason.above_peak, problem), achieved_gflops=gflops,
                               achieved_gbps=gbps, **timed)
        self.stage = Stage.done
        verdict = {"faster": "faster", "slower": "slower", "indistinguishable": "indistinguishable from the baseline"}
        lone = f"; {outcome.cached_message}" if outcome.cached_message else ""
        return self.result(Ending(Status.correct, Reason.ok, f"{self.correct_message()}; speedup "
                                  f"{outcome.speedup:.2f}x [{lo:.2f}, {hi:.2f}] ({verdict[outcome.decision.value]})"
                                  f"{lone}"),
                           achieved_gflops=gflops, achieved_gbps=gbps, **timed)

    def finish(self, ending: Ending) -> EvalResult:
        assert self.runner is not None
        runner = self.runner
        self._candidate(lambda: runner.request(Finish(), self.deadline))
        return self.result(ending)

    def compile_message(self) -> str:
        kernels = self.ctx.builds.log.kernels if self.ctx.builds is not None else 0
        return (f"{kernels} extension(s) compiled with nvcc ({self.ctx.verification.label}); neither correctness nor "
                "speed was checked")

    def compile_checked(self) -> EvalResult:
        """The verdict without a GPU: what the judge compiled, and that nothing ran."""
        if self.ctx.builds is None or self.ctx.builds.log.kernels == 0:
            return self.result(Ending(Status.build_error, Reason.kernel_not_built, "without a GPU the harness "
                                      "compile-checks the kernels built while the module loads or ModelNew is "
                                      "constructed, and this candidate built none then; build them at module level "
                                      "or in __init__"))
        return self.result(Ending(Status.build_ok_unverified, Reason.ok, self.compile_message()))

    def correct_message(self) -> str:
        return f"correct on {self.trials} trials x {self.groups} input groups"

    # --- correctness ---------------------------------------------------------------------------------------

    def call(self, args: list[Any], where: str, expected: list[torch.Tensor]) -> list[torch.Tensor]:
        """Run the candidate once and read back its outputs, after checking their count, dtypes and shapes."""
        assert self.runner is not None
        runner = self.runner
        start = time.monotonic()
        reply = self._candidate(lambda: runner.request(Call(args=runner.write_args(args), where=where),
                                                        self.deadline))
        self.per_call_s["candidate"] = max(self.per_call_s["candidate"], time.monotonic() - start)
        if len(reply.outputs) != len(expected):
            raise Ended(Ending(Status.incorrect, Reason.output_shape,
                               f"{where}: {len(reply.outputs)} outputs, expected {len(expected)}"))
        for i, (spec, exp) in enumerate(zip(reply.outputs, expected)):
            label = f"{where}, output {i}" if len(expected) > 1 else where
            bad = check_metadata(spec, exp, label)
            if bad:
                self.fail(bad)
        try:
            return runner.read_outputs(reply.outputs)
        except tensors.WireError as exc:
            raise Ended(Ending(Status.rejected, Reason.output_storage, f"{where}: unreadable output ({exc})")) from exc

    def compare_all(self, got: list[torch.Tensor], expected: list[torch.Tensor], where: str) -> Mismatch | None:
        for i, (g, e) in enumerate(zip(got, expected)):
            label = f"{where}, output {i}" if len(expected) > 1 else where
            bad = compare(g, e, self.ctx.task.tolerance, label, self.errors)
            if bad:
                return bad
        return None

    def fail(self, bad: Mismatch) -> None:
        self.errors.max_abs = max(self.errors.max_abs, bad.max_abs or 0.0)
        if bad.index is not None:
            self.errors.index = bad.index
        raise Ended(Ending(Status.incorrect, bad.reason, bad.message))

    def correctness(self) -> None:
        for trial in range(self.opts.correctness_trials):
            # Fresh inputs from a secret seed every trial (rows 8 and 20): never the task file's defaults, and
            # nothing the candidate can predict.
            groups = self._reference(lambda: self.session.fresh_inputs(self.deadline))
            self.groups = len(groups)
            for g, args in enumerate(groups):
                where = f"trial {trial + 1}, input group {g}"
                start = time.monotonic()
                expected = self._reference(lambda args=args: self.session.run(args, self.deadline))
                self.per_call_s["baseline"] = max(self.per_call_s["baseline"], time.monotonic() - start)
                got = self.call(args, where, expected)
                bad = self.compare_all(got, expected, where)
                if bad:
                    self.fail(bad)
                if trial == 0 and g == 0:
                    # Row 13: the same inputs must give the same answer.
                    again = self.call(args, where + " (repeat)", expected)
                    for a, b in zip(again, got):
                        bad = compare(a, b, self.ctx.task.tolerance, where + " (repeat)")
                        if bad:
                            raise Ended(Ending(Status.incorrect, Reason.nondeterministic,
                                               f"two runs on the same inputs differ: {bad.message}"))
            self.trials = trial + 1

    # --- timing --------------------------------------------------------------------------------------------

    def timing(self) -> TimingOutcome:
        assert self.runner is not None
        reference = self._reference(lambda: self.session.ensure_runner(self.deadline))
        make = self.session.timing_inputs(self.deadline)

        def inputs_for(bucket: int) -> list[Any]:
            return self._reference(lambda: make(bucket))
        config = TimingConfig(min_buckets=self.opts.buckets, max_buckets=max(self.opts.buckets, self.opts.max_buckets),
                              target_width=self.opts.target_width, budget_s=self.opts.timing_budget_s,
                              early_stop=self.opts.early_stop, min_round_ms=self.opts.min_bucket_ms)
        try:
            outcome = measure(reference, self.runner, inputs_for, config, self.deadline,
                              tolerance=self.ctx.task.tolerance, candidate_cpu=self.runner.cpu_seconds,
                              lock=TimingLock(self.ctx.timing_lock), per_call_s=self.per_call_s)
        except RoundFailed as failed:
            raise Ended(self._ending(failed)) from failed.error
        if outcome.stale_message:
            raise Ended(Ending(Status.rejected, Reason.stale_output,
                               outcome.stale_message + " (results cached between calls?)"))
        if outcome.busy_message:
            raise Ended(Ending(Status.rejected, Reason.background_thread, outcome.busy_message))
        return outcome
