"""Register the tasks of an external KernelBench or MultiKernelBench checkout so they run unchanged.

The files stay where they are; a small JSON registry under the Kernelwright home (`KERNELWRIGHT_HOME`, else the
platform's user data folder) maps each imported id to its file, category, level and held-out flag:

- KernelBench keeps tasks in `level1/`, `level2/`, `level3/` folders: the level comes from the folder, the id is
  `kernelbench/level1/19_ReLU`.
- MultiKernelBench keeps them in one folder per category (`activation/relu.py`): the category comes from the
  folder name, the id is `multikernelbench/activation/relu`.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from tasks.env import home_dir
from tasks.errors import TaskLoadError
from tasks.loader import load_task
from tasks.model import Category, Task

_LEVEL_DIR = re.compile(r"^level([123])$")


class ImportFormat(str, Enum):
    """The folder layouts `tasks import` understands."""

    kernelbench = "kernelbench"
    multikernelbench = "multikernelbench"


class ImportedTask(BaseModel):
    """One registered external task."""

    id: str
    path: str
    category: Category
    level: int = Field(ge=1, le=3)
    held_out: bool = False
    format: ImportFormat


class ImportRegistry(BaseModel):
    """The persisted registry: imported id -> entry."""

    tasks: dict[str, ImportedTask] = Field(default_factory=dict)


class Skipped(BaseModel):
    """A file of the checkout that was not imported, and why."""

    path: str
    reason: str


class ImportReport(BaseModel):
    """What one `tasks import` run registered and what it left out."""

    imported: list[ImportedTask] = Field(default_factory=list)
    skipped: list[Skipped] = Field(default_factory=list)


def registry_file() -> Path:
    """Where the imported-task registry is stored."""
    return home_dir() / "imported_tasks.json"


def load_registry() -> ImportRegistry:
    """The registry of imported tasks (empty when nothing was imported yet)."""
    path = registry_file()
    if not path.is_file():
        return ImportRegistry()
    try:
        return ImportRegistry.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        problem = f"unreadable imported-task registry ({exc}); delete it and import again"
        raise TaskLoadError(str(path), problem) from exc


def _save_registry(registry: ImportRegistry) -> None:
    path = registry_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(registry.model_dump_json(indent=1), encoding="utf-8")
    tmp.replace(path)  # atomic, so a crash never leaves half a registry


def _candidates(root: Path, fmt: ImportFormat) -> list[tuple[Path, str, Category, int]]:
    """(file, id, category, level) for every task-looking file of the checkout, before validation."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        parent = path.parent.name
        if fmt is ImportFormat.kernelbench:
            match = _LEVEL_DIR.match(parent)
            if match is None:
                continue
            found.append((path, f"kernelbench/{parent}/{path.stem}", Category.uncategorized, int(match.group(1))))
        else:
            category = Category(parent) if parent in Category.__members__ else Category.uncategorized
            found.append((path, f"multikernelbench/{parent}/{path.stem}", category, 1))
    return found


def import_tasks(root: str | Path, fmt: ImportFormat, held_out: bool = False) -> ImportReport:
    """Register every task file of the checkout at `root`; files that do not parse are reported as skipped.

    Importing the same checkout again updates its entries (paths, held-out flag) in place.
    """
    base = Path(root).resolve()
    if not base.is_dir():
        raise TaskLoadError(str(root), "not a folder (give the root of a KernelBench or MultiKernelBench checkout)")
    report = ImportReport()
    for path, task_id, category, level in _candidates(base, fmt):
        try:
            task = load_task(path, task_id=task_id)
        except TaskLoadError as exc:
            report.skipped.append(Skipped(path=str(path), reason=exc.problem))
            continue
        # A category or level the file declares itself wins over the folder's.
        report.imported.append(ImportedTask(
            id=task_id, path=str(path), held_out=held_out, format=fmt,
            category=task.category if task.category is not Category.uncategorized else category,
            level=task.level if fmt is ImportFormat.multikernelbench else level,
        ))
    if not report.imported:
        raise TaskLoadError(str(base), f"no {fmt.value} task files found (skipped {len(report.skipped)})")
    registry = load_registry()
    registry.tasks.update({entry.id: entry for entry in report.imported})
    _save_registry(registry)
    return report


def load_imported(entry: ImportedTask) -> Task:
    """The `Task` of a registered entry (parsed, not run), with the registry's id, category, level and held-out flag."""
    task = load_task(entry.path, task_id=entry.id)
    return task.model_copy(update={"category": entry.category, "level": entry.level, "held_out": entry.held_out})
