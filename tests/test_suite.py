"""The whole built-in suite: every task loads, runs, is not degenerate, and varies with the seed."""

from __future__ import annotations

from collections import Counter

import pytest

from tasks.loader import probe_task
from tasks.model import Category
from tasks.registry import example_solutions, suite_tasks

TASKS = suite_tasks()


def test_suite_covers_every_category() -> None:
    counts = Counter(t.category for t in TASKS)
    wanted = [c for c in Category if c is not Category.uncategorized]
    assert len(TASKS) >= 30
    for category in wanted:
        assert counts[category] >= 2, f"{category.value} has {counts[category]} tasks"


@pytest.mark.parametrize("task", TASKS, ids=[t.id for t in TASKS])
def test_task_loads_runs_and_is_not_degenerate(task) -> None:  # noqa: ANN001
    result = probe_task(task)  # raises TaskLoadError for degenerate or broken tasks
    assert result.inputs_vary, f"{task.id}: inputs do not change with the seed"
    assert result.input_groups >= 2, f"{task.id}: add input groups (other shapes and distributions)"
    assert "cpu" in example_solutions(task), f"{task.id} has no cpu example solution"
