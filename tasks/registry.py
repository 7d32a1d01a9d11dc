"""The built-in suite and imported tasks: discovery, lookup by id, filters, and each task's example solutions."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.import_registry import imported_kernels, load_imported, load_registry
from kernelwright.tasks.loader import SUITE_DIR, load_task
from kernelwright.tasks.model import Task


class TaskSource(str, Enum):
    """Where listed tasks come from: the built-in suite, `tasks import`ed checkouts, or both."""

    suite = "suite"
    imported = "imported"
    all = "all"


def suite_paths() -> list[Path]:
    """Every task file of the suite (solutions excluded), sorted by id."""
    return sorted(p for p in SUITE_DIR.glob("*/*.py") if not p.name.startswith("_"))


def suite_tasks(category: str | None = None, level: int | None = None) -> list[Task]:
    """The suite's tasks, parsed without running them (fast), optionally filtered."""
    tasks = [load_task(p) for p in suite_paths()]
    return [t for t in tasks if (category is None or t.category.value == category)
            and (level is None or t.level == level)]


def imported_tasks(category: str | None = None, level: int | None = None) -> list[Task]:
    """The registered imported tasks, parsed without running them, optionally filtered."""
    tasks = [load_imported(entry) for _, entry in sorted(load_registry().tasks.items())]
    return [t for t in tasks if (category is None or t.category.value == category)
            and (level is None or t.level == level)]


def all_tasks(source: TaskSource = TaskSource.all, category: str | None = None, level: int | None = None) -> list[Task]:
    """Suite and/or imported tasks (see `TaskSource`), optionally filtered."""
    tasks: list[Task] = []
    if source in (TaskSource.suite, TaskSource.all):
        tasks += suite_tasks(category, level)
    if source in (TaskSource.imported, TaskSource.all):
        tasks += imported_tasks(category, level)
    return tasks


def resolve_task(ref: str) -> Task:
    """A task by suite id (`activation/relu`), imported id (`kernelbench/level1/19_ReLU`) or file path, parsed
    without running it (`evaluator.checked_task` runs its checks, in the jail)."""
    path = Path(ref)
    if path.suffix == ".py" and path.is_file():
        return load_task(path)
    candidate = SUITE_DIR / f"{ref}.py"
    if candidate.is_file():
        return load_task(candidate)
    entry = load_registry().tasks.get(ref)
    if entry is not None:
        return load_imported(entry)
    raise TaskLoadError(ref, "no such task file, suite id or imported id (see `kernelwright tasks list`)")


def example_solutions(task: Task) -> dict[str, Path]:
    """`{platform: path}` of the example solutions shipped for a suite task."""
    if task.path is None:
        return {}
    path = Path(task.path)
    folder = path.parent / "solutions"
    return {p.name[len(path.stem) + 1 : -3]: p for p in sorted(folder.glob(f"{path.stem}.*.py"))}


def source_kernels(task: Task) -> dict[str, Path]:
    """`{platform: path}` of the kernels a task has to port from: a suite task's example solutions, or the kernels an
    imported task's checkout shipped with it (HPCTransEval's CUDA)."""
    return {**imported_kernels(task.id), **example_solutions(task)}
