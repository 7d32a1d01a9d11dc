"""The driver of `kernelwright optimize`: one task's search (`agent.task_search`) as a stored, resumable run.

Only this process writes to the store. Ctrl-C or a crash leaves the run resumable: `--resume RUN_ID` replays
its stored turns and never re-runs a stored evaluation.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from kernelwright.agent.evaluators import EvaluatorPool
from kernelwright.agent.prompts import template_version
from kernelwright.agent.providers import Provider, ProviderConfig
from kernelwright.agent.search import SearchConfig
from kernelwright.agent.search_context import Event, EventKind, EventSink, SearchContext
from kernelwright.agent.starting import StartingKernel
from kernelwright.agent.summary import RunSummary, summarize_run
from kernelwright.agent.task_search import TaskSearch, run_and_close, run_and_close_async
from kernelwright.db import Store
from kernelwright.db.enums import RunKind, RunStatus
from kernelwright.evaluator import EvalOptions, checked_task
from kernelwright.evaluator.result import HARNESS_VERSION
from kernelwright.tasks.loader import load_task_source
from kernelwright.tasks.model import Task


class OptimizeConfig(BaseModel):
    """Everything a run needs to be repeated or resumed; stored with the run."""

    task_source: str
    task_origin: str
    task_id: str | None = None
    platform: str = "cpu"
    provider: ProviderConfig = Field(default_factory=ProviderConfig)
    search: SearchConfig = Field(default_factory=SearchConfig)
    eval: EvalOptions = Field(default_factory=EvalOptions)
    start: StartingKernel | None = Field(default=None, description="the kernel the search starts from: a port "
                                         "when its platform is not `platform`")


def load_config_task(config: OptimizeConfig) -> Task:
    """The task a config names, loaded from the source stored in it and probed in the jail (a submitted operator is
    untrusted code, on a first run and on every resume alike; a passing probe is remembered by source hash)."""
    task = load_task_source(config.task_source, config.task_origin, task_id=config.task_id)
    return checked_task(task, options=config.eval)


class Optimizer:
    """Runs (or resumes) one optimize run. Call `run()` (or `await run_async()`) once.

    `labels` are extra keys stored in the run's config (the service records who submitted it there).
    """

    def __init__(self, store: Store, provider: Provider, cluster: EvaluatorPool, config: OptimizeConfig,
                 task: Task, on_event: EventSink | None = None, resume_run_id: str | None = None,
                 labels: dict[str, object] | None = None) -> None:
        self.store, self.provider, self.cluster, self.config = store, provider, cluster, config
        self.task = task
        self.on_event = on_event or (lambda _event: None)
        self.run_id = resume_run_id or ""
        self.resuming = resume_run_id is not None
        self.labels = labels or {}
        self.search: TaskSearch | None = None
        self._opened = False

    @property
    def tasks(self) -> list[Task]:
        """The run's one task (the driver checks every job's tasks the same way)."""
        return [self.task]

    def open(self) -> str:
        """Store the task and create the run (or reopen the resumed one); returns the run id.

        `run()` does this itself; a caller that needs the id before the search starts calls it first.
        """
        if not self._opened:
            self.store.upsert_task(self.task)
            if self.resuming:
                self.store.reopen_run(self.run_id)
            else:
                self.run_id = self.store.create_run(RunKind.optimize, self._run_config())
                # From here on the run exists: starting it is a resume of an empty run.
                self.resuming = True
            self._opened = True
        return self.run_id

    def run(self) -> RunSummary:
        """Search until every trajectory stops; Ctrl-C marks the run interrupted (resumable) and re-raises."""
        self.open()
        run_and_close(self._main, self._close)
        return summarize_run(self.store, self.run_id)

    async def run_async(self) -> RunSummary:
        """`run()` on the caller's event loop; cancelling it marks the run interrupted (resumable)."""
        self.open()
        await run_and_close_async(self._main, self._close)
        return summarize_run(self.store, self.run_id)

    def _run_config(self) -> dict[str, object]:
        return {"optimize": self.config.model_dump(mode="json"), "task_id": self.task.id,
                "provider_label": self.provider.label, "offline_provider": self.provider.offline,
                "prompt_template_version": template_version(), "harness_version": HARNESS_VERSION, **self.labels}

    def _close(self, status: RunStatus) -> None:
        if self.search is not None:
            self.search.close(status)
        self.store.finish_run(self.run_id, status)

    async def _main(self) -> None:
        try:
            cfg = self.config
            ctx = SearchContext(store=self.store, provider=self.provider, cluster=self.cluster, run_id=self.run_id,
                                platform=cfg.platform, search=cfg.search, eval=cfg.eval, on_event=self.on_event)
            ctx.hardware, ctx.peaks = await self.cluster.hardware()
            self.search = TaskSearch(ctx, self.task, self.resuming, start=cfg.start)
            self.search.prepare()
            self.on_event(Event(kind=EventKind.run_started, run_id=self.run_id, task_id=self.task.id,
                                turn=self.search.progress().turns_done, message=self.search.strategy.describe()))
            await self.search.run()
        finally:
            await self.provider.close()
