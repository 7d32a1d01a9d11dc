"""`evaluate()`: (task, candidate source, platform) -> `EvalResult`, the evaluator's one entry point."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
import uuid
from pathlib import Path

import torch

from evaluator.baseline_result import BaselineResult, BaselineStatus
from evaluator.build.cache import cache_root
from evaluator.hashing import normalized_hash
from evaluator.platforms import get_platform
from evaluator.request import EvalOptions, EvalRequest, RequestMode
from evaluator.result import EvalResult, Reason, Stage, Status, Verification
from evaluator.sandbox.launcher import ChildOutcome, run_child
from evaluator.static_checks import check_source
from tasks.loader import remember_probe, task_at_size
from tasks.model import Task
from tasks.probe_result import ProbeResult
from tasks.sizes import DEFAULT_SIZE


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


def evaluate(task: Task, candidate_source: str, platform: str = "cpu",
             options: EvalOptions | None = None) -> EvalResult:
    """Judge one candidate on one task: static checks here, everything that runs code in a sandbox child.

    The task is first brought to the problem size `options.size` names (or the platform's default, see
    `resolve_size`); an undefined size raises `TaskLoadError`.
    """
    opts = options or EvalOptions()
    start = time.perf_counter()
    plat = get_platform(platform)
    task = resolve_size(task, opts.size, plat.name)
    verification = plat.verification()
    threads = opts.threads or default_threads()
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        hardware = plat.hardware()
        common = dict(platform=plat.name, hardware=hardware.description, allow_torch=opts.allow_torch,
                      task_id=task.id, task_hash=task.source_hash, candidate_hash=normalized_hash(candidate_source),
                      size=task.size, verification=verification)
        finding = check_source(candidate_source, plat, allow_torch=opts.allow_torch)
        if finding is not None:
            status = Status.build_error if finding.reason is Reason.syntax_error else Status.rejected
            return EvalResult(status=status, reason=finding.reason, message=finding.message, stage=Stage.static,
                              wall_seconds=time.perf_counter() - start, **common)
        missing = plat.unavailable()
        if missing is not None:
            return EvalResult(status=Status.build_error, reason=Reason.no_toolchain, message=missing,
                              stage=Stage.build, wall_seconds=time.perf_counter() - start, **common)
        plat.prepare()
        peaks = plat.peaks()
    finally:
        torch.set_num_threads(previous)
    private = tempfile.mkdtemp(prefix="kw_eval_")
    try:
        request = EvalRequest(task=task, candidate_source=candidate_source, platform=plat.name, options=opts,
                              peaks=peaks, verification=verification, nonce=uuid.uuid4().hex, private_dir=private,
                              cache_dir=str(cache_root()), timing_lock=str(timing_lock_path(plat.name)))
        outcome = run_child(request, threads, plat.child_env(), plat.limit_address_space)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    result = _to_result(outcome, opts)
    return result.model_copy(update={**common, "wall_seconds": time.perf_counter() - start})


def measure_baselines(task: Task, platform: str = "cpu", options: EvalOptions | None = None) -> BaselineResult:
    """Time the task's PyTorch eager model against `torch.compile` of it, side by side, in a sandbox child.

    Same size, threads, timing protocol and timing lock as `evaluate`, so the times compare with its speedups.
    Platforms that time nothing on this machine (Triton interpreted, CUDA compile-checked) return `not_timed`.
    """
    opts = options or EvalOptions()
    start = time.perf_counter()
    plat = get_platform(platform)
    task = resolve_size(task, opts.size, plat.name)
    common = dict(platform=plat.name, task_id=task.id, task_hash=task.source_hash, size=task.size)
    if plat.verification() is not Verification.native:
        return BaselineResult(status=BaselineStatus.not_timed, message=f"{plat.name} times nothing here "
                              f"({plat.verification().label})", **common)
    threads = opts.threads or default_threads()
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        hardware = plat.hardware().description
        plat.prepare()
    finally:
        torch.set_num_threads(previous)
    private = tempfile.mkdtemp(prefix="kw_base_")
    try:
        request = EvalRequest(mode=RequestMode.baselines, task=task, candidate_source="", platform=plat.name,
                              options=opts, nonce=uuid.uuid4().hex, private_dir=private,
                              cache_dir=str(cache_root()), timing_lock=str(timing_lock_path(plat.name)))
        outcome = run_child(request, threads, plat.child_env(), plat.limit_address_space)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    finals = [m["baseline"] for m in outcome.messages if "baseline" in m]
    if finals:
        result = BaselineResult.model_validate(finals[-1])
    else:
        why = "timed out" if outcome.timed_out else f"exited with code {outcome.returncode}"
        tail = outcome.log.strip().splitlines()[-1:] or ["no output"]
        result = BaselineResult(status=BaselineStatus.error, message=f"the baseline run {why}: {tail[0][:300]}",
                                platform=plat.name, log=outcome.log[-8000:])
    return result.model_copy(update={**common, "hardware": hardware, "wall_seconds": time.perf_counter() - start})


def _to_result(outcome: ChildOutcome, opts: EvalOptions) -> EvalResult:
    finals = [m["result"] for m in outcome.messages if "result" in m]
    stages = [m["stage"] for m in outcome.messages if "stage" in m]
    stage = Stage(stages[-1]) if stages else Stage.build
    log = "\n".join([*outcome.notes, outcome.log.strip()]).strip()[-8000:]
    if finals:
        result = EvalResult.model_validate(finals[-1])
        return result.model_copy(update={"log": "\n".join(filter(None, [result.log, log]))[-8000:]})
    base = dict(stage=stage, platform="", log=log)
    if outcome.timed_out:
        return EvalResult(status=Status.timeout, reason=Reason.wall_timeout,
                          message=f"no verdict within {opts.timeout_s:.0f} s during {stage.value}; killed", **base)
    sig = outcome.signal
    if sig == signal.SIGXCPU:
        return EvalResult(status=Status.timeout, reason=Reason.wall_timeout,
                          message=f"CPU time limit exceeded during {stage.value}", **base)
    if sig == signal.SIGKILL:
        return EvalResult(status=Status.runtime_error, reason=Reason.out_of_memory,
                          message=f"killed during {stage.value} (out of memory?)", **base)
    if sig is not None:
        name = signal.Signals(sig).name
        return EvalResult(status=Status.runtime_error, reason=Reason.crashed,
                          message=f"the candidate crashed with {name} during {stage.value}", **base)
    if "MemoryError" in outcome.log or "can't allocate memory" in outcome.log:
        return EvalResult(status=Status.runtime_error, reason=Reason.out_of_memory,
                          message=f"out of memory during {stage.value}", **base)
    tail = outcome.log.strip().splitlines()[-1:] or ["no output"]
    return EvalResult(status=Status.runtime_error, reason=Reason.harness_error,
                      message=f"the evaluation process exited with code {outcome.returncode} during {stage.value} "
                      f"without a verdict: {tail[0][:300]}", **base)


def probe_untrusted(task: Task, platform: str = "cpu", timeout_s: float = 120.0) -> ProbeResult:
    """Import and run a task file someone submitted, in a sandbox child under the candidate's guard.

    The same checks as `tasks.loader.probe_task` (imports, runs on two seeds, every input group, not degenerate),
    but the task's code gets no network, no process spawning and no writes outside its own folder. A passing
    result is remembered by source hash, so later loads of the same task do not run it again outside the sandbox.
    """
    plat = get_platform(platform)
    private = tempfile.mkdtemp(prefix="kw_probe_")
    try:
        request = EvalRequest(mode=RequestMode.probe, task=task, candidate_source="", platform=plat.name,
                              options=EvalOptions(timeout_s=timeout_s), nonce=uuid.uuid4().hex,
                              private_dir=private, cache_dir=str(cache_root()))
        outcome = run_child(request, 1, plat.child_env(), plat.limit_address_space)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    finals = [m["probe"] for m in outcome.messages if "probe" in m]
    if not finals:
        why = "timed out" if outcome.timed_out else f"exited with code {outcome.returncode}"
        tail = outcome.log.strip().splitlines()[-1:] or ["no output"]
        return ProbeResult(ok=False, problem=f"the task's check {why}: {tail[0][:300]}")
    result = ProbeResult.model_validate(finals[-1])
    if result.ok:
        remember_probe(task.source_hash, result)
    return result
