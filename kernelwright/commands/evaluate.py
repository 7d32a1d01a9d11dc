"""`kernelwright eval`: judge one solution on one task."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kernelwright.commands import options as opt
from kernelwright.console import err, out, warn
from kernelwright.console import fail as _fail
from kernelwright.evaluator import EvalOptions, EvalResult, Status, checked_task, evaluate
from kernelwright.evaluator.platforms import platform_error
from kernelwright.evaluator.result import Reason, Stage, ToleranceMode, Verification
from kernelwright.settings import Settings
from kernelwright.tasks.errors import TaskLoadError, TaskProblem
from kernelwright.tasks.model import Task
from kernelwright.tasks.registry import example_solutions, resolve_task
from kernelwright.views.safe_text import clean, untrusted

JSON_FIELDS = ("status", "reason", "message", "stage", "speedup", "speedup_ci", "baseline_ms", "candidate_ms",
               "platform", "hardware", "harness_version", "allow_torch", "task_id", "candidate_hash",
               "build_seconds", "wall_seconds", "correctness", "timing", "achieved_gbps", "achieved_gflops",
               "verification", "size", "tolerance", "jailed", "log")
STATUS_STYLE = {Status.correct: "bold green", Status.incorrect: "bold red", Status.rejected: "bold magenta",
                Status.build_error: "bold yellow", Status.runtime_error: "bold red", Status.timeout: "bold red",
                Status.unstable: "bold yellow", Status.build_ok_unverified: "bold yellow", Status.refused: "bold red"}

# Lines of the log shown with a build or runtime error, and of the message in the verdict's table.
LOG_LINES = 25
MESSAGE_LINES, MESSAGE_CHARS = 12, 1000

# A task refused by its probe, as the verdict's reason.
TASK_REASONS = {TaskProblem.load_error: Reason.task_error, TaskProblem.degenerate: Reason.degenerate_task,
                TaskProblem.out_of_memory: Reason.out_of_memory, TaskProblem.timeout: Reason.wall_timeout,
                TaskProblem.no_jail: Reason.no_jail, TaskProblem.data_file: Reason.task_error}


def _json_line(result: EvalResult) -> str:
    """The verdict as one line of JSON, ASCII only: pydantic writes C1 controls and bidi overrides of a message
    as they are, `json.dumps` escapes every character outside ASCII."""
    return json.dumps(json.loads(result.model_dump_json(include=set(JSON_FIELDS))))


def _refuse(message: str, reason: Reason, as_json: bool, platform: str, task_id: str | None = None,
            options: EvalOptions | None = None) -> typer.Exit:
    """No evaluation: with --json the verdict object (status `refused` and the reason), else the error; exit 2."""
    if not as_json:
        return _fail(message)
    opts = options or EvalOptions()
    result = EvalResult(status=Status.refused, reason=reason, message=message, stage=Stage.static, platform=platform,
                        task_id=task_id, allow_torch=opts.allow_torch, size=opts.size, tolerance=opts.tolerance,
                        jailed=not opts.unsafe_no_jail)
    print(_json_line(result))
    return typer.Exit(code=2)


def _solution_source(solution: str, task_ref: str, platform: str, as_json: bool) -> str:
    if solution == "example":
        task = resolve_task(task_ref)
        found = example_solutions(task).get(platform)
        if found is None:
            raise _refuse(f"{task.id} has no example solution for platform {platform!r}", Reason.bad_request,
                          as_json, platform, task.id)
        return found.read_text(encoding="utf-8")
    path = Path(solution)
    if not path.is_file():
        raise _refuse(f"{solution}: no such solution file", Reason.bad_request, as_json, platform)
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _refuse(f"{solution}: cannot read: {exc}", Reason.bad_request, as_json, platform) from exc


def _store_result(db_url: str | None, task: Task, source: str, result: EvalResult) -> int:
    """Record a verdict judged in this process (on no Ray node) against this machine's hardware."""
    # Imported here: `eval --no-store` never loads SQLAlchemy.
    from kernelwright.agent.verdicts import VerdictRecorder
    from kernelwright.db import Store
    from kernelwright.evaluator.platforms import get_platform

    with Store(db_url) as store:
        recorder = VerdictRecorder(store, result.platform)
        return recorder.record(task, source, result, get_platform(result.platform).hardware()).evaluation_id


def _fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} ms"


def _message_lines(message: str) -> str:
    """The message for the table: cleaned, blank lines dropped, at most MESSAGE_LINES lines and MESSAGE_CHARS
    characters."""
    lines = [line for line in clean(message).splitlines() if line.strip()]
    shown = "\n".join(lines[:MESSAGE_LINES])[:MESSAGE_CHARS]
    if shown != "\n".join(lines):
        shown += " ... (cut here: --json has the whole message)"
    return shown


