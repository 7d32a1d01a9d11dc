"""`kernelwright kernels list|show`: the stored kernels, and one of them with its verdicts and its sweep."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from kernelwright.agent.export.catalog import list_kernels
from kernelwright.agent.sweep import SweepError, load_kernel, stored_envelope
from kernelwright.commands import options as opt
from kernelwright.console import fail, out, print_wide
from kernelwright.db import Store
from kernelwright.settings import Settings
from kernelwright.views.numbers import with_interval
from kernelwright.views.safe_text import clean, one_line, untrusted
from kernelwright.views.sweep import sweep_plot, sweep_rich_table

app = typer.Typer(help="Stored kernels: their verdicts and shape sweeps.", no_args_is_help=True)


@app.command("list")
def list_cmd(
    task: Annotated[str | None, typer.Option("--task", help="only this task's kernels")] = None,
    platform: Annotated[str | None, typer.Option("--platform", help="only this platform's kernels")] = None,
    failed: Annotated[bool, typer.Option("--all", help="kernels judged incorrect (or worse) too")] = False,
    limit: Annotated[int, typer.Option("--limit", help="newest kernels shown at most")] = 50,
    as_json: Annotated[bool, opt.json_flag("print the list as JSON")] = False,
    db_url: opt.DbUrl = None,
) -> None:
    """Stored kernels, newest first: task, platform, newest verdict with speedup and 95% interval, sweep, export."""
    entries = list_kernels(Store(db_url or Settings().db_url), task, platform, failed, limit)
    if as_json:
        print(json.dumps([e.model_dump(mode="json") for e in entries]))
        return
    table = Table(title="kernels (sweep, export and show take the id)", title_justify="left")
    for col in ("id", "platform", "speedup", "swept", "export"):
        table.add_column(col, no_wrap=True)
    table.add_column("task", overflow="ellipsis")  # the one column that gives way: ids and numbers stay whole
    for e in entries:
        speed = e.status.value if e.speedup is None else with_interval(e.speedup, e.speedup_ci)
        swept = f"{e.passed}/{e.swept}" if e.swept else "-"
        # Task ids come from task files: `Text`, never markup, on one line cut to the room left.
        table.add_row(str(e.kernel_id), e.platform, speed, swept, e.export.value,
                      Text(one_line(e.task_id), no_wrap=True, overflow="ellipsis"))
    out.print(table)
    if not entries:
        out.print("no kernels stored yet" + ("" if failed else " judged correct (--all lists every kernel)"),
                  highlight=False)


@app.command("show")
def show_cmd(
    kernel_id: Annotated[int, typer.Argument(help="a stored kernel id")],
    plot: Annotated[Path | None, typer.Option("--plot", help="write the speedup-vs-size plot (PNG) here")] = None,
    source: Annotated[bool, typer.Option("--source", help="print the kernel's source too")] = False,
    db_url: opt.DbUrl = None,
) -> None:
    """A stored kernel: task, platform, every verdict on it, and its sweep (table, and a PNG plot with --plot)."""
    store = Store(db_url or Settings().db_url)
    try:
        kernel = load_kernel(store, kernel_id)
    except SweepError as exc:
        raise fail(str(exc)) from exc
    # The task id and the source come from a task file and a candidate: shown as `Text`, cleaned.
    out.print(untrusted(f"kernel {kernel_id}: task {kernel.task.id}, platform {kernel.platform}"))
    for e in store.evaluations_for_task(kernel.task.id, kernel.platform):
        if e.candidate_id == kernel_id:
            r = e.result
            speed = "" if r.speedup is None else f" {r.speedup:.2f}x"
            # Verdicts stored before sizes were recorded have none: say nothing rather than "size None".
            size = "" if r.size is None else f", size {r.size}"
            out.print(untrusted(f"  evaluation {e.id}: {r.status.value}{speed} (harness {r.provenance}{size})"))
    envelope = stored_envelope(store, kernel_id, kernel.platform)
    if not envelope.points:
        out.print(f"never swept: `kernelwright sweep {kernel_id}`", highlight=False)
    else:
        print_wide(sweep_rich_table(kernel_id, envelope))
        if plot is not None:
            out.print(f"plot written to {sweep_plot(kernel_id, kernel.task.id, envelope, plot)}", highlight=False)
    if source:
        out.print(Syntax(clean(kernel.source), "python"))
