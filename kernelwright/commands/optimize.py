"""`kernelwright optimize`: turn a PyTorch operator into the fastest kernel the evaluator can verify."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel

from kernelwright.agent.driver import Driver, RunStopped, Unanswerable
from kernelwright.agent.evaluators import ClusterConfig, EvaluatorPool
from kernelwright.agent.export.collect import collect_kernels
from kernelwright.agent.export.header import kernel_file_header
from kernelwright.agent.export.package import export_package
from kernelwright.agent.export.sources import ExportError
from kernelwright.agent.providers import ProviderError, get_provider
from kernelwright.agent.runner import OptimizeConfig, Optimizer, load_config_task
from kernelwright.agent.starting import StartError, StartingKernel, file_start, is_kernel_id, stored_start
from kernelwright.agent.summary import RunSummary
from kernelwright.agent.sweep import SweepError, run_sweep, stored_envelope
from kernelwright.commands import options as opt
from kernelwright.config.commands import OptimizeCommand
from kernelwright.config.files import ConfigError
from kernelwright.config.options import ConfigPath, command_config
from kernelwright.console import err, error, out, warn
from kernelwright.console import fail as _fail
from kernelwright.db import Store
from kernelwright.evaluator.platforms import platform_error
from kernelwright.evaluator.result import EvalResult
from kernelwright.settings import Settings
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.loader import load_task_source
from kernelwright.tasks.registry import resolve_task
from kernelwright.tasks.sweep import SweepPoint
from kernelwright.views.optimize_live import OptimizeLive
from kernelwright.views.run_summary import summary_table
from kernelwright.views.safe_text import untrusted

KEYS = {**opt.RUN_KEYS, "op": "task", "trajectories": "search.trajectories", "turns": "search.turns",
        "out_file": "out", "sweep": "sweep", "export_dir": "export", "from_kernel": "from_kernel",
        "from_platform": "from_platform"}


def _starting_kernel(command: OptimizeCommand, store: Store) -> tuple[StartingKernel | None, str | None]:
    """The run's starting kernel, if any, and (for a stored one) its task's stored source."""
    ref = command.from_kernel
    if ref is None:
        return None, None
    if is_kernel_id(ref):
        if command.from_platform is not None:
            raise StartError(f"kernel {ref} is stored with its platform: give --from-platform only with a file")
        return stored_start(store, int(ref))
    return file_start(Path(ref), command.from_platform), None


def new_config(command: OptimizeCommand, store: Store) -> OptimizeConfig:
    """The stored configuration of a new run: the task read now (or the exact source the file gives; a stored
    starting kernel's own task when none is named) and the starting kernel. `StartError`, `TaskLoadError`."""
    start, start_task_source = _starting_kernel(command, store)
    if command.task is None and start is not None and start.task_id is not None and start_task_source is not None:
        task = load_task_source(start_task_source, start.task_id, task_id=start.task_id)
        origin = start.task_id
    elif command.task is None:
        raise StartError("give the task the kernel solves (--task, or the operator file)")
    elif command.task_source is not None:
        task = load_task_source(command.task_source, command.task)
        origin = command.task
    else:
        task = resolve_task(command.task)
        origin = task.path or command.task
    if start is not None and start.task_id is not None and start.task_id != task.id:
        raise StartError(f"kernel {start.kernel_id} solves task {start.task_id!r}, not {task.id!r}; a kernel id "
                         "knows its task: leave the task out")
    return OptimizeConfig(task_source=task.source, task_origin=origin, task_id=task.id, platform=command.platform,
                          provider=command.provider, search=command.search, eval=command.eval, start=start)


def _write_out(store: Store, summary: RunSummary, out_path: Path | None, ported: bool) -> tuple[bool, str]:
    """Write the answer to `out_path`; whether it did, and a line saying so. A port's goal is a correct kernel on
    its target, so without a verified speedup it writes the fastest correct one (its header gives the measured
    speedup and interval)."""
    if out_path is None:
        return False, ""
    kernel = summary.answer or (summary.best_correct if ported else None)
    if kernel is None:
        return False, f"nothing written to {out_path}: " + ("no correct port" if ported else "no verified speedup")
    envelope = stored_envelope(store, kernel.candidate_id, kernel.result.platform)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(kernel_file_header(kernel, summary.run_id, envelope) + kernel.source, encoding="utf-8")
    if summary.answer is None:
        return True, f"correct port written to {out_path} (not verified faster than PyTorch eager)"
    return True, f"best kernel written to {out_path}"


def _ship(store: Store, summary: RunSummary, sweep: bool, export_dir: Path | None, as_json: bool) -> str:
    """Sweep the answer and/or export it as a package, as asked; a line saying what was done."""
    if summary.answer is None or not (sweep or export_dir):
        return ""
    kernel_id = summary.answer.candidate_id

    def swept(point: SweepPoint, result: EvalResult) -> None:
        if not as_json:
            err.print(untrusted(f"sweep {point.label}: {result.status.value}"))

    try:
        if export_dir is None:
            rows = run_sweep(store, kernel_id, on_point=swept)
            return f"kernel {kernel_id} swept over {len(rows)} sizes (kernelwright kernels show {kernel_id})"
        written = export_package(collect_kernels(store, [summary.run_id], on_point=swept), export_dir)
    except (ExportError, SweepError, TaskLoadError) as exc:
        return f"not exported: {exc}"
    return (f"exported {written.package} to {written.path} (pip install --no-build-isolation \"{written.path}[test]\", "
            f"then python -m {written.package}.check)")


def next_commands(summary: RunSummary) -> list[str]:
    """The answer's kernel id and what to run next with it (nothing when the run has no answer)."""
    if summary.answer is None:
        return []
    k = summary.answer.candidate_id
    return [f"answer: kernel {k} (`kernelwright kernels list` finds it again)",
            f"  kernelwright sweep {k}               # judge it at other shapes (its envelope)",
            f"  kernelwright export {k} --out DIR    # a pip-installable package (sweeps first if needed)",
            f"  kernelwright kernels show {k}        # its verdicts and sweep"]


def _resumed(store: Store, run_id: str, base_url: str | None, as_json: bool) -> OptimizeConfig:
    run = store.get_run(run_id)
    if run is None or "optimize" not in (run.config or {}):
        raise _fail(f"no optimize run {run_id!r} in the store (see `kernelwright runs list`)", as_json)
    config = OptimizeConfig.model_validate((run.config or {})["optimize"])
    if base_url is not None:  # the endpoint may have moved since the run started
        config.provider.base_url = base_url
    return config


def _doing(config: OptimizeConfig) -> str:
    """What the run does, for its first line: optimizing, or porting (or improving) a starting kernel."""
    start = config.start
    if start is None:
        return "optimizing"
    return f"{'porting' if start.platform != config.platform else 'improving'} {start.describe()} for"


def optimize_cmd(
    ctx: typer.Context,
    op: Annotated[str | None, typer.Argument(help="a KernelBench-format operator file (or a suite id)")] = None,
    config_file: ConfigPath = None,
    platform: opt.Platform = "cpu",
    from_kernel: Annotated[str | None, typer.Option("--from-kernel", help="start from this kernel: a stored kernel "
                                                    "id (then OP may be left out) or a solution file; one for "
                                                    "another platform is ported (see `kernelwright port`)")] = None,
    from_platform: opt.FromPlatform = None,
    provider: opt.ProviderName = "openai",
    model: opt.Model = "gpt-4o-mini",
    base_url: opt.BaseUrl = None,
    api_key_env: opt.ApiKeyEnv = "OPENAI_API_KEY",
    temperature: opt.Temperature = 0.7,
    max_tokens: opt.MaxTokens = 8192,
    stream: opt.Stream = False,
    price_in: opt.PriceIn = 0.0,
    price_out: opt.PriceOut = 0.0,
    trajectories: opt.Trajectories = 2,
    turns: opt.Turns = 4,
    strategy: opt.Strategy = "parallel",
    patience: opt.Patience = 2,
    max_failures: opt.MaxFailures = 3,
    out_file: opt.OutFile = None,
    sweep: opt.SweepAnswer = False,
    export_dir: opt.ExportDir = None,
    resume: Annotated[str | None, typer.Option(help="continue a stopped run by id (its stored config is used; "
                                               "only --base-url, --out and the Ray options apply)")]
    = None,
    workers: opt.Workers = None,
    ray_address: opt.RayAddress = None,
    allow_torch: opt.AllowTorch = False,
    threads: opt.Threads = None,
    trials: opt.Trials = 3,
    timeout: opt.Timeout = 300.0,
    seed: opt.Seed = 0,
    as_json: opt.AsJson = False,
    db_url: opt.DbUrl = None,
) -> None:
    """Search for a faster kernel for OP: N trajectories x T turns, each candidate verified and timed."""
    if resume is not None and (op is not None or config_file is not None or from_kernel is not None):
        raise _fail("--resume RUN_ID continues a stored run: give no operator, --from-kernel or --config with it",
                    as_json)
    if resume is None and op is None and config_file is None and from_kernel is None:
        raise _fail("give an operator file, --from-kernel KERNEL_ID, --config FILE, or --resume RUN_ID", as_json)
    if op is None and config_file is None and from_kernel is not None and not is_kernel_id(from_kernel):
        raise _fail(f"give OP, the task {from_kernel} solves (a stored kernel id knows its own)", as_json)
    store = Store(db_url or Settings().db_url)
    if resume is not None:
        resumed = Resumed(run_id=resume, cluster=ClusterConfig(address=ray_address, workers=workers),
                          out=out_file, sweep=sweep, export=export_dir)
        run_search(ctx, store, KEYS, config_file, as_json, base_url=base_url, resumed=resumed)
    else:
        run_search(ctx, store, KEYS, config_file, as_json)


class Resumed(BaseModel):
    """A stopped run to continue, with what the command line says about where it runs and what it ships."""

    run_id: str
    cluster: ClusterConfig
    out: Path | None = None
    sweep: bool = False
    export: Path | None = None


def run_search(ctx: typer.Context, store: Store, keys: dict[str, str], config_file: Path | None, as_json: bool, *,
               base_url: str | None = None, resumed: Resumed | None = None, port: bool = False) -> None:
    """The search `optimize` and `port` run: a new run from the options (`keys` maps the command's parameters to
    `OptimizeCommand` keys) and `config_file`, or a resumed one; then live view, summary, --out and shipping.
    `port`: the starting kernel must be for another platform than the target."""
    try:
        if resumed is not None:
            config = _resumed(store, resumed.run_id, base_url, as_json)
            cluster_cfg, out_path, ship = resumed.cluster, resumed.out, (resumed.sweep, resumed.export)
        else:
            try:
                command = command_config(ctx, OptimizeCommand, keys, config_file)
            except ConfigError as exc:
                raise _fail(str(exc), as_json) from exc
            cluster_cfg, out_path = command.cluster, command.out
            ship = (command.sweep, command.export)
            if (problem := platform_error(command.platform)) is not None:
                raise _fail(problem, as_json)
            config = new_config(command, store)
            if port and config.start is not None and config.start.platform == config.platform:
                raise _fail(f"{config.start.describe()} is already a {config.platform} kernel; to make it faster: "
                            f"kernelwright optimize --from-kernel {command.from_kernel} --platform {config.platform}",
                            as_json)
        task = load_config_task(config)
        llm = get_provider(config.provider)
    except (TaskLoadError, ProviderError, StartError) as exc:
        raise _fail(str(exc), as_json) from exc
    resume = resumed.run_id if resumed is not None else None
    cluster = EvaluatorPool(cluster_cfg, config.platform)
    optimizer = Optimizer(store, llm, cluster, config, task, resume_run_id=resume)
    view = None if as_json else OptimizeLive(err, f"{task.id} · {config.platform}", config.search.trajectories,
                                             config.search.turns)
    optimizer.on_event = view or optimizer.on_event
    driver = Driver(cluster, starting=nullcontext if as_json else lambda: err.status("starting Ray and evaluators…"),
                    running=nullcontext if view is None else lambda: view,
                    note=lambda text: None if as_json else warn(text))
    if not as_json:
        err.print(untrusted(f"{_doing(config)} {task.id} on {config.platform} with {llm.label}"))
    try:
        summary: RunSummary = driver.run(optimizer)
    except Unanswerable as exc:
        raise _fail(str(exc), as_json) from exc
    except ProviderError as exc:  # the endpoint's own words: shown as text, never markup
        error(exc)
        raise typer.Exit(code=1) from exc
    except RunStopped as exc:
        if exc.interrupted:
            err.print(f"\n[yellow]interrupted[/]; resume with: kernelwright optimize --resume {exc.run_id}")
            raise typer.Exit(code=130) from None
        error(f"{exc.cause}\nresume with: kernelwright optimize --resume {exc.run_id}")
        raise typer.Exit(code=1) from exc
    shipped = _ship(store, summary, *ship, as_json)
    ported = config.start is not None and config.start.platform != config.platform
    written, note = _write_out(store, summary, out_path, ported)
    if as_json:
        data = summary.model_dump(mode="json", exclude={"answer": {"source"}, "best_correct": {"source"}})
        print(json.dumps({**data, "message": summary.message, "out": str(out_path) if written else None,
                          "shipped": shipped or None,
                          "kernel_id": summary.answer.candidate_id if summary.answer else None,
                          "next": [line.strip() for line in next_commands(summary)[1:]]}))
        return
    out.print(summary_table(summary))
    for line in next_commands(summary):
        out.print(line, highlight=False, markup=False)
    for line in (note, shipped):
        if line:  # `shipped` may quote an export error about the candidate's code
            out.print(untrusted(line))
