"""`kernelwright rescore RUN_ID`: re-evaluate a run's candidates under the current harness; show what changed."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from kernelwright.agent.bench.rescore import Change, rescore_run, run_settings
from kernelwright.agent.evaluators import ClusterConfig, EvaluatorPool
from kernelwright.commands import options as opt
from kernelwright.console import err, out
from kernelwright.console import fail as _fail
from kernelwright.db import Store
from kernelwright.settings import Settings
from kernelwright.views.numbers import times
from kernelwright.views.safe_text import untrusted


def _speed(value: float | None) -> str:
    return times(value)


def rescore_cmd(
    run_id: Annotated[str, typer.Argument(help="a bench or optimize run id")],
    force: Annotated[bool, typer.Option("--force", help="also re-evaluate candidates already judged by the "
                                        "current harness (e.g. to re-time them)")] = False,
    workers: opt.Workers = None,
    ray_address: opt.RayAddress = None,
    as_json: Annotated[bool, opt.json_flag("print the report as JSON")] = False,
    db_url: opt.DbUrl = None,
) -> None:
    """Re-evaluate the run's candidates judged by an older harness (all with --force); old verdicts are kept."""
    store = Store(db_url or Settings().db_url)
    run = store.get_run(run_id)
    if run is None:
        raise _fail(f"no run {run_id!r} in the store (see `kernelwright runs list`)", as_json)
    try:
        platform, _ = run_settings(run.config or {})
    except LookupError as exc:
        raise _fail(str(exc), as_json) from exc
    cluster = EvaluatorPool(ClusterConfig(address=ray_address, workers=workers), platform)
    cluster.start()

    def done(change: Change) -> None:
        if not as_json:
            mark = Text("changed", "yellow") if change.changed else "same"
            err.print(Text.assemble(untrusted(f"{change.task_id} candidate {change.candidate_id}: "), mark, " ",
                                    untrusted(change.note)))

    try:
        report = asyncio.run(rescore_run(store, cluster, run_id, force=force, on_done=done))
    finally:
        cluster.shutdown()
    if as_json:
        print(json.dumps(report.model_dump(mode="json")))
        return
    table = Table(title=f"rescore of {run_id} under harness {report.harness_version}", title_justify="left")
    for col in ("task", "candidate", "old harness", "old", "new", "what changed"):
        table.add_column(col)
    for c in report.changes:
        table.add_row(untrusted(c.task_id), str(c.candidate_id), untrusted(c.old_harness),
                      f"{c.old_status.value} {_speed(c.old_speedup)}", f"{c.new_status.value} {_speed(c.new_speedup)}",
                      untrusted(c.note or "-"))
    out.print(table)
    out.print(f"{len(report.changes)} re-evaluated, {len(report.changed)} changed, {report.skipped_current} already "
              f"under {report.harness_version} (use --force to redo them); the leaderboard now uses the new verdicts",
              highlight=False)
