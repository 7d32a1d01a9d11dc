"""Fill a store with known turns and verdicts (no evaluator, no model) for the export tests."""

from __future__ import annotations

import json
from dataclasses import dataclass

from kernelwright.db import Store
from kernelwright.db.enums import RunKind, TurnOutcome
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status
from kernelwright.tasks.hashing import sha256_text
from kernelwright.tasks.model import Category, Task


def make_task(task_id: str, category: Category = Category.activation) -> Task:
    source = f"# task {task_id}\nclass Model: ...\n"
    return Task(id=task_id, name=task_id.split("/")[-1], category=category, source=source,
                source_hash=sha256_text(source))


def kernel(name: str, comment: str = "") -> str:
    """A distinct kernel source per name; `comment` changes the text but not the normalized hash."""
    return f"# {comment}\nclass ModelNew:\n    name = {name!r}\n"


def verdict(task: Task, status: Status, speedup: float | None = None) -> EvalResult:
    ok = status is Status.correct
    return EvalResult(status=status, reason=Reason.ok if ok else Reason.output_mismatch,
                      stage=Stage.done if ok else Stage.correctness, speedup=speedup,
                      speedup_ci=(speedup * 0.9, speedup * 1.1) if speedup else None, platform="cpu",
                      task_id=task.id, task_hash=task.source_hash)


@dataclass
class TraceFiller:
    """One run and one trajectory per task; `add` appends a judged turn."""

    store: Store
    model: str = "test-model"

    def __post_init__(self) -> None:
        self.run_id = self.store.create_run(RunKind.optimize, {"harness_version": "test"})
        self.trajectories: dict[str, int] = {}
        self.turns: dict[int, int] = {}

    def add(self, task: Task, source: str, status: Status, speedup: float | None = None,
            reasoning: str | None = None) -> int:
        """Store a turn whose reply holds `source`, judged as given; returns the turn id."""
        self.store.upsert_task(task)
        if task.id not in self.trajectories:
            self.trajectories[task.id] = self.store.add_trajectory(self.run_id, task.id, 0)
        traj = self.trajectories[task.id]
        index = self.turns.get(traj, 0)
        self.turns[traj] = index + 1
        prompt = json.dumps([{"role": "system", "content": "You write kernels."},
                             {"role": "user", "content": f"Optimize {task.id} (turn {index})"}])
        turn_id = self.store.add_turn(traj, index, prompt, f"Here:\n```python\n{source}```\n", model=self.model,
                                      reasoning=reasoning)
        evaluation_id = self.store.record_evaluation(task, source, verdict(task, status, speedup), turn_id=turn_id)
        row = self.store.get_evaluation(evaluation_id)
        assert row is not None
        self.store.set_turn_outcome(turn_id, TurnOutcome.evaluated, candidate_id=row.candidate_id,
                                    evaluation_id=evaluation_id)
        return turn_id
