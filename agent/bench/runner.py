"""The driver of `kernelwright bench`: every selected task's search, plus its baselines, as one stored run.

Only this process writes to the store. Tasks run concurrently (at most `concurrency` tasks started and
`concurrency` trajectories at once) on the shared evaluator actors, each task's baselines just before its search;
the PyTorch eager and `torch.compile` baselines of each task are measured once per task version, machine, platform
and harness version and reused by later runs. A run stopped any way (Ctrl-C,
SIGKILL, a crash) resumes with `--resume RUN_ID`: stored turns are replayed and stored evaluations never re-run.
"""

from __future__ import annotations

import asyncio
from typing import Any

from kernelwright.agent.bench.config import BenchConfig
from kernelwright.agent.evaluators import EvaluatorPool, EvaluatorSite
from kernelwright.agent.prompts import template_version
from kernelwright.agent.providers import Provider
from kernelwright.agent.search_context import Event, EventKind, EventSink, SearchContext
from kernelwright.agent.task_search import TaskSearch, run_and_close, run_and_close_async
from kernelwright.agent.verdicts import VerdictRecorder
from kernelwright.db import Store
from kernelwright.db.enums import BaselineKind, RunKind, RunStatus
from kernelwright.db.provenance import VerdictKey
from kernelwright.evaluator import BaselineResult, BaselineStatus
from kernelwright.evaluator.result import HARNESS_VERSION
from kernelwright.tasks.model import Task


class BenchRunner:
    """Runs (or resumes) one bench run. Call `run()` once; `run_id` is set as soon as the run exists."""

    def __init__(self, store: Store, provider: Provider, cluster: EvaluatorPool, config: BenchConfig, tasks: list[Task],
                 on_event: EventSink | None = None, resume_run_id: str | None = None) -> None:
        self.store, self.provider, self.cluster, self.config, self.tasks = store, provider, cluster, config, tasks
        self.on_event = on_event or (lambda _event: None)
        self.run_id = resume_run_id or ""
        self.resuming = resume_run_id is not None
        self.searches: list[TaskSearch] = []

    def run(self) -> str:
        """Run every task to its end; Ctrl-C marks the run interrupted (resumable) and re-raises."""
        for task in self.tasks:
            self.store.upsert_task(task)
        run_and_close(self._main, self._close)
        return self.run_id

    async def run_async(self) -> str:
        """`run()` on the caller's event loop; cancelling it marks the run interrupted (resumable)."""
        for task in self.tasks:
            self.store.upsert_task(task)
        await run_and_close_async(self._main, self._close)
        return self.run_id

    def _close(self, status: RunStatus) -> None:
        for search in self.searches:
            search.close(status)
        if self.run_id:
            self.store.finish_run(self.run_id, status)

    async def _main(self) -> None:
        try:
            cfg = self.config
            hardware, peaks = await self.cluster.hardware()
            # Every kind of machine the evaluators run on gets its own baselines: a speedup is only ever set
            # against a baseline of the hardware it was measured on.
            kinds = {site.hardware.fingerprint: site.hardware for site in self.cluster.sites()}
            recorder = VerdictRecorder(self.store, cfg.platform)
            hardware_ids = {fp: recorder.hardware_id(hw) for fp, hw in kinds.items()}
            if self.resuming:
                self.store.reopen_run(self.run_id)
            else:
                self.run_id = self.store.create_run(RunKind.bench, {
                    "bench": cfg.model_dump(mode="json"), "provider_label": self.provider.label,
                    "offline_provider": self.provider.offline, "prompt_template_version": template_version(),
                    "harness_version": HARNESS_VERSION, "hardware": hardware.description,
                    "hardware_id": hardware_ids[hardware.fingerprint],
                    "nodes": len(self.cluster.nodes())})
            ctx = SearchContext(store=self.store, provider=self.provider, cluster=self.cluster, run_id=self.run_id,
                                platform=cfg.platform, search=cfg.search, eval=cfg.eval, on_event=self.on_event,
                                hardware=hardware, peaks=peaks, recorder=recorder,
                                limiter=asyncio.Semaphore(cfg.concurrency), own_exemplars=True)
            starts = {t.id: t.start for t in cfg.tasks}  # the port track's starting kernels (none from scratch)
            self.searches = [TaskSearch(ctx, task, self.resuming, start=starts.get(task.id)) for task in self.tasks]
            for search in self.searches:
                search.prepare()
            done = sum(search.progress().turns_done for search in self.searches)
            pending = [(t, fp) for t in self.tasks for fp, hw_id in hardware_ids.items()
                       if self._needs_baselines(t, hw_id)]
            self.on_event(Event(kind=EventKind.run_started, run_id=self.run_id, turn=done, baselines=len(pending),
                                message=f"{len(self.tasks)} tasks, each {self._described()} "
                                f"({cfg.search.strategy}); {len(pending)} baselines to measure"))
            await self._run_tasks(ctx, pending)
        finally:
            await self.provider.close()

    async def _run_tasks(self, ctx: SearchContext, pending: list[tuple[Task, str]]) -> None:
        """Every task's baselines, then its search, with at most `concurrency` tasks started at once.

        A task's baselines are measured just before its own search, not all of them first: the evaluator then
        judges the task's candidates on the reference session (the task's warm jailed runners) that its baselines
        just started, where a baseline measured minutes earlier had been pushed out of the judge's few sessions by
        other tasks', and every runner was started twice.
        """
        gate = asyncio.Semaphore(self.config.concurrency)

        async def task_flow(search: TaskSearch) -> None:
            async with gate:
                for task, fingerprint in pending:
                    if task.id == search.task.id:
                        await self._baselines(ctx, task, fingerprint)
                await search.run()

        await asyncio.gather(*(task_flow(search) for search in self.searches))

    # --- baselines ------------------------------------------------------------------------------------

    def _described(self) -> str:
        """What each task's search does, in words (a run with no tasks has none to ask)."""
        return self.searches[0].strategy.describe() if self.searches else "no search"

    def _needs_baselines(self, task: Task, hardware_id: int) -> bool:
        kinds = [BaselineKind.eager, *([BaselineKind.compile] if self.config.eval.compile_baseline else [])]
        for kind in kinds:
            row = self.store.latest_baseline(task.id, hardware_id, self.config.platform, kind,
                                             task_hash=task.source_hash, key=VerdictKey.of_options(self.config.eval))
            if row is None or row.status is BaselineStatus.error:
                return True
        return False

    async def _baselines(self, ctx: SearchContext, task: Task, fingerprint: str) -> None:
        measured = await self.cluster.baselines(task, self.config.eval, fingerprint)
        # Recorded against the hardware it actually ran on (another kind, if that kind left the cluster meanwhile).
        record_baselines(self.store, task, measured.result, ctx.verdicts.recorder.hardware_id(measured.site.hardware),
                         measured.site)
        self.on_event(Event(kind=EventKind.baseline_done, run_id=self.run_id, task_id=task.id,
                            message=f"{measured.result.status.value}: {measured.result.message}"))


