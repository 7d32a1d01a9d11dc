"""The order in which a bench run asks its evaluators for work: each task's baselines just before its own search.

An evaluator's judge keeps only a few warm reference sessions (the task's jailed runners); a baseline measured long
before its task's candidates were judged had been pushed out by then, and every runner was started twice.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "agent"))

from strategy_harness import HARDWARE, TASK_FILE, ScriptedModel, TableCluster, correct, reply  # noqa: E402

from kernelwright.agent.bench.config import BenchConfig, BenchTask  # noqa: E402
from kernelwright.agent.bench.runner import BenchRunner  # noqa: E402
from kernelwright.agent.evaluators import EvaluatorSite, Judged, Measured  # noqa: E402
from kernelwright.agent.search import SearchConfig  # noqa: E402
from kernelwright.db import Store  # noqa: E402
from kernelwright.evaluator import BaselineResult, BaselineStatus, EvalOptions  # noqa: E402
from kernelwright.evaluator.baseline_result import SideTiming  # noqa: E402
from kernelwright.tasks.loader import load_task_source  # noqa: E402
from kernelwright.tasks.model import Task  # noqa: E402

SITE = EvaluatorSite(node_id="n", node_address="127.0.0.1", hardware=HARDWARE)


class OrderCluster(TableCluster):
    """Table evaluators that also measure baselines, and write down what they were asked, in order."""

    def __init__(self) -> None:
        super().__init__(lambda _variant: correct(1.5))
        self.calls: list[tuple[str, str]] = []

    def sites(self) -> list[EvaluatorSite]:
        return [SITE]

    def nodes(self) -> list[str]:
        return ["n"]

    async def evaluate(self, task: Task, source: str, options: EvalOptions) -> Judged:
        self.calls.append(("evaluate", task.id))
        return await super().evaluate(task, source, options)

    async def baselines(self, task: Task, options: EvalOptions, fingerprint: str | None = None) -> Measured:
        self.calls.append(("baselines", task.id))
        eager = SideTiming(median_ms=1.0, min_ms=0.9, ci_ms=(0.95, 1.05))
        return Measured(result=BaselineResult(status=BaselineStatus.measured, message="eager only", platform="cpu",
                                              task_id=task.id, task_hash=task.source_hash, eager=eager), site=SITE)


def _tasks(count: int) -> list[Task]:
    source = TASK_FILE.read_text()
    return [load_task_source(source + f"\n# copy {i}\n", str(TASK_FILE), task_id=f"test/affine_relu_{i}")
            for i in range(count)]


def _bench(tmp_path: Path, tasks: list[Task], concurrency: int) -> OrderCluster:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    config = BenchConfig(selection="test", tasks=[BenchTask(id=t.id, origin=t.id, source_hash=t.source_hash)
                                                  for t in tasks],
                         search=SearchConfig(trajectories=1, turns=1), eval=EvalOptions(compile_baseline=False),
                         concurrency=concurrency)
    cluster = OrderCluster()
    BenchRunner(store, ScriptedModel(lambda _prompt, call: reply(call)), cluster, config, tasks).run()
    return cluster


def test_each_task_is_judged_right_after_its_own_baselines(tmp_path: Path) -> None:
    tasks = _tasks(3)
    cluster = _bench(tmp_path, tasks, concurrency=1)
    assert cluster.calls == [(kind, t.id) for t in tasks for kind in ("baselines", "evaluate")]


def test_no_more_tasks_are_started_than_the_concurrency(tmp_path: Path) -> None:
    tasks = _tasks(4)
    cluster = _bench(tmp_path, tasks, concurrency=2)
    # Two tasks at a time: the third task's baselines wait until one of the first two tasks is judged.
    third = cluster.calls.index(("baselines", tasks[2].id))
    assert {("evaluate", tasks[0].id), ("evaluate", tasks[1].id)} & set(cluster.calls[:third])
    assert sorted(cluster.calls) == sorted((kind, t.id) for t in tasks for kind in ("baselines", "evaluate"))