def _print_result(result: EvalResult) -> None:
    # The message, the log and the task id come from the candidate or the task file: `Text`, never markup (a
    # message could otherwise paint `correct` in green, or its escape codes repaint the rows above it). The log
    # comes first, framed, and the verdict last, short enough to stay on the screen: nothing the candidate
    # printed can scroll it away or pass for one of its rows.
    if result.status in (Status.build_error, Status.runtime_error) and result.log:
        tail = "\n".join(clean(result.log).splitlines()[-LOG_LINES:])
        out.print(Panel(Text(tail, style="dim"), title=f"log: its last {LOG_LINES} lines", title_align="left",
                        border_style="dim"))
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold cyan", justify="right")
    table.add_column()
    table.add_row("status", f"[{STATUS_STYLE.get(result.status, 'bold')}]{result.status.value}[/]")
    table.add_row("reason", result.reason.value)
    table.add_row("stage", result.stage.value)
    table.add_row("message", Text(_message_lines(result.message)))
    if result.verification is not Verification.native:
        # Without a GPU a result means less; say so where nobody can miss it.
        table.add_row("checked", f"[bold yellow]{result.verification.label}[/]")
    if result.speedup is not None and result.speedup_ci is not None:
        lo, hi = result.speedup_ci
        table.add_row("speedup", f"[bold]{result.speedup:.2f}x[/]  95% CI [{lo:.2f}, {hi:.2f}]"
                      + ("  (vs PyTorch eager)" if not result.allow_torch else "  (allow-torch track)"))
    if result.timing is not None and result.timing.stopped is not None:
        level = f", interval at {result.timing.confidence:.2%}" if result.timing.confidence is not None else ""
        table.add_row("timing", f"{result.timing.buckets} buckets of {result.timing.runs_per_bucket} calls, "
                      f"stopped: {result.timing.stopped.value}{level}")
    table.add_row("baseline", _fmt_ms(result.baseline_ms))
    table.add_row("candidate", _fmt_ms(result.candidate_ms))
    if result.correctness and result.correctness.max_abs_error is not None:
        table.add_row("max error", f"{result.correctness.max_abs_error:.3e} abs")
    table.add_row("platform", untrusted(f"{result.platform} on {result.hardware}"))
    table.add_row("task", untrusted(f"{result.task_id}" + (f" (size {result.size})" if result.size else "")))
    table.add_row("tolerance", result.tolerance.label)
    table.add_row("harness", result.provenance)
    if result.wall_seconds is not None:
        table.add_row("wall", f"{result.wall_seconds:.1f} s (build {result.build_seconds or 0:.1f} s)")
    out.print(table)
    if not result.jailed:
        out.print("[bold red]UNJAILED: this candidate ran without the OS jail (--unsafe-no-jail); trust this result "
                  "no further than the code you ran[/]")


def eval_cmd(
    task: Annotated[str, typer.Argument(help="a task file or a suite id such as activation/relu")],
    solution: Annotated[str, typer.Argument(help="a solution file defining ModelNew, or `example`")],
    platform: opt.Platform = "cpu",
    as_json: Annotated[bool, opt.json_flag("print one JSON object on stdout")] = False,
    no_store: Annotated[bool, typer.Option("--no-store", help="do not record the evaluation")] = False,
    allow_torch: opt.AllowTorch = False,
    threads: opt.Threads = None,
    trials: opt.Trials = 3,
    timeout: opt.Timeout = 300.0,
    size: Annotated[str | None, typer.Option(help="problem size: cpu, gpu or small (default: the platform's; "
                                             "see README 'Platforms')")] = None,
    db_url: opt.DbUrl = None,
    tolerance: opt.ToleranceOpt = ToleranceMode.task,
    early_stop: Annotated[bool, typer.Option(help="stop timing at the first planned look whose interval decides "
                                             "(the error rate split between the looks); off: until the "
                                             "interval is narrow or the budget ends")] = True,
    unsafe_no_jail: Annotated[bool, typer.Option("--unsafe-no-jail", help="run the task and the solution without "
                                                 "the OS jail: only for your own trusted code on your own machine "
                                                 "(every result says so, in red)")] = False,
) -> None:
    """Evaluate SOLUTION on TASK: correctness, then speedup with a 95% interval."""
    if (problem := platform_error(platform)) is not None:
        raise _refuse(problem, Reason.bad_request, as_json, platform)
    options = EvalOptions(allow_torch=allow_torch, threads=threads, correctness_trials=trials, timeout_s=timeout,
                          size=size, unsafe_no_jail=unsafe_no_jail, tolerance=tolerance, early_stop=early_stop)
    if unsafe_no_jail:
        err.print("[bold red]--unsafe-no-jail: the task and the solution run with all your rights, outside the jail[/]")
    try:
        task_obj = checked_task(resolve_task(task), options=options)
    except TaskLoadError as exc:
        raise _refuse(str(exc), TASK_REASONS[exc.kind], as_json, platform, task, options) from exc
    source = _solution_source(solution, task, platform, as_json)
    try:
        if as_json:
            result = evaluate(task_obj, source, platform, options)
        else:
            with err.status(untrusted(f"evaluating {solution} on {task_obj.id} ({platform})…")):
                result = evaluate(task_obj, source, platform, options)
    except TaskLoadError as exc:  # a --size the task does not define
        raise _refuse(str(exc), Reason.bad_request, as_json, platform, task_obj.id, options) from exc
    if not no_store:
        try:
            _store_result(db_url or Settings().db_url, task_obj, source, result)
        except Exception as exc:  # noqa: BLE001 - the verdict stands even if the store is down; say so
            warn(f"the result was not stored: {type(exc).__name__}: {exc}")
    if as_json:
        print(_json_line(result))
    else:
        _print_result(result)


