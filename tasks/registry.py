"""The built-in suite: discovery, lookup by id, filters, and each task's example solutions."""

from __future__ import annotations

from pathlib import Path

from tasks.errors import TaskLoadError
from tasks.loader import SUITE_DIR, load_task
from tasks.model import Task


def suite_paths() -> list[Path]:
    """Every task file of the suite (solutions excluded), sorted by id."""
    return sorted(p for p in SUITE_DIR.glob("*/*.py") if not p.name.startswith("_"))


def suite_tasks(category: str | None = None, level: int | None = None) -> list[Task]:
    """The suite's tasks, parsed without running them (fast), optionally filtered."""
    tasks = [load_task(p, probe=False) for p in suite_paths()]
    return [t for t in tasks if (category is None or t.category.value == category)
            and (level is None or t.level == level)]


def resolve_task(ref: str, probe: bool = True) -> Task:
    """A task by suite id (`activation/relu`) or by file path."""
    path = Path(ref)
    if path.suffix == ".py" and path.is_file():
        return load_task(path, probe=probe)
    candidate = SUITE_DIR / f"{ref}.py"
    if candidate.is_file():
        return load_task(candidate, probe=probe)
    raise TaskLoadError(ref, "no such task file or suite id (see `kernelwright tasks list`)")


def example_solutions(task: Task) -> dict[str, Path]:
    """`{platform: path}` of the example solutions shipped for a suite task."""
    if task.path is None:
        return {}
    path = Path(task.path)
    folder = path.parent / "solutions"
    return {p.name[len(path.stem) + 1 : -3]: p for p in sorted(folder.glob(f"{path.stem}.*.py"))}
