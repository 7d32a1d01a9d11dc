"""The judge: a trusted object, one per process, that holds verdicts and never runs untrusted code.

It starts runners (jail/), keeps warm reference sessions, serves build requests, compares, times and decides.
Evaluator actors and the CLI each have one (`get_judge`), so a warm evaluation reuses the reference runner and its
cached outputs. Everything untrusted it touches is data it validates first.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from dataclasses import replace
from pathlib import Path

from kernelwright.evaluator.baseline_result import BaselineResult
from kernelwright.evaluator.build.cache import cache_root
from kernelwright.evaluator.jail.limits import Limits
from kernelwright.evaluator.judge.baselines import BaselineMeasurement
from kernelwright.evaluator.judge.builds import BuildService
from kernelwright.evaluator.judge.candidate import CandidateContext, CandidateEvaluation
from kernelwright.evaluator.judge.probe import probe_task
from kernelwright.evaluator.judge.references import ReferenceSession, SessionKey, SessionPool
from kernelwright.evaluator.judge.runner_process import RunnerConfig, RunnerProcess
from kernelwright.evaluator.platforms.base import Peaks, Platform
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import EvalResult, Verification
from kernelwright.evaluator.runner.protocol import Role
from kernelwright.tasks.model import Task
from kernelwright.tasks.probe_result import ProbeResult

# A reference runner lives across evaluations: its CPU-time limit is a backstop, each request has a deadline.
SESSION_CPU_SECONDS = 7 * 24 * 3600

log = logging.getLogger(__name__)


def runner_cpus(threads: int) -> tuple[int, ...] | None:
    """The cores every runner gets: the last `threads` this process may use (the judge keeps to the others)."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None
    return tuple(allowed[-threads:]) if len(allowed) > threads else None


class Judge:
    """Runners, reference sessions and verdicts for this process."""

    def __init__(self) -> None:
        self.sessions = SessionPool()
        self._spare: RunnerProcess | None = None
        self._spare_lock = threading.Lock()

    def _runner_for(self, config: RunnerConfig) -> RunnerProcess:
        """A fresh candidate runner: the spare started after the last evaluation if it fits, else a new one."""
        with self._spare_lock:
            spare, self._spare = self._spare, None
        if spare is not None and spare.config == config and spare.alive:
            return spare
        if spare is not None:
            spare.kill()
        return RunnerProcess(config)

    def _start_spare(self, config: RunnerConfig) -> None:
        """Start the next evaluation's runner now (a fresh jail that has run nothing yet), so its Python and torch
        import while the caller thinks of the next candidate. It is started after this evaluation's timing, so it
        never competes with a measurement of its own judge."""
        spare = RunnerProcess(config)
        with self._spare_lock:
            old, self._spare = self._spare, spare
        if old is not None:
            old.kill()

    def runner_config(self, platform: Platform, options: EvalOptions, threads: int, role: Role,
                      read_only: list[str] | None = None, read_write: list[str] | None = None,
                      env: dict[str, str] | None = None) -> RunnerConfig:
        cpu_seconds = int(options.timeout_s * max(threads, 1) * 2 + 30) if role is Role.candidate \
            else SESSION_CPU_SECONDS
        # The runner writes its outputs anywhere in its arena (a file, to RLIMIT_FSIZE), so the file-size limit is
        # at least the arena's; its scratch folder keeps the smaller size.
        limits = Limits(memory_mb=options.memory_mb, cpu_seconds=cpu_seconds, max_processes=options.max_processes,
                        max_file_mb=max(options.max_file_mb, options.memory_mb),
                        address_space=platform.limit_address_space, cpus=runner_cpus(threads))
        return RunnerConfig(platform=platform.name, threads=threads, limits=limits, jailed=not options.unsafe_no_jail,
                            read_only=[*platform.device_info(), *(read_only or [])], read_write=read_write or [],
                            devices=platform.device_nodes(),
                            env={**platform.runner_env(), **(env or {})}, arena_bytes=options.memory_mb * 2**20,
                            scratch_mb=options.max_file_mb)

    def session(self, task: Task, platform: Platform, options: EvalOptions, threads: int) -> ReferenceSession:
        """The warm reference session of this task version (started on first use)."""
        key = SessionKey(task.source_hash, task.size, platform.name, threads, options.seed, not options.unsafe_no_jail)
        config = self.runner_config(platform, options, threads, Role.reference)
        return self.sessions.get(key, task, config)

    def evaluate(self, task: Task, source: str, platform: Platform, options: EvalOptions, threads: int,
                 peaks: Peaks | None, verification: Verification, timing_lock: str | None) -> EvalResult:
        """One candidate's verdict (static checks and availability were done by the caller)."""
        builder = platform.kernel_builder() if platform.builds_with_load_inline else None
        builds = None
        if builder is not None:
            Path(builder.ext_dir).mkdir(parents=True, exist_ok=True)
            limits = Limits(memory_mb=max(options.memory_mb, 4096), cpu_seconds=3600,
                            max_processes=options.max_processes, max_file_mb=options.max_file_mb)
            builds = BuildService(builder, limits, jailed=not options.unsafe_no_jail)
        config = self.runner_config(platform, options, threads, Role.candidate)
        if builder is not None:
            config = replace(config, modules_from=str(builder.ext_dir))
        ctx = CandidateContext(task=task, source=source, platform=platform, options=options, threads=threads,
                               peaks=peaks, verification=verification, runner=config, builds=builds,
                               timing_lock=timing_lock)
        try:
            return CandidateEvaluation(ctx, self.session(task, platform, options, threads), self._runner_for).run()
        finally:
            try:
                self._start_spare(config)
            except Exception:  # noqa: BLE001 - a spare that cannot start is not this verdict's; the next one retries
                log.warning("could not pre-start the next candidate runner", exc_info=True)

    def baselines(self, task: Task, platform: Platform, options: EvalOptions, threads: int,
                  timing_lock: str | None) -> BaselineResult:
        """Eager against torch.compile of the task, in runners of their own."""
        inductor = cache_root() / "inductor" / task.source_hash[:32]
        inductor.mkdir(parents=True, exist_ok=True)
        compiled = self.runner_config(platform, options, threads, Role.compiled, read_write=[str(inductor)],
                                      env={"TORCHINDUCTOR_CACHE_DIR": str(inductor),
                                           "TRITON_CACHE_DIR": str(inductor / "triton")})
        session = self.session(task, platform, options, threads)
        return BaselineMeasurement(task, platform.name, options, session, compiled, timing_lock).run()

    def probe(self, task: Task, platform: Platform, options: EvalOptions, core: int | None = None,
              size_budget_ms: float | None = None) -> ProbeResult:
        """A task's checks, its code in a jailed runner of its own (never a warm session: it may be hostile);
        `core` pins it to that core instead of the last one (so probes run side by side do not share one);
        `size_budget_ms`: see `probe_task`."""
        config = self.runner_config(platform, options, 1, Role.reference)
        if core is not None:
            config = replace(config, limits=replace(config.limits, cpus=(core,)))
        return probe_task(task, platform.name, config, options.timeout_s, size_budget_ms)

    def close(self) -> None:
        self.sessions.close()
        with self._spare_lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.kill()


_judge: Judge | None = None
_lock = threading.Lock()


def get_judge() -> Judge:
    """This process's judge (made on first use, closed at exit)."""
    global _judge
    with _lock:
        if _judge is None:
            _judge = Judge()
            atexit.register(_judge.close)
        return _judge
