"""In-process runs of one task's search for the strategy tests: a scripted model whose replies name a variant
number, and evaluators that judge a variant by a table instead of building it (no Ray, no compiler)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kernelwright.agent.evaluators import ClusterConfig, EvaluatorPool, EvaluatorSite, Judged
from kernelwright.agent.providers import (
    ChatMessage,
    Completion,
    CompletionContext,
    Provider,
    ProviderConfig,
    ProviderError,
)
from kernelwright.agent.search import SearchConfig
from kernelwright.agent.search_context import Event, SearchContext
from kernelwright.agent.task_search import TaskSearch
from kernelwright.db import Store
from kernelwright.db.enums import RunKind
from kernelwright.evaluator import EvalOptions, EvalResult
from kernelwright.evaluator.platforms.base import HardwareInfo, Peaks
from kernelwright.evaluator.result import Reason, Stage, Status
from kernelwright.tasks.loader import load_task_source
from kernelwright.tasks.model import Task

TASK_FILE = Path(__file__).parent / "tasks" / "affine_relu.py"
HARDWARE = HardwareInfo(fingerprint="table", description="a verdict table")
_VARIANT = re.compile(r"VARIANT = (\d+)")


def kernel(variant: int) -> str:
    """A candidate file that differs from every other variant after normalization."""
    return (f"import torch\n\n\nclass ModelNew(torch.nn.Module):\n    VARIANT = {variant}\n\n"
            "    def forward(self, x):\n        return x\n")


def reply(variant: int) -> str:
    return f"Here it is.\n\n```python\n{kernel(variant)}```\n"


def variants_in(text: str) -> list[int]:
    """The variant numbers of the kernels a prompt shows."""
    return [int(v) for v in _VARIANT.findall(text)]


def correct(speedup: float) -> EvalResult:
    return EvalResult(status=Status.correct, reason=Reason.ok, stage=Stage.done, platform="cpu", speedup=speedup,
                      speedup_ci=(speedup * 0.95, speedup * 1.05), baseline_ms=1.0, candidate_ms=1.0 / speedup)


def failed() -> EvalResult:
    return EvalResult(status=Status.build_error, reason=Reason.compile_error, stage=Stage.build, platform="cpu",
                      message="does not build")


class TableCluster(EvaluatorPool):
    """Evaluators that look a variant's verdict up (`verdict(variant)`) and count what they were asked."""

    def __init__(self, verdict: Callable[[int], EvalResult]) -> None:
        super().__init__(ClusterConfig(), "cpu")
        self.verdict = verdict
        self.evaluated: list[int] = []

    async def hardware(self) -> tuple[HardwareInfo, Peaks | None]:
        return HARDWARE, None

    async def evaluate(self, task: Task, source: str, options: EvalOptions) -> Judged:
        match = _VARIANT.search(source)
        assert match is not None
        self.evaluated.append(int(match.group(1)))
        result = self.verdict(int(match.group(1))).model_copy(update={"task_hash": task.source_hash})
        return Judged(result=result, site=EvaluatorSite(node_id="n", node_address="127.0.0.1", hardware=HARDWARE))


class ScriptedModel(Provider):
    """Answers each prompt with `answer(prompt text, call number)`; after `fail_after` calls it fails for good."""

    name = "scripted"

    def __init__(self, answer: Callable[[str, int], str], fail_after: int | None = None) -> None:
        super().__init__(ProviderConfig(name="scripted", model="scripted"))
        self.answer, self.fail_after = answer, fail_after
        self.prompts: list[str] = []

    async def check(self) -> None:
        return None

    async def complete(self, messages: list[ChatMessage], context: CompletionContext) -> Completion:
        if self.fail_after is not None and len(self.prompts) >= self.fail_after:
            raise ProviderError("the endpoint went away")
        text = messages[-1].content
        self.prompts.append(text)
        return Completion(text=self.answer(text, len(self.prompts)), model="scripted")


@dataclass
class Run:
    """One task's search over a store, run (or resumed) in-process."""

    store: Store
    task: Task
    search: SearchConfig
    run_id: str = ""
    events: list[Event] = field(default_factory=list)

    @classmethod
    def new(cls, tmp_path: Path, search: SearchConfig) -> Run:
        store = Store(f"sqlite:///{tmp_path / 'store.db'}")
        task = load_task_source(TASK_FILE.read_text(), str(TASK_FILE), task_id="test/affine_relu")
        store.upsert_task(task)
        run = cls(store=store, task=task, search=search)
        run.run_id = store.create_run(RunKind.optimize, {"test": True})
        return run

    def go(self, model: ScriptedModel, cluster: TableCluster, resuming: bool = False) -> TaskSearch:
        """Prepare and run the search; the provider's failure, if any, propagates."""
        ctx = SearchContext(store=self.store, provider=model, cluster=cluster, run_id=self.run_id, platform="cpu",
                            search=self.search, eval=EvalOptions(), on_event=self.events.append, hardware=HARDWARE)
        search = TaskSearch(ctx, self.task, resuming)
        search.prepare()
        asyncio.run(search.run())
        return search

    def judged_turns(self) -> list[list[int]]:
        """Per trajectory, the indices of its turns that have a verdict."""
        return [[t.index for t in self.store.turns_for_trajectory(traj.id) if t.outcome is not None]
                for traj in self.store.trajectories_for_run(self.run_id)]
