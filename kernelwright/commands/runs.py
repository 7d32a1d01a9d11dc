"""`kernelwright runs`: stored runs, their trajectories, turns and candidates."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from kernelwright.agent.starting import StartingKernel
from kernelwright.agent.summary import summarize_run
from kernelwright.commands import options as opt
from kernelwright.config.commands import bench_file, grpo_file, optimize_file
from kernelwright.config.files import to_yaml
from kernelwright.console import TableFormat, layout_width, out, print_rows, print_wide
from kernelwright.console import fail as _fail
from kernelwright.db import Store
from kernelwright.db.enums import RunKind, RunStatus, TurnOutcome
from kernelwright.db.rows import RunRow
from kernelwright.settings import Settings
from kernelwright.views.numbers import ratio, times
from kernelwright.views.optimize_live import verdict_text
from kernelwright.views.run_summary import summary_table
from kernelwright.views.safe_text import clean, first_line, one_line, untrusted

app = typer.Typer(help="Browse stored runs.", no_args_is_help=True)


def _store(db_url: str | None) -> Store:
    return Store(db_url or Settings().db_url)


def _platform(run: RunRow) -> str:
    config = run.config or {}
    for key in ("optimize", "bench", "grpo"):
        section = config.get(key)
        if isinstance(section, dict) and section.get("platform"):
            return str(section["platform"])
    return "-"


@app.command("list")
def runs_list(
    kind: Annotated[RunKind | None, typer.Option(help="only runs of this kind")] = None,
    limit: Annotated[int, typer.Option(help="newest N runs")] = 20,
    fmt: Annotated[TableFormat, typer.Option("--format", help="table, json or csv (every column, nothing cut)")]
    = TableFormat.table,
    db_url: opt.DbUrl = None,
) -> None:
    """The newest runs with their task, platform, provider and best verified speedup."""
    store = _store(db_url)
    runs = store.list_runs(kind=kind, limit=limit)
    rows = []
    for run in runs:
        summary = summarize_run(store, run.id)
        answer = summary.answer.result if summary.answer else None
        # The verified speedup and the lower end of its 95% interval (what makes it verified).
        best = (f"{times(answer.speedup)} (>{ratio(answer.speedup_ci[0])})"
                if answer is not None and answer.speedup is not None and answer.speedup_ci is not None else "-")
        provider = (run.config or {}).get("provider_label") or "-"
        rows.append([run.id, run.kind.value, run.status.value, clean(_platform(run)), best,
                     one_line(summary.task_id or "-"), run.created_at.strftime("%Y-%m-%d %H:%M"),
                     one_line(provider)])
    headers = ["id", "kind", "status", "platform", "best", "task", "started", "provider"]
    if print_rows(fmt, headers, rows):
        return
    # One line per run: the task column gets what the others leave of the width; from 120 columns (and piped
    # with no COLUMNS: every column, nothing cut) also when each run started and its provider.
    width = layout_width()
    wide = width is None or width >= 120
    if not wide:
        headers, rows = headers[:6], [row[:6] for row in rows]
    elif width is not None:
        rows = [[*row[:7], row[7][:30]] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    # Two spaces between columns and no rules; Rich squeezes columns unpredictably when a row is too long, so
    # the task is cut here to what is left.
    spare = widths[5] if width is None else max(width - (sum(widths) - widths[5]) - 2 * (len(headers) - 1), 4)
    table = Table(title=f"{len(runs)} runs (newest first)", title_justify="left", box=None, pad_edge=False,
                  header_style="bold underline")
    for header in headers:
        table.add_column(header, no_wrap=True)
    for row in rows:
        row[5] = row[5] if len(row[5]) <= spare else row[5][: spare - 1] + "…"
        table.add_row(*(untrusted(cell) for cell in row))
    print_wide(table)


def started_from(run: RunRow | None) -> str | None:
    """How a run's search started, when it started from a kernel: "ported from kernel 12 (cuda) to cpu"."""
    config = ((run.config or {}) if run is not None else {}).get("optimize") or {}
    if not config.get("start"):
        return None
    start = StartingKernel.model_validate(config["start"])
    target = config.get("platform")
    if start.platform != target:
        return f"ported from {start.describe()} to {target}"
    return f"started from {start.describe()}"


def _where(turn: dict[str, Any]) -> str:
    """The machine and cluster node that judged a turn's kernel: "Xeon 8480 @ 10.0.0.7"; "-" when none did."""
    hardware, node = turn.get("hardware"), turn.get("node_address") or (turn.get("node_id") or "")[:12]
    if not hardware and not node:
        return "-"
    return f"{hardware or '?'}" + (f" @ {node}" if node else "")


def _max_turns(run: RunRow | None) -> int | None:
    """The most turns a trajectory of `run` could take, from its stored configuration."""
    config = (run.config or {}) if run is not None else {}
    search = (config.get("optimize") or config.get("bench") or {}).get("search") or {}
    turns = search.get("turns")
    return int(turns) if isinstance(turns, int) else None


