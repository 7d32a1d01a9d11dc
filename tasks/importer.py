"""Import an external KernelBench, MultiKernelBench or HPCTransEval checkout as a named source, checking every task.

An import is a source with a name (default: the checkout's folder name plus its git commit, tasks/import_sources.py);
ids carry it, so another source never overwrites a task, and importing the same source again replaces that source's
tasks. Each task file is copied into a snapshot under the Kernelwright home (`KERNELWRIGHT_HOME`, else the user data
folder), so an id keeps meaning the file it was imported as when the checkout moves to another commit. A small JSON
registry there maps each id to its snapshot, category, level, held-out flag and derived sizes.

- KernelBench keeps tasks in `level1/`..`level3/`: the level comes from the folder, the id is
  `kernelbench/<source>/level1/19_ReLU`. Files in other `levelN/` folders and outside level folders are listed as
  skipped, with the reason.
- MultiKernelBench keeps them in one folder per category (`activation/relu.py`): the id is
  `multikernelbench/<source>/activation/relu`; the level comes from tasks/categories.py's rule. Its reference files
  are PyTorch whatever the platform, so they serve its Pallas (and CUDA, AscendC) tracks alike.
- HPCTransEval keeps CUDA-to-CPU operator pairs in JSON files (tasks/hpctranseval.py): a pair whose operator has a
  known PyTorch reference becomes `hpctranseval/<source>/IndependentOperator/abs`, its CUDA kernel kept beside the
  task for porting; the others are listed as unsupported with their `Refusal`.

With a checker (the CLI passes the evaluator's jailed probe), every task runs before it is registered: it is
imported, or refused as degenerate, too large (out of memory or time even at its smallest derived size) or failed
to load, each with its reason. Tasks without `SIZES` get derived sizes (tasks/derived_sizes.py) on the way. The
registry and the report's models are in tasks/import_registry.py, the checkouts' folder layouts in
tasks/import_layouts.py.
"""

from __future__ import annotations

import queue
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kernelwright.tasks.categories import category_from_name, category_from_ops, level_by_rule, normalized_name
from kernelwright.tasks.data_inputs import with_data_inputs
from kernelwright.tasks.derived_sizes import (
    CPU_BUDGET_MS,
    SMALL_EXTRA_STEPS,
    Kind,
    Scalable,
    last_resort_step,
    max_step,
    scalable_constants,
    scale_label,
    scaled_values,
    steps_for,
    with_derived_sizes,
)
from kernelwright.tasks.errors import TaskLoadError, TaskProblem
from kernelwright.tasks.hpctranseval import KERNEL_SUFFIX, discover_pairs
from kernelwright.tasks.import_layouts import Candidate, discover_files
from kernelwright.tasks.import_registry import (
    ImportedTask,
    ImportFormat,
    ImportRegistry,
    ImportReport,
    ImportSource,
    Outcome,
    TaskOutcome,
    load_imported,
    load_registry,
    registry_file,
    save_registry,
    snapshot_dir,
)
from kernelwright.tasks.import_sources import check_source_name, default_source_name
from kernelwright.tasks.loader import REQUIRED, defined_names, parse_task
from kernelwright.tasks.model import Category, Task
from kernelwright.tasks.parsing import parse
from kernelwright.tasks.probe_result import ProbeResult

MAX_SIZING_PROBES = 6  # probes one task may take to find its CPU size
MEMORY_JUMP = 4  # halvings after a probe that ran out of memory or time (about 1/16 of the work)
# Only the derived sizes are probed when the file as written is too large; batch and extents change how much data a
# task sees, a model dimension (a softmax's width, say) can change what its outputs look like.
LAST_RESORT_NOTE = ("its cpu size scales the model's own dimensions (a last resort): the file as written, its gpu "
                    "size, was never probed, so the checks it passed (degenerate outputs included) hold at the derived "
                    "sizes only")

