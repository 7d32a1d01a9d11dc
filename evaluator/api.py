"""The evaluator's entry points: `evaluate()` a candidate, `measure_baselines()` of a task, `probe()` a task file.

Each is a pure function from its inputs to a result, as before; behind them this process's judge
(evaluator/judge/) runs every piece of task or candidate code in a jailed runner (evaluator/jail/) and keeps the
verdict to itself.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch

from kernelwright.evaluator.baseline_result import BaselineResult, BaselineStatus
from kernelwright.evaluator.build.cache import cache_root
from kernelwright.evaluator.compare import tolerance_for
from kernelwright.evaluator.hashing import normalized_hash
from kernelwright.evaluator.jail.bwrap import jail_problem
from kernelwright.evaluator.judge.judge import get_judge
from kernelwright.evaluator.platforms import get_platform
from kernelwright.evaluator.platforms.base import Platform
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status, Verification
from kernelwright.evaluator.static_checks import check_source
from kernelwright.tasks.errors import TaskLoadError, TaskProblem
from kernelwright.tasks.loader import (
    PROBE_TIMEOUT_S,
    cached_probe,
    cached_refusal,
    remember_probe,
    remember_refusal,
    task_at_size,
)
from kernelwright.tasks.model import Task
from kernelwright.tasks.probe_result import ProbeResult
from kernelwright.tasks.sizes import DEFAULT_SIZE

NO_JAIL_HINT = ("untrusted code runs only in the jail; fix the above, or pass --unsafe-no-jail to run your own "
                "trusted code without it on this machine")


def default_threads() -> int:
    """Half the cores this process may use (at least one), so timing doesn't fight the OS for a core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores // 2)


def timing_lock_path(platform: str) -> Path:
    """One lock file per machine and device kind: every evaluation here times under it, one at a time."""
    folder = cache_root() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"timing-{platform}.lock"


def resolve_size(task: Task, size: str | None, platform: str) -> Task:
    """The task at `size`, or at the platform's default size when `size` is None.

    Defaults: `cpu` runs the task file as written; `cuda` and `triton` on a GPU run its `gpu` size; `triton`
    interpreted and `cuda` compile-checked run its `small` size. A task without the default size runs at
    its CPU size; a size named explicitly must exist (`TaskLoadError` otherwise). A task the caller has
    already resized is left as it is unless another size is named.
    """
    if size is None:
        if task.size != DEFAULT_SIZE:
            return task
        size = get_platform(platform).default_size(task)
    return task_at_size(task, size)


def jail_refusal(options: EvalOptions) -> str | None:
    """Why untrusted code cannot run here (no jail, and the unsafe opt-out not taken), or None."""
    if options.unsafe_no_jail:
        return None
    problem = jail_problem()
    return f"the jail cannot start: {problem}; {NO_JAIL_HINT}" if problem else None