def run_config_yaml(run: RunRow) -> str:
    """The run's configuration as a `--config` file for the command that started it: rerunning it stores an
    equal configuration."""
    config = run.config or {}
    if "optimize" in config:
        data, command = optimize_file(config["optimize"]), "optimize"
    elif "bench" in config:
        data, command = bench_file(config["bench"]), "bench"
    elif "grpo" in config:
        data, command = grpo_file(config["grpo"], list(config.get("tasks", []))), "train grpo"
    else:
        raise LookupError(f"run {run.id} ({run.kind.value}) has no stored configuration to rerun")
    header = (f"Configuration of run {run.id} ({run.kind.value}, started {run.created_at:%Y-%m-%d %H:%M} UTC).\n"
              f"Rerun it with: kernelwright {command} --config FILE")
    return to_yaml(data, header)


@app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="run id (see `runs list`)")],
    code: Annotated[bool, typer.Option("--code", help="print the best kernel's source")] = False,
    replies: Annotated[bool, typer.Option("--replies", help="print the model's raw reply of every turn")] = False,
    config: Annotated[bool, typer.Option("--config", help="print only the run's configuration, as YAML that "
                                         "reruns it (`kernelwright optimize|bench --config FILE`)")] = False,
    as_json: Annotated[bool, opt.json_flag("print the run as JSON")] = False,
    db_url: opt.DbUrl = None,
) -> None:
    """One run: its summary, then every trajectory's turns with their verdicts and candidates."""
    store = _store(db_url)
    if config:
        run = store.get_run(run_id)
        if run is None:
            raise _fail(f"no run {run_id!r} in the store (see `kernelwright runs list`)")
        try:
            print(run_config_yaml(run), end="")
        except LookupError as exc:
            raise _fail(str(exc)) from exc
        return
    try:
        summary = summarize_run(store, run_id)
    except LookupError as exc:
        raise _fail(str(exc), as_json) from exc
    run_row = store.get_run(run_id)
    max_turns, start = _max_turns(run_row), started_from(run_row)
    trajectories: list[dict[str, Any]] = []
    for row_traj in store.trajectories_for_run(run_id):
        turns: list[dict[str, Any]] = []
        for turn in store.turns_for_trajectory(row_traj.id):
            row = store.get_evaluation(turn.evaluation_id) if turn.evaluation_id is not None else None
            turns.append({"index": turn.index, "outcome": turn.outcome.value if turn.outcome else None,
                          "candidate_id": turn.candidate_id, "evaluation_id": turn.evaluation_id,
                          "verdict": verdict_text(turn.outcome, row.result if row else None),
                          "hardware": row.result.hardware if row else None,
                          "node_id": row.node_id if row else None, "node_address": row.node_address if row else None,
                          "message": row.result.message if row else "", "tokens": (turn.prompt_tokens or 0)
                          + (turn.completion_tokens or 0), "latency_s": turn.latency_s,
                          **({"reply": turn.reply} if replies else {})})
        ended = row_traj.status is RunStatus.finished
        trajectories.append({"index": row_traj.index, "task_id": row_traj.task_id, "status": row_traj.status.value,
                             "stop_reason": row_traj.stop_reason, "max_turns": max_turns,
                             "stopped_early": ended and max_turns is not None and len(turns) < max_turns,
                             "turns_cached": sum(t["outcome"] == TurnOutcome.cached.value for t in turns),
                             "turns": turns})
    if as_json:
        data = summary.model_dump(mode="json")
        print(json.dumps({**data, "message": summary.message, "started_from": start,
                          "trajectories": trajectories}))
        return
    print_wide(summary_table(summary))
    if start is not None:  # a file name the user gave: shown as text
        out.print(untrusted(start), soft_wrap=True)
    width = layout_width()
    piped, wide = width is None, width is None or width >= 120
    for traj in trajectories:
        # Task ids, stop reasons, messages and replies come from task files, candidates and model endpoints.
        ran = f"{len(traj['turns'])} of {max_turns} turns" if max_turns else f"{len(traj['turns'])} turns"
        why = traj["stop_reason"] or "running"
        if traj["stopped_early"]:
            why = f"stopped early: {why}"
        title = f"{traj['task_id']} trajectory {traj['index']} ({traj['status']}; {ran} ran; {why})"
        table = Table(title=untrusted(title), title_justify="left",
                      box=box.SIMPLE_HEAD, pad_edge=False)
        # Every column keeps at least its header; the verdict and then the message give way in a narrow terminal.
        # The kernel id comes second: the one column the next commands (sweep, export, kernels show) need.
        for col in ("turn", "kernel", "outcome", "verdict", "tokens", "latency"):
            table.add_column(col, no_wrap=True, min_width=len(col), overflow="ellipsis")
        if wide:  # where it was judged: from 120 columns, and piped (always in --json)
            table.add_column("judged on", no_wrap=True, overflow="ellipsis")
        table.add_column("message", no_wrap=True, overflow="ellipsis", max_width=None if piped else 60)
        for t in traj["turns"]:
            table.add_row(str(t["index"] + 1), str(t["candidate_id"] or "-"), t["outcome"] or "pending",
                          untrusted(t["verdict"]), str(t["tokens"]),
                          f"{t['latency_s']:.1f} s" if t["latency_s"] is not None else "-",
                          *([untrusted(_where(t))] if wide else []), untrusted(first_line(t["message"])))
        print_wide(table)
        if replies:
            for t in traj["turns"]:
                out.rule(f"trajectory {traj['index']} turn {t['index'] + 1}: the model's reply", align="left")
                out.print(untrusted(t["reply"] or "(empty reply)"))
    if code and summary.answer is not None:
        out.print(untrusted(summary.answer.source))
