"""`kernelwright tasks`: browse the task suite and imported tasks, and import external checkouts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from kernelwright.console import err, out
from kernelwright.console import fail as _fail
from tasks.errors import TaskLoadError
from tasks.importer import ImportFormat, import_tasks
from tasks.registry import TaskSource, all_tasks, example_solutions, resolve_task

app = typer.Typer(help="Browse the task suite; import KernelBench / MultiKernelBench checkouts.", no_args_is_help=True)


@app.command("list")
def tasks_list(
    category: Annotated[str | None, typer.Option(help="only this category")] = None,
    level: Annotated[int | None, typer.Option(help="only this level (1-3)")] = None,
    source: Annotated[TaskSource, typer.Option(help="built-in suite, imported tasks, or all")] = TaskSource.all,
) -> None:
    """List tasks (suite and imported), with counts per category and level."""
    try:
        tasks = all_tasks(source, category, level)
    except TaskLoadError as exc:
        raise _fail(str(exc)) from exc
    held_out = sum(t.held_out for t in tasks)
    table = Table(title=f"{len(tasks)} tasks" + (f" (* {held_out} held out: benchmark only)" if held_out else ""),
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    # One line per task in 80 columns: ids stay whole (they are typed into other commands), the
    # description is cut to what is left.
    rows = [(t.id + ("*" if t.held_out else ""), str(t.level), ",".join(example_solutions(t)) or "-",
             t.description.splitlines()[0] if t.description else "") for t in tasks]
    widths = [max((len(row[i]) for row in rows), default=1) for i in range(3)]
    # Rich squeezes no-wrap columns unpredictably when a row is too long, so the description is cut here to what
    # the other columns (and the table's padding and rules, 10 characters) leave of the console's width.
    spare = max(out.width - sum(max(w, len(h)) for w, h in zip(widths, ("id", "L", "examples"), strict=True)) - 10,
                12)
    for header in ("id", "L", "examples", "description"):
        table.add_column(header, no_wrap=True)
    for task_id, lvl, examples, text in rows:
        table.add_row(task_id, lvl, examples, text if len(text) <= spare else text[: spare - 1] + "…")
    out.print(table)
    by_cat = Counter(t.category.value for t in tasks)
    by_level = Counter(t.level for t in tasks)
    out.print("per category: " + ", ".join(f"{c} {n}" for c, n in sorted(by_cat.items())))
    out.print("per level: " + ", ".join(f"L{lv} {n}" for lv, n in sorted(by_level.items())))


@app.command("import")
def tasks_import(
    folder: Annotated[Path, typer.Argument(help="root of a KernelBench or MultiKernelBench checkout")],
    fmt: Annotated[ImportFormat, typer.Option("--format", help="the checkout's layout")] = ImportFormat.kernelbench,
    held_out: Annotated[bool, typer.Option("--held-out", help="benchmark only: never train on these tasks")] = False,
) -> None:
    """Register an external checkout's tasks so `eval`, `optimize` and `bench` can use them by id."""
    try:
        report = import_tasks(folder, fmt, held_out=held_out)
    except TaskLoadError as exc:
        raise _fail(str(exc)) from exc
    for skipped in report.skipped:
        err.print(f"[yellow]skipped[/] {escape(skipped.path)}: {escape(skipped.reason)}", highlight=False)
    by_cat = Counter(t.category.value for t in report.imported)
    by_level = Counter(t.level for t in report.imported)
    out.print(f"imported {len(report.imported)} tasks ({'held out' if held_out else 'not held out'}), "
              f"skipped {len(report.skipped)}")
    out.print("per category: " + ", ".join(f"{c} {n}" for c, n in sorted(by_cat.items())))
    out.print("per level: " + ", ".join(f"L{lv} {n}" for lv, n in sorted(by_level.items())))


@app.command("show")
def tasks_show(task_id: Annotated[str, typer.Argument(help="suite id or task file")]) -> None:
    """Show one task: metadata, probe results and source."""
    from evaluator import probe as probe_task

    try:
        task = resolve_task(task_id)
    except TaskLoadError as exc:
        raise _fail(str(exc)) from exc
    probe = probe_task(task)
    if not probe.ok:
        raise _fail(f"{task.path or task.id}: {probe.problem}")
    table = Table(show_header=False, box=None)
    table.add_column(style="bold cyan", justify="right")
    table.add_column()
    for key, value in [("id", task.id), ("category", task.category.value), ("level", str(task.level)),
                       ("tolerance", f"atol={task.tolerance.atol:g} rtol={task.tolerance.rtol:g}"),
                       ("input groups", str(probe.input_groups)), ("output shapes", str(probe.output_shapes)),
                       ("eager (1 thread)", f"{probe.eager_ms:.2f} ms (rough: median of 4 single calls; `eval` "
                        "times properly)" if probe.eager_ms else "-"),
                       ("flops", f"{task.flops:.3g}" if task.flops else "-"),
                       ("bytes moved", f"{task.bytes_moved:.3g}" if task.bytes_moved else "-"),
                       ("examples", ", ".join(f"{k}: {v}" for k, v in example_solutions(task).items()) or "-"),
                       ("source hash", task.source_hash[:16]), ("path", task.path or "-")]:
        table.add_row(key, value)
    out.print(table)
    out.print(task.source, markup=False, highlight=False)
