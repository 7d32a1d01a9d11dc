"""The one sequence every run goes through, shared by `optimize`, `bench` and the service's jobs.

Check the provider (before anything starts), start or join Ray with its evaluators, say what this machine
cannot verify, run the search (a new run, or a resumed one: the job knows which), and on the way out mark
an interrupted run resumable and shut the evaluators down. The command line and the service differ only in
what they show while it happens (the hooks) and in who owns the Ray cluster.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext, redirect_stdout
from typing import Any, Protocol, TypeVar

from kernelwright.agent.evaluators import EvaluatorPool
from kernelwright.agent.providers import Provider, ProviderError
from kernelwright.evaluator.platforms import platform_class
from kernelwright.tasks.model import Task

R = TypeVar("R", covariant=True)


class RunJob(Protocol[R]):
    """A stored run the driver can run: an optimize run (`agent.runner.Optimizer`) or a bench run."""

    run_id: str
    provider: Provider

    @property
    def tasks(self) -> list[Task]:
        """The tasks the run searches."""
        ...

    def run(self) -> R:
        """Run (or resume) to the end on a fresh event loop."""
        ...

    async def run_async(self) -> R:
        """The same, on the caller's running event loop."""
        ...


class RunStopped(Exception):
    """A run stopped before its end and can be resumed by id; `interrupted` (Ctrl-C, a cancelled job) or a
    provider that failed mid-run (`cause` says how)."""

    def __init__(self, run_id: str, interrupted: bool, cause: str = "") -> None:
        super().__init__(cause or "interrupted")
        self.run_id, self.interrupted, self.cause = run_id, interrupted, cause


class Unanswerable(ValueError):
    """The provider cannot answer any task of the run (the offline `examples` provider without an example)."""


def unanswerable(job: RunJob[Any], platform: str) -> list[str]:
    """Why the provider cannot answer each task it cannot (empty when it can answer them all)."""
    reasons = (job.provider.cannot_answer(task, platform) for task in job.tasks)
    return [reason for reason in reasons if reason is not None]


def verification_note(cluster: EvaluatorPool) -> str | None:
    """What this cluster cannot verify for its platform, to be said before the first turn; None if all."""
    platform = platform_class(cluster.platform)
    return platform.no_hardware_note if platform.needs_gpu and cluster.gpus == 0 else None


class Driver:
    """Runs jobs on a cluster. `starting` wraps the cluster's start (a spinner), `running` the run itself (a
    live view), `note` receives what the machine cannot verify."""

    def __init__(self, cluster: EvaluatorPool, *,
                 starting: Callable[[], AbstractContextManager[Any]] = nullcontext,
                 running: Callable[[], AbstractContextManager[Any]] = nullcontext,
                 note: Callable[[str], None] = lambda _text: None) -> None:
        self.cluster, self.starting, self.running, self.note = cluster, starting, running, note

    def check(self, job: RunJob[Any]) -> None:
        """Fail before anything starts: `ProviderError` (no key, endpoint down), `Unanswerable`."""
        reasons = unanswerable(job, self.cluster.platform)
        if reasons and len(reasons) == len(job.tasks):
            raise Unanswerable("; ".join(dict.fromkeys(reasons)))
        asyncio.run(job.provider.check())

    def run(self, job: RunJob[R]) -> R:
        """Check, start Ray and the evaluators, run to the end, shut down; `RunStopped` when it stops early."""
        self.check(job)
        # Ray prints cluster errors (a node that died) on the driver's stdout from a thread of its own; they are
        # diagnostics, so they go to stderr and stdout stays for results (`--json` prints exactly one object).
        with redirect_stdout(sys.stderr):
            return self._run(job)

    def _run(self, job: RunJob[R]) -> R:
        try:
            with self.starting():
                self.cluster.start()
            note = verification_note(self.cluster)
            if note is not None:
                self.note(note)
            with self.running():
                return job.run()
        except KeyboardInterrupt:
            raise RunStopped(job.run_id, interrupted=True) from None
        except ProviderError as exc:
            raise RunStopped(job.run_id, interrupted=False, cause=str(exc)) from exc
        finally:
            self.cluster.shutdown()

    async def run_async(self, job: RunJob[R]) -> R:
        """The service's sequence on its own loop and its long-lived cluster (started and shut down by the
        service): check the provider, then run; a cancelled job ends interrupted, resumable."""
        reasons = unanswerable(job, self.cluster.platform)
        if reasons and len(reasons) == len(job.tasks):
            raise Unanswerable("; ".join(dict.fromkeys(reasons)))
        await job.provider.check()
        return await job.run_async()
