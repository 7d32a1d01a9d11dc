"""The imported-task registry: what `tasks import` registered (ids, snapshots, categories, levels, kernels kept for
porting) and the report of one import (every file's outcome, and why a refused one was refused)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from kernelwright.tasks.env import home_dir
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.loader import load_task
from kernelwright.tasks.model import Category, Task


class ImportFormat(str, Enum):
    """The folder layouts `tasks import` understands."""

    kernelbench = "kernelbench"
    multikernelbench = "multikernelbench"
    hpctranseval = "hpctranseval"


class Outcome(str, Enum):
    """What became of one file of the checkout."""

    imported = "imported"
    degenerate = "degenerate"
    too_large = "too_large"
    failed_to_load = "failed_to_load"
    skipped = "skipped"  # not a task (or a level Kernelwright does not run): never probed
    unsupported = "unsupported"  # a task of the checkout that the task format cannot express (see `Refusal`)


class Refusal(str, Enum):
    """Why a task of a checkout cannot be expressed as a Kernelwright task (the `unsupported` outcome)."""

    no_reference = "no_reference"  # no PyTorch reference is known for the operator
    multiple_outputs = "multiple_outputs"  # a task returns one tensor
    not_float = "not_float"  # the kernel reads or writes non-float32 tensors: the reference would differ in dtype
    shape_mismatch = "shape_mismatch"  # the reference's output shape is not the one the pair declares
    no_kernel = "no_kernel"  # the pair has no source kernel to port from
    malformed = "malformed"  # the record lacks a field or has one of the wrong type


class ImportedTask(BaseModel):
    """One registered external task."""

    id: str
    path: str = Field(description="the snapshot that runs (under the Kernelwright home)")
    origin: str = Field(default="", description="the file in the checkout it was imported from")
    source: str = Field(default="", description="the import source's name (empty for imports before sources)")
    category: Category
    level: int = Field(ge=1, le=3)
    held_out: bool = False
    format: ImportFormat
    checked: bool = Field(default=False, description="probed in the jail at import")
    derived_sizes: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="the scaled constants of each size, when derived (gpu: as written)")
    notes: list[str] = Field(default_factory=list, description="what the import says of it beyond the file's own "
                             "notes (a cpu size that scaled the model's own dimensions)")
    kernels: dict[str, str] = Field(default_factory=dict, description="platform -> snapshot of a kernel the checkout "
                                    "ships for the task (HPCTransEval's CUDA), the starting point of a port")


class ImportSource(BaseModel):
    """One imported checkout."""

    name: str
    root: str
    format: ImportFormat
    commit: str | None = None


class ImportRegistry(BaseModel):
    """The persisted registry: imported id -> entry, source name -> source."""

    tasks: dict[str, ImportedTask] = Field(default_factory=dict)
    sources: dict[str, ImportSource] = Field(default_factory=dict)


class TaskOutcome(BaseModel):
    """One row of the import's table: a file, what became of it and why."""

    path: str = Field(description="relative to the checkout's root")
    outcome: Outcome
    id: str | None = None
    reason: str = ""
    refusal: Refusal | None = Field(default=None, description="why it cannot be expressed (outcome unsupported)")
    category: Category | None = None
    level: int | None = None
    size: str = Field(default="", description="how its cpu size was set: as written, or the derived scale")
    note: str = Field(default="", description="what the file asks for that Kernelwright does not apply (its "
                      "notes), and whether its cpu size had to scale the model's own dimensions")


class ImportReport(BaseModel):
    """What one `tasks import` run registered and what it left out."""

    source: ImportSource
    imported: list[ImportedTask] = Field(default_factory=list)
    outcomes: list[TaskOutcome] = Field(default_factory=list)

    @property
    def skipped(self) -> list[TaskOutcome]:
        """Files that were not tasks of this format (or of a level Kernelwright runs)."""
        return [o for o in self.outcomes if o.outcome is Outcome.skipped]

    @property
    def refused(self) -> list[TaskOutcome]:
        """Task files that were checked and refused, or that the task format cannot express."""
        return [o for o in self.outcomes if o.outcome not in (Outcome.imported, Outcome.skipped)]


def registry_file() -> Path:
    """Where the imported-task registry is stored."""
    return home_dir() / "imported_tasks.json"


def snapshot_dir(source: str) -> Path:
    """Where the snapshot of one source's task files is kept."""
    return home_dir() / "sources" / source


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


def save_registry(registry: ImportRegistry) -> None:
    """Write the registry whole (atomically, so a crash never leaves half a registry)."""
    path = registry_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(registry.model_dump_json(indent=1), encoding="utf-8")
    tmp.replace(path)


def load_imported(entry: ImportedTask) -> Task:
    """The `Task` of a registered entry (parsed, not run), with the registry's id, category, level, held-out flag and
    the import's notes after the file's own."""
    task = load_task(entry.path, task_id=entry.id)
    return task.model_copy(update={"category": entry.category, "level": entry.level, "held_out": entry.held_out,
                                   "notes": [*task.notes, *entry.notes]})


def imported_kernels(task_id: str) -> dict[str, Path]:
    """`{platform: path}` of the kernels an imported task's checkout shipped with it (empty for other tasks)."""
    entry = load_registry().tasks.get(task_id)
    return {} if entry is None else {platform: Path(path) for platform, path in entry.kernels.items()}
