"""Optimize jobs for the service: each is a stored optimize run, searched on the shared Ray evaluators.

The searches run as coroutines on one event loop in a thread of their own, so the web server's loop only ever
reads the store and answers requests. The Ray actors do the heavy work (builds, correctness, timing); the
server process is the driver and the only writer of the store, as in `kernelwright optimize`.

A job's id is its run id. Jobs that were queued or running when the service stopped are resumed when it starts
again (their stored turns are replayed, no stored evaluation is redone).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field

from kernelwright.agent.driver import Driver, Unanswerable
from kernelwright.agent.evaluators import ClusterConfig, EvaluatorPool
from kernelwright.agent.providers import ProviderError, get_provider
from kernelwright.agent.runner import OptimizeConfig, Optimizer, load_config_task
from kernelwright.db import Store
from kernelwright.db.models import RunKind, RunStatus
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.model import Task

log = logging.getLogger("kernelwright.server")

# The key in a run's config that marks it as a service job.
SERVICE_KEY = "service"
# How long shutdown waits for cancelled jobs to record themselves as interrupted.
SHUTDOWN_WAIT_S = 30.0


@dataclass
class JobState:
    """What only the running service knows about a job: its place in line and its latest phase."""

    owner: str
    queued: bool = True
    phase: str = ""
    future: Future[None] | None = field(default=None, repr=False)


class JobCapReached(Exception):
    """The submitter has as many unfinished jobs as it may."""


class JobManager:
    """Runs submitted optimize jobs, at most `max_running` at once, the rest in submission order."""

    def __init__(self, store: Store, cluster_config: ClusterConfig, platform: str, max_running: int) -> None:
        self.store = store
        self.cluster = EvaluatorPool(cluster_config, platform)
        self.driver = Driver(self.cluster)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kernelwright-jobs", daemon=True)
        # Since Python 3.10 a semaphore binds to the loop that first waits on it: the jobs loop.
        self._slots = asyncio.Semaphore(max_running)
        self._jobs: dict[str, JobState] = {}
        self._line: list[str] = []
        self._lock = threading.Lock()
        # Submissions past the job-cap check whose (slow) operator check is still running, per owner.
        self._reserved: dict[str, int] = {}

    def start(self) -> None:
        """Start Ray and the evaluators, then the jobs loop; resume service jobs left unfinished."""
        self.cluster.start()
        self._thread.start()
        for run in reversed(self.store.list_runs(kind=RunKind.optimize)):
            service = (run.config or {}).get(SERVICE_KEY)
            if isinstance(service, dict) and run.status in (RunStatus.running, RunStatus.interrupted):
                self._resume(run.id, str(service.get("submitted_by", "")))

    def submit(self, config: OptimizeConfig, task: Task, owner: str) -> str:
        """Store the run and queue it; returns the job id. Raises `ProviderError` for a provider it cannot make."""
        provider = get_provider(config.provider)
        optimizer = Optimizer(self.store, provider, self.cluster, config, task,
                              labels={SERVICE_KEY: {"submitted_by": owner}})
        run_id = optimizer.open()
        self._enqueue(run_id, owner, optimizer)
        return run_id

    def _resume(self, run_id: str, owner: str) -> None:
        run = self.store.get_run(run_id)
        assert run is not None and run.config is not None
        try:
            config = OptimizeConfig.model_validate(run.config["optimize"])
            task = load_config_task(config)
            provider = get_provider(config.provider)
        except (TaskLoadError, ProviderError, KeyError, ValueError) as exc:
            log.warning("cannot resume job %s: %s", run_id, exc)
            self._record_error(run_id, f"could not be resumed: {exc}")
            self.store.finish_run(run_id, RunStatus.failed)
            return
        optimizer = Optimizer(self.store, provider, self.cluster, config, task, resume_run_id=run_id)
        optimizer.open()
        log.info("resuming job %s", run_id)
        self._enqueue(run_id, owner, optimizer)

    def _enqueue(self, run_id: str, owner: str, optimizer: Optimizer) -> None:
        state = JobState(owner=owner)
        with self._lock:
            self._jobs[run_id] = state
            self._line.append(run_id)
        optimizer.on_event = lambda event: setattr(state, "phase", event.phase or event.message or state.phase)
        state.future = asyncio.run_coroutine_threadsafe(self._run(run_id, optimizer), self._loop)

    async def _run(self, run_id: str, optimizer: Optimizer) -> None:
        state = self._jobs[run_id]
        try:
            async with self._slots:
                with self._lock:
                    state.queued = False
                    self._line.remove(run_id)
                try:
                    await self.driver.run_async(optimizer)
                except (ProviderError, Unanswerable) as exc:
                    self._record_error(run_id, str(exc))
                    self.store.finish_run(run_id, RunStatus.failed)
        except asyncio.CancelledError:
            with self._lock:
                was_queued = state.queued
                if was_queued:
                    self._line.remove(run_id)
            if was_queued:  # a started search records its own interruption
                self.store.finish_run(run_id, RunStatus.interrupted)
            raise
        except Exception as exc:  # noqa: BLE001 - a failed job is reported on its page, the service goes on
            log.exception("job %s failed", run_id)
            self._record_error(run_id, f"{type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._jobs.pop(run_id, None)

    def _record_error(self, run_id: str, message: str) -> None:
        run = self.store.get_run(run_id)
        if run is None:
            return
        config = dict(run.config or {})
        config[SERVICE_KEY] = {**dict(config.get(SERVICE_KEY) or {}), "error": message}
        self.store.set_run_config(run_id, config)

    def state(self, run_id: str) -> tuple[JobState, int | None] | None:
        """The live state of a job this service runs, with its place in line while queued; None otherwise."""
        with self._lock:
            state = self._jobs.get(run_id)
            if state is None:
                return None
            return state, (self._line.index(run_id) if state.queued else None)

    def unfinished(self, owner: str) -> int:
        """Jobs of `owner` queued or running now."""
        with self._lock:
            return sum(1 for s in self._jobs.values() if s.owner == owner)

    @contextmanager
    def reserve(self, owner: str, cap: int) -> Iterator[None]:
        """Hold one of `owner`'s `cap` job places while a submission is checked and queued.

        The check and the count happen under one lock, so parallel submissions can't all pass a cap that only one
        of them fits; `JobCapReached` when none is left.
        """
        with self._lock:
            held = sum(1 for s in self._jobs.values() if s.owner == owner) + self._reserved.get(owner, 0)
            if held >= cap:
                raise JobCapReached(f"{owner!r} already has {cap} unfinished jobs; wait for one to finish")
            self._reserved[owner] = self._reserved.get(owner, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._reserved[owner] -= 1

    def shutdown(self) -> None:
        """Cancel every job (each run is stored as interrupted, to be resumed next start) and stop Ray."""
        if self._thread.is_alive():
            with self._lock:
                futures = [s.future for s in self._jobs.values() if s.future is not None]
            for future in futures:
                future.cancel()
            done = threading.Event()
            self._loop.call_soon_threadsafe(self._drain, done)
            done.wait(SHUTDOWN_WAIT_S)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(SHUTDOWN_WAIT_S)
        self.cluster.shutdown()

    def _drain(self, done: threading.Event) -> None:
        pending = [t for t in asyncio.all_tasks(self._loop) if not t.done()]
        if not pending:
            done.set()
            return
        gathered = asyncio.gather(*pending, return_exceptions=True)
        gathered.add_done_callback(lambda _f: done.set())
