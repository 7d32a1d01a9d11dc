"""`kernelwright kernels show KERNEL_ID`: a stored kernel, its verdicts, and its sweep with a plot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.syntax import Syntax

from agent.sweep import SweepError, load_kernel, stored_envelope
from db import Store
from kernelwright.commands import options as opt
from kernelwright.console import fail, out, print_wide
from kernelwright.settings import Settings
from kernelwright.views.safe_text import clean, untrusted
from kernelwright.views.sweep import sweep_plot, sweep_rich_table

app = typer.Typer(help="Stored kernels: their verdicts and shape sweeps.", no_args_is_help=True)


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
            out.print(untrusted(f"  evaluation {e.id}: {r.status.value}{speed} (harness {r.harness_version}, "
                                f"size {r.size})"))
    envelope = stored_envelope(store, kernel_id, kernel.platform)
    if not envelope.points:
        out.print(f"never swept: `kernelwright sweep {kernel_id}`", highlight=False)
    else:
        print_wide(sweep_rich_table(kernel_id, envelope))
        if plot is not None:
            out.print(f"plot written to {sweep_plot(kernel_id, envelope, plot)}", highlight=False)
    if source:
        out.print(Syntax(clean(kernel.source), "python"))
