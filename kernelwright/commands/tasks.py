"""`kernelwright tasks`: browse the task suite and imported tasks, and import external checkouts."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from kernelwright.commands import options as opt
from kernelwright.console import UNBOUNDED, err, layout_width, out, print_pairs, print_wide
from kernelwright.console import fail as _fail
from kernelwright.tasks.derived_sizes import scale_label
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.importer import ImportFormat, ImportReport, Outcome, TaskOutcome, import_tasks, load_registry
from kernelwright.tasks.model import Task
from kernelwright.tasks.probe_result import ProbeResult
from kernelwright.tasks.registry import TaskSource, all_tasks, example_solutions, resolve_task
from kernelwright.views.safe_text import clean, first_line, one_line, untrusted

app = typer.Typer(help="Browse the task suite; import KernelBench / MultiKernelBench / HPCTransEval checkouts.",
                  no_args_is_help=True)


@app.command("list")
def tasks_list(
    category: opt.Category = None,
    level: opt.Level = None,
    source: Annotated[TaskSource, typer.Option(help="built-in suite, imported tasks, or all")] = TaskSource.all,
) -> None:
    """List tasks (suite and imported), with counts per category and level."""
    try:
        tasks = all_tasks(source, category, level)
    except TaskLoadError as exc:
        raise _fail(str(exc)) from exc
    held_out = sum(t.held_out for t in tasks)
    title = f"{len(tasks)} tasks" + (f" (* {held_out} held out: benchmark only)" if held_out else "")
    print_wide(_list_table(tasks, title, layout_width() or UNBOUNDED))
    by_cat = Counter(t.category.value for t in tasks)
    by_level = Counter(t.level for t in tasks)
    out.print("per category: " + ", ".join(f"{c} {n}" for c, n in sorted(by_cat.items())))
    out.print("per level: " + ", ".join(f"L{lv} {n}" for lv, n in sorted(by_level.items())))


MIN_DESCRIPTION = 12  # narrower than this, a description says nothing: the column is left out


def _table_width(widths: list[int]) -> int:
    """Columns of a `box.SIMPLE_HEAD` table without edge padding: one edge each side, three between columns."""
    return sum(widths) + 2 + 3 * (len(widths) - 1)


def _list_table(tasks: list[Task], title: str, width: int) -> Table:
    """The `tasks list` table, one row per task, within `width` columns.

    Category and level are always shown. Ids stay whole (they are typed into other commands): an id too long for
    what the other columns leave wraps onto a second line. The examples column appears when some task has an
    example, and the description takes what is left, cut with an ellipsis, or is left out when that is too little.
    """
    # Ids and descriptions of imported tasks come from their files: cleaned before their widths are measured.
    rows = [(one_line(t.id) + ("*" if t.held_out else ""), t.category.value, str(t.level),
             ",".join(example_solutions(t)) or "-", first_line(t.description)) for t in tasks]
    headers = ["id", "category", "L", "examples", "description"]
    natural = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    shown = [0, 1, 2] + ([3] if any(r[3] != "-" for r in rows) else [])
    fixed = [natural[i] for i in shown[1:]]
    id_width = max(12, min(natural[0], width - _table_width([0, *fixed])))
    spare = width - _table_width([id_width, *fixed, 0])
    if any(r[4] for r in rows) and spare >= MIN_DESCRIPTION:
        shown.append(4)
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for i in shown:
        column_width = id_width if i == 0 else min(natural[4], spare) if i == 4 else natural[i]
        table.add_column(headers[i], width=column_width, no_wrap=i != 0, overflow="fold" if i == 0 else "ellipsis")
    for row in rows:
        table.add_row(*(untrusted(row[i]) for i in shown))
    return table


def _probe_workers(memory_mb: int, cores: int) -> int:
    """Probes that may run side by side: one per core, and no more than half the available memory allows.

    Each probe's runner may use `memory_mb`, and the judge holds what it reads back to check: two seeds' inputs and
    two outputs, each at most the arena (`memory_mb`), so one probe costs at most five times its limit; the sum
    stays under half of what is available.
    """
    try:
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        available_mb = next(int(line.split()[1]) // 1024 for line in meminfo if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError, IndexError):
        return 1
    return max(1, min(cores, available_mb // 2 // (5 * memory_mb)))


class _Checker:
    """The evaluator's jailed probe, with the import's limits, each worker slot on a core of its own; counts the
    probes read back from an earlier import instead of run (`reprobe`: refusals are run again)."""

    def __init__(self, memory_mb: int, timeout_s: float, cores: list[int], reprobe: bool) -> None:
        from kernelwright.evaluator import EvalOptions

        self.options = EvalOptions(memory_mb=memory_mb)
        self.timeout_s, self.cores, self.reprobe = timeout_s, cores, reprobe
        self.probes = self.reused = 0

    def __call__(self, task: Task, slot: int, budget_ms: float | None = None) -> ProbeResult:
        from kernelwright.evaluator import probe as probe_task

        result = probe_task(task, options=self.options, timeout_s=self.timeout_s,
                            core=self.cores[slot % len(self.cores)] if self.cores else None,
                            reuse_refusals=not self.reprobe, size_budget_ms=budget_ms)
        self.probes += 1
        self.reused += result.reused
        return result


OUTCOME_STYLE = {Outcome.imported: "green", Outcome.degenerate: "magenta", Outcome.too_large: "yellow",
                 Outcome.failed_to_load: "red", Outcome.skipped: "dim", Outcome.unsupported: "cyan"}


def _outcome_table(report: ImportReport) -> Table:
    order = list(Outcome)
    # Every text here but the outcome comes from the imported checkout: `Text`, never markup.
    table = Table(title=untrusted(f"source {report.source.name} ({report.source.root})"), title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    for header in ("outcome", "task", "category", "L", "size", "reason / note"):
        table.add_column(header, overflow="fold")
    for row in sorted(report.outcomes, key=lambda r: (order.index(r.outcome), r.path)):
        # A note (what of the file is not applied, e.g. a TASK_CONFIG comparison_mode, or a model scaled down to fit)
        # follows the reason, if any.
        why = "; ".join(text for text in (row.reason, f"note: {row.note}" if row.note else "") if text)
        table.add_row(Text(row.outcome.value, OUTCOME_STYLE[row.outcome]), untrusted(row.id or row.path),
                      row.category.value if row.category else "", str(row.level or ""), untrusted(row.size),
                      untrusted(why))
    return table


@app.command("import")
def tasks_import(
    folder: Annotated[Path, typer.Argument(help="root of a KernelBench, MultiKernelBench or HPCTransEval checkout")],
    fmt: Annotated[ImportFormat, typer.Option("--format", help="the checkout's layout")] = ImportFormat.kernelbench,
    held_out: Annotated[bool, typer.Option("--held-out", help="benchmark only: never train on these tasks")] = False,
    source: Annotated[str | None, typer.Option(help="the source's name, part of every id (default: the folder's "
                                               "name plus @ and its git commit)")] = None,
    no_probe: Annotated[bool, typer.Option("--no-probe", help="register every file that parses, as written, "
                                           "without running it (fast; no sizes, no checks)")] = False,
    memory_mb: Annotated[int, typer.Option(help="memory limit of each task's probe, MiB")] = 4096,
    timeout: Annotated[float, typer.Option(help="time limit of each task's probe, seconds")] = 60.0,
    workers: Annotated[int | None, typer.Option(help="probes at a time (default: one per core, within half the "
                                                "available memory)")] = None,
    reprobe: Annotated[bool, typer.Option("--reprobe", help="probe again the tasks an earlier import refused under "
                                          "the same limits (by default they are read back, so an import stopped "
                                          "half-way and run again picks up where it stopped)")] = False,
) -> None:
    """Import a checkout as a named source: probe each task in the jail, derive sizes, and list what became of
    every file."""
    from kernelwright.evaluator import EvalOptions
    from kernelwright.evaluator.api import jail_refusal

    check: _Checker | None = None
    count = 1
    if not no_probe:
        refusal = jail_refusal(EvalOptions())
        if refusal is not None:
            raise _fail(f"{refusal} (or import without running anything: --no-probe)")
        try:
            cores = sorted(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cores = []
        count = workers or _probe_workers(memory_mb, max(1, len(cores)))
        # The last cores first, as single evaluations use them; the judge's threads share what is left.
        check = _Checker(memory_mb, timeout, list(reversed(cores)), reprobe)
    # The description is a task's id or path from the checkout: never parsed as markup.
    # On a terminal, a bar with an ETA; piped (a log, CI), one line per task as it is done, so a long import
    # shows it is moving.
    with Progress(TextColumn("probing"), BarColumn(), MofNCompleteColumn(), TextColumn("eta"),
                  TimeRemainingColumn(), TextColumn("{task.description}", markup=False), console=err,
                  disable=no_probe or not err.is_terminal) as bar:
        job = bar.add_task("", total=None)

        def progress(done: int, total: int, row: TaskOutcome) -> None:
            bar.update(job, completed=done, total=total, description=clean(row.id or row.path))
            if not err.is_terminal:
                reason = f" ({first_line(row.reason)})" if row.reason else ""
                err.print(untrusted(f"[{done}/{total}] {row.id or row.path}: {row.outcome.value}{reason}"),
                          soft_wrap=True)

        try:
            report = import_tasks(folder, fmt, held_out=held_out, source=source, check=check, workers=count,
                                  progress=progress)
        except TaskLoadError as exc:
            raise _fail(str(exc)) from exc
    print_wide(_outcome_table(report))
    counts = Counter(row.outcome for row in report.outcomes)
    out.print(untrusted(f"imported {len(report.imported)} tasks as source {report.source.name} "
                        f"({'held out' if held_out else 'not held out'}"
                        f"{', not probed' if no_probe else f', probed {count} at a time'}); "
                        + ", ".join(f"{o.value.replace('_', ' ')} {counts[o]}" for o in Outcome
                                    if o is not Outcome.imported)))
    if check is not None and check.reused:
        kept = "tasks that passed" if reprobe else "tasks that passed, and refusals under the same limits"
        out.print(f"{check.reused} of {check.probes} probes were read back from an earlier import of the same files "
                  f"({kept}; --reprobe runs the refusals again)")
    by_cat = Counter(t.category.value for t in report.imported)
    by_level = Counter(t.level for t in report.imported)
    out.print("per category: " + ", ".join(f"{c} {n}" for c, n in sorted(by_cat.items())))
    out.print("per level: " + ", ".join(f"L{lv} {n}" for lv, n in sorted(by_level.items())))


def _derived_rows(task: Task) -> list[tuple[str, str]]:
    """For an imported task with derived sizes, the constants each size scaled (the `gpu` size is as written)."""
    entry = load_registry().tasks.get(task.id)
    if entry is None or not entry.derived_sizes:
        return []
    written = entry.derived_sizes.get("gpu", {})
    return [(f"{size} size", scale_label(written, entry.derived_sizes[size]))
            for size in ("cpu", "small") if size in entry.derived_sizes]


@app.command("show")
def tasks_show(task_id: Annotated[str, typer.Argument(help="suite id or task file")]) -> None:
    """Show one task: metadata, probe results and source."""
    from kernelwright.evaluator import probe as probe_task

    try:
        task = resolve_task(task_id)
    except TaskLoadError as exc:
        raise _fail(str(exc)) from exc
    probe = probe_task(task)
    if not probe.ok:
        raise _fail(f"{task.path or task.id}: {probe.problem}")
    tol = task.tolerance
    l2 = f" relative L2 <= {tol.max_relative_l2:g}" if tol.max_relative_l2 is not None else ""
    # Key-value lines, never wrapped: a path or note copies whole (ids, notes and sizes come from the task file).
    print_pairs(None, [("id", task.id), ("category", task.category.value), ("level", str(task.level)),
                       ("tolerance", f"atol={tol.atol:g} rtol={tol.rtol:g}{l2} (from {task.tolerance_from})"),
                       *[("note", note) for note in task.notes],
                       *_derived_rows(task),
                       ("input groups", str(probe.input_groups)), ("output shapes", str(probe.output_shapes)),
                       ("sizes", f"{', '.join(task.sizes)} (shown: {task.size})"),
                       ("eager (1 thread)", f"{probe.eager_ms:.2f} ms (a rough estimate: median of 4 single calls "
                        "at this size; `eval` and `bench` time with the full protocol)" if probe.eager_ms else "-"),
                       ("flops", f"{task.flops:.3g}" if task.flops else "-"),
                       ("bytes moved", f"{task.bytes_moved:.3g}" if task.bytes_moved else "-"),
                       ("examples", ", ".join(f"{k}: {v}" for k, v in example_solutions(task).items()) or "-"),
                       ("source hash", task.source_hash[:16]), ("path", str(task.path or "-"))])
    # The source as written: no line is wrapped, so what is copied from the terminal or a file runs as is.
    out.print()
    out.print(untrusted(task.source), soft_wrap=True, highlight=False)