def _prepared(plat: Platform, threads: int) -> None:
    """Warm the platform's shared artifacts (precompiled header, peaks) with the evaluation's thread count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        plat.prepare()
    finally:
        torch.set_num_threads(previous)


def evaluate(task: Task, candidate_source: str, platform: str = "cpu",
             options: EvalOptions | None = None, static_checks: bool = True) -> EvalResult:
    """Judge one candidate on one task: static checks, then a jailed runner for everything that runs code.

    The task is first brought to the problem size `options.size` names (or the platform's default, see
    `resolve_size`); an undefined size raises `TaskLoadError`. `static_checks=False` skips the text screens (the
    adversarial tests use it to show that the run-time layers hold on their own).
    """
    opts = options or EvalOptions()
    start = time.perf_counter()
    plat = get_platform(platform)
    task = resolve_size(task, opts.size, plat.name)
    task = task.model_copy(update={"tolerance": tolerance_for(task.tolerance, opts.tolerance)})
    verification = plat.verification()
    threads = opts.threads or default_threads()
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        hardware = plat.hardware().description
    finally:
        torch.set_num_threads(previous)
    common = dict(platform=plat.name, hardware=hardware, allow_torch=opts.allow_torch, task_id=task.id,
                  task_hash=task.source_hash, candidate_hash=normalized_hash(candidate_source), size=task.size,
                  verification=verification, jailed=not opts.unsafe_no_jail, tolerance=opts.tolerance)

    def early(status: Status, reason: Reason, message: str, stage: Stage) -> EvalResult:
        return EvalResult(status=status, reason=reason, message=message, stage=stage,
                          wall_seconds=time.perf_counter() - start, **common)

    if static_checks:
        finding = check_source(candidate_source, plat, allow_torch=opts.allow_torch)
        if finding is not None:
            status = Status.build_error if finding.reason is Reason.syntax_error else Status.rejected
            return early(status, finding.reason, finding.message, Stage.static)
    missing = plat.unavailable()
    if missing is not None:
        return early(Status.build_error, Reason.no_toolchain, missing, Stage.build)
    refusal = jail_refusal(opts)
    if refusal is not None:
        return early(Status.build_error, Reason.no_jail, refusal, Stage.build)
    _prepared(plat, threads)
    peaks = plat.peaks() if verification is Verification.native else None
    result = get_judge().evaluate(task, candidate_source, plat, opts, threads, peaks, verification,
                                  str(timing_lock_path(plat.name)))
    data = result.model_dump()
    data.update(common, wall_seconds=time.perf_counter() - start)
    return EvalResult.model_validate(data)


def measure_baselines(task: Task, platform: str = "cpu", options: EvalOptions | None = None) -> BaselineResult:
    """Time the task's PyTorch eager model against `torch.compile` of it, side by side, each in a jailed runner.

    Same size, threads, timing protocol and timing lock as `evaluate`, so the times compare with its speedups.
    Platforms that time nothing on this machine (Triton interpreted, CUDA compile-checked) return `not_timed`.
    """
    opts = options or EvalOptions()
    start = time.perf_counter()
    plat = get_platform(platform)
    task = resolve_size(task, opts.size, plat.name)
    task = task.model_copy(update={"tolerance": tolerance_for(task.tolerance, opts.tolerance)})
    common = dict(platform=plat.name, task_id=task.id, task_hash=task.source_hash, size=task.size,
                  jailed=not opts.unsafe_no_jail, tolerance=opts.tolerance)
    if plat.verification() is not Verification.native:
        return BaselineResult(status=BaselineStatus.not_timed, message=f"{plat.name} times nothing here "
                              f"({plat.verification().label})", **common)
    refusal = jail_refusal(opts)
    if refusal is not None:
        return BaselineResult(status=BaselineStatus.error, message=refusal, **common)
    threads = opts.threads or default_threads()
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        hardware = plat.hardware().description
    finally:
        torch.set_num_threads(previous)
    _prepared(plat, threads)
    result = get_judge().baselines(task, plat, opts, threads, str(timing_lock_path(plat.name)))
    return result.model_copy(update={**common, "hardware": hardware, "wall_seconds": time.perf_counter() - start})


def probe(task: Task, platform: str = "cpu", timeout_s: float = PROBE_TIMEOUT_S,
          options: EvalOptions | None = None, core: int | None = None, reuse_refusals: bool = False,
          size_budget_ms: float | None = None) -> ProbeResult:
    """Check a task file (imports, runs on two seeds and every input group, not degenerate) in a jailed runner.

    The runner gets `options.memory_mb` of memory and `timeout_s` of time; a task that needs more is refused with
    `TaskProblem.out_of_memory` / `timeout`. `core` pins the runner to that core (parallel probes each get their
    own), else it runs on the last core this process may use. A passing result is remembered by source hash, so a
    task that has not changed is not run again. With `reuse_refusals` (imports), a refusal under the same limits is
    remembered and read back too, so an import stopped half-way and run again picks up where it stopped. With
    `size_budget_ms` (an import sizing a task), a size far over that eager budget is refused as `too_slow` after its
    first calls, without the rest of the checks.
    """
    cached = cached_probe(task.source_hash)
    if cached is not None:
        return cached.model_copy(update={"reused": True})
    opts = (options or EvalOptions()).model_copy(update={"timeout_s": timeout_s})
    limits = f"{platform}-{opts.memory_mb}m-{timeout_s:g}s"
    if size_budget_ms is not None:  # a sizing probe's refusal holds for its budget only
        limits += f"-{size_budget_ms:g}ms"
    if reuse_refusals:
        refused = cached_refusal(task.source_hash, limits)
        if refused is not None:
            return refused.model_copy(update={"reused": True})
    refusal = jail_refusal(opts)
    if refusal is not None:
        return ProbeResult(ok=False, problem=refusal, kind=TaskProblem.no_jail)
    result = get_judge().probe(task, get_platform(platform), opts, core, size_budget_ms)
    if not opts.unsafe_no_jail:  # only a jailed probe vouches for a task later
        if result.ok:
            remember_probe(task.source_hash, result)
        elif reuse_refusals and result.kind is not TaskProblem.no_jail:
            remember_refusal(task.source_hash, limits, result)
    return result


def checked_task(task: Task, platform: str = "cpu", options: EvalOptions | None = None) -> Task:
    """`task` once its probe has passed (with its input-group count); `TaskLoadError` with the problem otherwise."""
    result = probe(task, platform, options=options)
    if not result.ok:
        raise TaskLoadError(task.path or task.id, result.problem, result.kind or TaskProblem.load_error)
    return task.model_copy(update={"input_groups": result.input_groups})
