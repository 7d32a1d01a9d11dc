"""`kernelwright leaderboard`: bench runs ranked side by side, on one split, platform and category."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.bench.config import Split
from agent.bench.metrics import RunMetrics, run_metrics
from db import Store
from db.models import RunKind
from kernelwright.commands import options as opt
from kernelwright.console import fail as _fail
from kernelwright.console import print_wide
from kernelwright.settings import Settings
from kernelwright.views.leaderboard import Format, render, title


def rank_key(run: RunMetrics, category: str | None) -> tuple[float, float, float]:
    """fast_1 first, then the geometric-mean speedup, then correctness (all higher is better)."""
    m = run.by_category[category] if category else run.overall
    return (m.fast_p.get("1", 0.0), m.geomean or 0.0, m.correct_rate)


def leaderboard_cmd(
    platform: Annotated[str | None, typer.Option(help="only runs on this platform")] = None,
    category: Annotated[str | None, typer.Option(help="rank on this category's tasks only")] = None,
    split: Annotated[Split, typer.Option(help="which tasks the numbers cover: all, public or held-out")]
    = Split.all,
    fmt: Annotated[Format, typer.Option("--format", help="table, markdown, csv or json")] = Format.table,
    include_unfinished: Annotated[bool, typer.Option("--include-unfinished", help="also rank runs still "
                                                     "running or stopped before the end")] = False,
    limit: Annotated[int | None, typer.Option(help="at most this many rows")] = None,
    db_url: opt.DbUrl = None,
) -> None:
    """Rank stored bench runs by fast_1, then geometric-mean speedup (with its 95% interval)."""
    store = Store(db_url or Settings().db_url)
    runs = []
    for row in store.list_runs(kind=RunKind.bench):
        if not include_unfinished and row.status.value != "finished":
            continue
        metrics = run_metrics(store, row.id, split, None)
        if platform is not None and metrics.platform != platform:
            continue
        if metrics.overall.tasks == 0:  # none of its tasks is in this split
            continue
        if category is not None and category not in metrics.by_category:
            continue
        runs.append(metrics)
    if not runs:
        raise _fail("no bench runs match (run `kernelwright bench` first, or add --include-unfinished)",
                    fmt is Format.json)
    runs.sort(key=lambda r: rank_key(r, category), reverse=True)
    rendered = render(runs[:limit] if limit else runs, fmt, title(split.label, platform, category), category)
    if isinstance(rendered, str):
        print(rendered, end="" if rendered.endswith("\n") else "\n")
    else:
        print_wide(rendered)
