"""`kernelwright leaderboard`: bench runs ranked side by side, on one split, platform and category."""

from __future__ import annotations

from typing import Annotated

import typer

from kernelwright.agent.bench.config import Split
from kernelwright.agent.bench.ranking import ranked_runs
from kernelwright.commands import options as opt
from kernelwright.console import fail as _fail
from kernelwright.console import layout_width, print_wide
from kernelwright.db import Store
from kernelwright.settings import Settings
from kernelwright.views.leaderboard import Format, render, title


def leaderboard_cmd(
    platform: Annotated[str | None, typer.Option(help="only runs on this platform")] = None,
    category: Annotated[str | None, typer.Option(help="rank on this category's tasks only")] = None,
    split: Annotated[Split, typer.Option(help="which tasks the numbers cover: all, public or held-out")]
    = Split.all,
    fmt: Annotated[Format, typer.Option("--format", help="table, markdown, csv, json, or kernelbench (fast_0 and "
                                        "fast_1 per level, as KernelBench's tables)")] = Format.table,
    include_unfinished: Annotated[bool, typer.Option("--include-unfinished", help="also rank runs still "
                                                     "running or stopped before the end")] = False,
    limit: Annotated[int | None, typer.Option(help="at most this many rows")] = None,
    db_url: opt.DbUrl = None,
) -> None:
    """Rank stored bench runs by fast_1, then geometric-mean speedup (with its 95% interval)."""
    store = Store(db_url or Settings().db_url)
    runs = ranked_runs(store, split, platform, category, None, include_unfinished)
    if not runs:
        raise _fail("no bench runs match (run `kernelwright bench` first, or add --include-unfinished)",
                    fmt is Format.json)
    rendered = render(runs[:limit] if limit else runs, fmt, title(split.label, platform, category), category,
                      layout_width())
    if isinstance(rendered, str):
        print(rendered, end="" if rendered.endswith("\n") else "\n")
    else:
        print_wide(rendered)