def record_baselines(store: Store, task: Task, result: BaselineResult, hardware_id: int | None,
                     site: EvaluatorSite | None = None) -> None:
    """Store a baseline measurement as an eager row and (when asked for) a compile row."""
    if result.status is BaselineStatus.not_timed:
        return
    # Recorded as it was measured: an unjailed baseline says so, and is reused only by unjailed runs.
    common: dict[str, Any] = dict(hardware_id=hardware_id, key=VerdictKey.of(result),
                                  node_id=None if site is None else site.node_id,
                                  node_address=None if site is None else site.node_address)
    eager = result.eager
    if eager is None:
        store.record_baseline(task.id, task.source_hash, result.platform, BaselineKind.eager, None,
                              status=result.status, message=result.message, **common)
        return
    store.record_baseline(task.id, task.source_hash, result.platform, BaselineKind.eager, eager.median_ms,
                          min_ms=eager.min_ms, ci=eager.ci_ms, **common)
    if result.compile_seconds is None and result.compiled is None:
        return  # the compile baseline was not asked for
    comp = result.compiled
    ratio = None
    if result.compile_speedup is not None and result.compile_speedup_ci is not None:
        ratio = (result.compile_speedup, *result.compile_speedup_ci)
    store.record_baseline(task.id, task.source_hash, result.platform, BaselineKind.compile,
                          None if comp is None else comp.median_ms, min_ms=None if comp is None else comp.min_ms,
                          ci=None if comp is None else comp.ci_ms, status=result.status, message=result.message,
                          vs_eager=ratio, **common)