# What callers of the import read from this module (the registry and its models live in tasks/import_registry.py).
__all__ = ["Checker", "ImportFormat", "ImportRegistry", "ImportReport", "ImportSource", "ImportedTask", "Outcome",
           "TaskOutcome", "import_tasks", "load_imported", "load_registry", "registry_file"]

class Checker(Protocol):
    """Runs one task in the jail. `slot` is the worker slot (each slot gets a core of its own); `budget_ms`, when
    sizing, lets the probe stop at its first calls a size that is far over that eager budget (`too_slow`)."""

    def __call__(self, task: Task, slot: int, budget_ms: float | None = None) -> ProbeResult: ...


@dataclass
class _Checked:
    """A candidate after loading (and probing): its outcome, and the source to snapshot when it is imported."""

    outcome: TaskOutcome
    source: str = ""
    ops: list[str] | None = None
    derived: dict[str, dict[str, int]] | None = None
    declares_category: bool = False
    declares_level: bool = False
    level: int = 1
    size_note: str = ""  # said of a cpu size that had to scale the model's own dimensions


_REFUSAL = {TaskProblem.degenerate: Outcome.degenerate, TaskProblem.out_of_memory: Outcome.too_large,
            TaskProblem.timeout: Outcome.too_large, TaskProblem.too_slow: Outcome.too_large}


def _refused(row: TaskOutcome, result: ProbeResult, note: str = "") -> _Checked:
    outcome = _REFUSAL.get(result.kind or TaskProblem.load_error, Outcome.failed_to_load)
    return _Checked(row.model_copy(update={"outcome": outcome, "reason": result.problem + note}))


def _size_label(constants: list[Scalable], values: dict[str, int]) -> str:
    return scale_label({c.name: c.value for c in constants}, values, {c.name: c.aliases for c in constants})


def _sized_and_probed(row: TaskOutcome, task: Task, source: str, origin: str, check: Checker, slot: int) -> _Checked:
    """Probe the task, scaling its constants down until it fits (tasks/derived_sizes.py)."""
    constants = scalable_constants(source) if task.sizes == ["cpu"] else []
    if not constants:
        result = check(task, slot)
        if not result.ok:
            note = "" if len(task.sizes) > 1 or result.kind not in (TaskProblem.out_of_memory, TaskProblem.timeout) \
                else " (it has no integer constants to scale down)"
            return _refused(row, result, note)
        size = "its cpu size" if len(task.sizes) > 1 else "as written"
        return _Checked(row.model_copy(update={"size": size}), source=source, ops=result.ops)
    gpu = {c.name: c.value for c in constants}
    top = max_step(constants)
    boundary = last_resort_step(constants)
    step = 0
    for _ in range(MAX_SIZING_PROBES):
        cpu = scaled_values(constants, step)
        small = scaled_values(constants, min(top, step + SMALL_EXTRA_STEPS))
        trial_source = with_derived_sizes(source, cpu, small, gpu, origin)
        trial = parse_task(trial_source, origin, task_id=task.id)
        result = check(trial, slot, CPU_BUDGET_MS)
        label = _size_label(constants, cpu)
        if result.ok and (result.eager_ms is None or result.eager_ms <= CPU_BUDGET_MS):
            scaled_model = any(cpu[c.name] != c.value for c in constants if c.kind is Kind.other)
            return _Checked(row.model_copy(update={"size": label}), source=trial_source, ops=result.ops,
                            derived={"cpu": cpu, "small": small, "gpu": gpu},
                            size_note=LAST_RESORT_NOTE if scaled_model else "")
        if result.ok or result.kind is TaskProblem.too_slow:
            jump = steps_for(result.eager_ms or CPU_BUDGET_MS)
        elif result.kind in (TaskProblem.out_of_memory, TaskProblem.timeout):
            jump = MEMORY_JUMP
        else:
            where = label.removeprefix("derived: ")
            return _refused(row, result, "" if step == 0 else f" (at the derived size: {where})")
        if step == top:
            why = f"eager {result.eager_ms:.0f} ms > {CPU_BUDGET_MS:.0f} ms" if result.eager_ms else result.problem
            return _Checked(row.model_copy(update={"outcome": Outcome.too_large, "reason": f"too large even at its "
                                                   f"smallest derived size ({label}): {why}"}))
        # A jump stops short of the model's own dimensions: they are scaled only if less data alone does not fit.
        step = boundary if step < boundary < step + jump else min(top, step + jump)
    return _Checked(row.model_copy(update={"outcome": Outcome.too_large, "reason": f"no size found within budget in "
                                           f"{MAX_SIZING_PROBES} probes (last: {label})"}))


