"""`kernelwright runs`: stored runs, their trajectories, turns and candidates."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from agent.summary import summarize_run
from db import Store
from db.enums import RunKind
from kernelwright.console import fail as _fail
from kernelwright.console import out
from kernelwright.settings import Settings
from kernelwright.views.optimize_live import verdict_text
from kernelwright.views.run_summary import summary_table

app = typer.Typer(help="Browse stored runs.", no_args_is_help=True)


def _store(db_url: str | None) -> Store:
    return Store(db_url or Settings().db_url)


@app.command("list")
def runs_list(
    kind: Annotated[RunKind | None, typer.Option(help="only runs of this kind")] = None,
    limit: Annotated[int, typer.Option(help="newest N runs")] = 20,
    db_url: Annotated[str | None, typer.Option(help="store URL")] = None,
) -> None:
    """The newest runs with their task, provider and best verified speedup."""
    store = _store(db_url)
    runs = store.list_runs(kind=kind, limit=limit)
    table = Table(title=f"{len(runs)} runs (newest first)")
    table.add_column("id", no_wrap=True)  # ids are copied into `runs show` and `--resume`
    for col in ("kind", "status", "started", "task", "provider", "turns", "best"):
        table.add_column(col)
    for run in runs:
        summary = summarize_run(store, run.id)
        best = summary.answer.speedup_text if summary.answer else "-"
        table.add_row(run.id, run.kind.value, run.status.value, run.created_at.strftime("%Y-%m-%d %H:%M"),
                      summary.task_id or "-", escape(summary.provider or "-"), str(summary.turns), best)
    out.print(table)


@app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="run id (see `runs list`)")],
    code: Annotated[bool, typer.Option("--code", help="print the best kernel's source")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the run as JSON")] = False,
    db_url: Annotated[str | None, typer.Option(help="store URL")] = None,
) -> None:
    """One run: its summary, then every trajectory's turns with their verdicts and candidates."""
    store = _store(db_url)
    try:
        summary = summarize_run(store, run_id)
    except LookupError as exc:
        raise _fail(str(exc), as_json) from exc
    trajectories = []
    for traj in store.trajectories_for_run(run_id):
        turns = []
        for turn in store.turns_for_trajectory(traj.id):
            row = store.get_evaluation(turn.evaluation_id) if turn.evaluation_id is not None else None
            turns.append({"index": turn.index, "outcome": turn.outcome.value if turn.outcome else None,
                          "candidate_id": turn.candidate_id, "evaluation_id": turn.evaluation_id,
                          "verdict": verdict_text(turn.outcome, row.result if row else None),
                          "message": row.result.message if row else "", "tokens": (turn.prompt_tokens or 0)
                          + (turn.completion_tokens or 0), "latency_s": turn.latency_s})
        trajectories.append({"index": traj.index, "status": traj.status.value, "stop_reason": traj.stop_reason,
                             "turns": turns})
    if as_json:
        data = summary.model_dump(mode="json")
        print(json.dumps({**data, "message": summary.message, "trajectories": trajectories}))
        return
    out.print(summary_table(summary))
    for traj in trajectories:
        table = Table(title=f"trajectory {traj['index']} ({traj['status']}; {traj['stop_reason'] or 'running'})",
                      title_justify="left")
        for col in ("turn", "outcome", "verdict", "candidate", "tokens", "latency", "message"):
            table.add_column(col)
        for t in traj["turns"]:
            table.add_row(str(t["index"] + 1), t["outcome"] or "pending", escape(t["verdict"]),
                          str(t["candidate_id"] or "-"), str(t["tokens"]),
                          f"{t['latency_s']:.1f} s" if t["latency_s"] is not None else "-",
                          escape(t["message"][:90]))
        out.print(table)
    if code and summary.answer is not None:
        out.print(summary.answer.source, markup=False, highlight=False)
