"""The folder layouts of KernelBench and MultiKernelBench checkouts: which files are tasks, the id each would get,
and what its folder says of it (level, category); every other `.py` file is listed as skipped, with the reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kernelwright.tasks.import_registry import ImportFormat, Outcome, TaskOutcome
from kernelwright.tasks.model import Category

KERNELBENCH_LEVELS = (1, 2, 3)


@dataclass
class Candidate:
    """A file (or a record of one) that may be a task: where it is, the id it would get, and what its folder says."""

    path: Path
    rel: str
    tail: str  # the id after `<format>/<source>/`
    level: int | None  # KernelBench: from the folder
    folder_category: Category | None  # MultiKernelBench: from the folder
    data_inputs: bool  # MultiKernelBench: a task without get_inputs may take its inputs from a data file
    source: str | None = None  # the task's text when the import writes it (HPCTransEval); else the file's
    kernels: dict[str, str] = field(default_factory=dict)  # platform -> kernel text shipped with the task


def discover_files(root: Path, fmt: ImportFormat) -> tuple[list[Candidate], list[TaskOutcome]]:
    """Task-looking files of the checkout, and every other `.py` file with why it is skipped."""
    found: list[Candidate] = []
    skipped: list[TaskOutcome] = []
    tails: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue  # hidden folders, __init__.py, __pycache__: never tasks
        parent = path.parent.name
        level: int | None = None
        category: Category | None = None
        if fmt is ImportFormat.kernelbench:
            number = parent.removeprefix("level")
            if not (parent.startswith("level") and number.isdigit()):
                skipped.append(TaskOutcome(path=rel.as_posix(), outcome=Outcome.skipped,
                                           reason="not in a level1/level2/level3 folder: not a task"))
                continue
            if int(number) not in KERNELBENCH_LEVELS:
                why = (" (whole HuggingFace models that download their weights when built; the jail has no network)"
                       if number == "4" else "")
                skipped.append(TaskOutcome(path=rel.as_posix(), outcome=Outcome.skipped, reason=f"{parent} is not a "
                                           f"level Kernelwright runs (levels 1-3){why}"))
                continue
            level = int(number)
        elif path.parent == root:
            skipped.append(TaskOutcome(path=rel.as_posix(), outcome=Outcome.skipped,
                                       reason="not in a category folder: not a task"))
            continue
        else:
            category = Category(parent) if parent in Category.__members__ else None
        tail = f"{parent}/{path.stem}"
        if tail in tails:
            skipped.append(TaskOutcome(path=rel.as_posix(), outcome=Outcome.skipped,
                                       reason=f"same id as {tails[tail]}, imported instead"))
            continue
        tails[tail] = rel.as_posix()
        found.append(Candidate(path=path, rel=rel.as_posix(), tail=tail, level=level, folder_category=category,
                                data_inputs=fmt is ImportFormat.multikernelbench))
    return found, skipped