def _check_one(cand: Candidate, task_id: str, check: Checker | None, slot: int) -> _Checked:
    """Load one candidate (generating data-file inputs where needed) and, with a checker, size and probe it."""
    row = TaskOutcome(path=cand.rel, outcome=Outcome.imported, id=task_id)
    origin = str(cand.path)
    try:
        source = cand.path.read_text(encoding="utf-8") if cand.source is None else cand.source
        tree = parse(source, origin)
    except (OSError, UnicodeDecodeError, SyntaxError) as exc:
        return _Checked(row.model_copy(update={"outcome": Outcome.failed_to_load, "id": None,
                                               "reason": f"cannot read or parse: {exc}"}))
    names = defined_names(tree)
    if not names.intersection(REQUIRED):
        return _Checked(row.model_copy(update={"outcome": Outcome.skipped, "id": None, "reason": "not a task "
                                               f"(defines none of {', '.join(REQUIRED)})"}))
    try:
        if cand.data_inputs and "get_inputs" not in names and "Model" in names:
            source = with_data_inputs(source, cand.path, names)
        task = parse_task(source, origin, task_id=task_id)
    except TaskLoadError as exc:
        return _Checked(row.model_copy(update={"outcome": Outcome.failed_to_load, "reason": exc.problem}))
    checked = (_sized_and_probed(row, task, source, origin, check, slot) if check is not None
               else _Checked(row.model_copy(update={"size": "as written (not probed)"}), source=source))
    checked.outcome.note = "; ".join([*task.notes, *([checked.size_note] if checked.size_note else [])])
    checked.declares_category = "CATEGORY" in names
    checked.declares_level = "LEVEL" in names
    checked.level = task.level
    if checked.declares_category:
        checked.outcome.category = task.category
    return checked


def _classify(cand: Candidate, checked: _Checked, fmt: ImportFormat, lineage: dict[str, int]) -> None:
    """Set the category and level of a task's row, imported or refused (tasks/categories.py's rules)."""
    row = checked.outcome
    stem = cand.tail.rsplit("/", 1)[-1]  # the task's own name (a record's operator, not its JSON file)
    if fmt is ImportFormat.kernelbench:
        row.level = cand.level or 1
    if row.category is None:
        # MultiKernelBench levels come from the category, so its tasks are categorized as level 1 operators.
        by_ops = category_from_ops(checked.ops, row.level or 1) if checked.ops is not None else None
        row.category = cand.folder_category or by_ops or category_from_name(stem, row.level or 1)
    if fmt is not ImportFormat.kernelbench:
        if checked.declares_level:
            row.level = checked.level
        else:
            row.level = lineage.get(normalized_name(stem)) or level_by_rule(row.category)


def _workers_run(candidates: list[Candidate], ids: list[str], check: Checker | None, workers: int,
                 progress: Callable[[int, int, TaskOutcome], None] | None) -> list[_Checked]:
    """Check every candidate, `workers` at a time, each worker on its own slot; results in candidate order."""
    results: list[_Checked | None] = [None] * len(candidates)
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(max(1, workers)):
        slots.put(slot)

    def run(i: int) -> _Checked:
        slot = slots.get()
        try:
            return _check_one(candidates[i], ids[i], check, slot)
        finally:
            slots.put(slot)

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="kw-import") as pool:
        futures = {pool.submit(run, i): i for i in range(len(candidates))}
        for done, future in enumerate(as_completed(futures), start=1):
            i = futures[future]
            result = results[i] = future.result()
            if progress is not None:
                progress(done, len(candidates), result.outcome)
    return [r for r in results if r is not None]


