"""`kernelwright report RUN_ID --out DIR`: a bench run as Markdown with PNG plots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kernelwright.agent.bench.config import Split
from kernelwright.agent.bench.metrics import run_metrics
from kernelwright.commands import options as opt
from kernelwright.console import fail as _fail
from kernelwright.console import out
from kernelwright.db import Store
from kernelwright.settings import Settings


def report_cmd(
    run_id: Annotated[str, typer.Argument(help="a bench run id (see `kernelwright leaderboard`)")],
    out_dir: Annotated[Path, typer.Option("--out", help="folder for report.md, the plots and metrics.json")]
    = Path("report"),
    split: Annotated[Split, typer.Option(help="which tasks the report covers")] = Split.all,
    db_url: opt.DbUrl = None,
) -> None:
    """Write report.md and report.html with plots of speedup per category, fast_p over p and speedup vs turn."""
    from kernelwright.views.report import write_report  # matplotlib loads only for this command

    store = Store(db_url or Settings().db_url)
    try:
        metrics = run_metrics(store, run_id, split)
    except LookupError as exc:
        raise _fail(str(exc), False) from exc
    for path in write_report(metrics, out_dir):
        out.print(f"wrote {path}", highlight=False)
