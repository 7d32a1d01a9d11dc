"""`kernelwright sweep KERNEL_ID`: judge a stored kernel at every point of its task's shape sweep."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from kernelwright.agent.export.sources import ExportError
from kernelwright.agent.sweep import SweepError, load_kernel, run_sweep, stored_envelope, sweep_plan
from kernelwright.commands import options as opt
from kernelwright.console import fail, out, print_wide
from kernelwright.db import Store
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import EvalResult
from kernelwright.settings import Settings
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.sweep import SweepPoint
from kernelwright.views.safe_text import clean, untrusted
from kernelwright.views.sweep import sweep_rich_table


def sweep_cmd(
    kernel_id: Annotated[int, typer.Argument(help="a stored kernel (`kernelwright kernels list`, or the `kernel` "
                                                  "column of `runs show`)")],
    shapes: Annotated[int, typer.Option("--shapes", help="sweep points at most (the task as written first)")] = 8,
    threads: opt.Threads = None,
    timeout: opt.Timeout = 300.0,
    as_json: Annotated[bool, opt.json_flag("print the stored sweep as JSON")] = False,
    db_url: opt.DbUrl = None,
) -> None:
    """Judge a stored kernel at each point of its task's shape sweep; the verdicts are stored per point."""
    store = Store(db_url or Settings().db_url)
    try:
        kernel = load_kernel(store, kernel_id)
        options = EvalOptions(threads=threads, timeout_s=timeout)
        plan = sweep_plan(kernel, shapes, options)
    except (SweepError, TaskLoadError) as exc:
        raise fail(str(exc), as_json) from exc
    points = plan.points
    if not as_json:
        out.print(untrusted(f"sweep of kernel {kernel_id}: {plan.note}"))
    # Rich's default columns, with a description never parsed as markup: it holds the task's id.
    with Progress(TextColumn("{task.description}", style="progress.description", markup=False), BarColumn(),
                  TaskProgressColumn(), TimeRemainingColumn(), transient=True, disable=as_json) as progress:
        bar = progress.add_task(clean(f"sweeping kernel {kernel_id} ({kernel.task.id}, {kernel.platform})"),
                                total=len(points))

        def done(point: SweepPoint, result: EvalResult) -> None:
            progress.advance(bar)
            if not as_json:
                speed = "" if result.speedup is None else f" {result.speedup:.2f}x"
                progress.console.print(untrusted(f"{point.label}: {result.status.value}{speed}  ({point.rule})"))

        try:
            rows = run_sweep(store, kernel_id, options=options, points=points, on_point=done)
        except (SweepError, ExportError) as exc:
            raise fail(str(exc), as_json) from exc
    envelope = stored_envelope(store, kernel_id, kernel.platform)
    if as_json:
        print(json.dumps({"kernel_id": kernel_id, "points": len(rows), "note": plan.note,
                          "rules": {p.label: p.rule for p in points}, "envelope": envelope.model_dump(mode="json")}))
        return
    print_wide(sweep_rich_table(kernel_id, envelope))
    out.print(f"stored {len(rows)} points; `kernelwright kernels show {kernel_id}` shows them, "
              f"`kernelwright export {kernel_id} --out DIR` ships the kernel", highlight=False)