def import_tasks(root: str | Path, fmt: ImportFormat, held_out: bool = False, source: str | None = None,
                 check: Checker | None = None, workers: int = 1,
                 progress: Callable[[int, int, TaskOutcome], None] | None = None) -> ImportReport:
    """Import the checkout at `root` as the source `source` (default: folder name plus git commit).

    With `check`, every task is sized and probed (`workers` at a time) and only those that pass are registered;
    without it (`--no-probe`) every file that parses is registered as written. Importing the same source again
    replaces its tasks; a source name already taken by another folder is an error (`TaskLoadError`).
    """
    base = Path(root).resolve()
    if not base.is_dir():
        raise TaskLoadError(str(root), "not a folder (give the root of a KernelBench, MultiKernelBench or "
                            "HPCTransEval checkout)")
    name, commit = default_source_name(base)
    try:
        name = check_source_name(source) if source else name
    except ValueError as exc:
        raise TaskLoadError(str(root), str(exc)) from exc
    registry = load_registry()
    known = registry.sources.get(name)
    if known is not None and Path(known.root) != base:
        raise TaskLoadError(str(root), f"the source {name!r} was imported from {known.root}; another source never "
                            "replaces it: name this one with --source")
    candidates, skipped = discover_pairs(base) if fmt is ImportFormat.hpctranseval else discover_files(base, fmt)
    if not candidates:
        raise TaskLoadError(str(base), f"no {fmt.value} task files found (skipped {len(skipped)})")
    ids = [f"{fmt.value}/{name}/{c.tail}" for c in candidates]
    checked = _workers_run(candidates, ids, check, workers, progress)
    lineage = {normalized_name(e.id.rsplit("/", 1)[-1]): e.level for e in registry.tasks.values()
               if e.format is ImportFormat.kernelbench}
    report = ImportReport(source=ImportSource(name=name, root=str(base), format=fmt, commit=commit))
    snapshot = snapshot_dir(name)
    # Written beside the old snapshot and swapped in whole, so a failed import leaves the source as it was.
    staging = snapshot.with_name(snapshot.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    for cand, result in zip(candidates, checked):
        row = result.outcome
        if row.id is not None:
            # Refused tasks get one too (by name: their probe recorded no operators), so the table places every task.
            _classify(cand, result, fmt, lineage)
        if row.outcome is Outcome.imported:
            target = staging / f"{cand.tail}.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(result.source, encoding="utf-8")
            kernels = {}
            for platform, text in cand.kernels.items():  # kept beside the task: the starting point of a port
                kernel = target.with_name(f"{target.stem}.{platform}{KERNEL_SUFFIX}")
                kernel.write_text(text, encoding="utf-8")
                kernels[platform] = str(snapshot / kernel.relative_to(staging))
            report.imported.append(ImportedTask(
                id=row.id or "", path=str(snapshot / f"{cand.tail}.py"), origin=str(cand.path), source=name,
                format=fmt,
                category=row.category or Category.uncategorized, level=row.level or 1, held_out=held_out,
                checked=check is not None, derived_sizes=result.derived or {},
                notes=[result.size_note] if result.size_note else [], kernels=kernels))
        report.outcomes.append(row)
    report.outcomes += skipped
    registry.tasks = {k: v for k, v in registry.tasks.items() if v.source != name}
    registry.tasks.update({entry.id: entry for entry in report.imported})
    registry.sources[name] = report.source
    shutil.rmtree(snapshot, ignore_errors=True)  # the source's old snapshot goes with its old entries
    staging.mkdir(parents=True, exist_ok=True)
    staging.rename(snapshot)
    save_registry(registry)
    return report
