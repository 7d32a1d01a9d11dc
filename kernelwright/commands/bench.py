"""`kernelwright bench`: run a model or agent config over a task suite, as one stored, resumable run (with
`--port-from`, two: the port track and a run from scratch over the same tasks, set side by side)."""

from __future__ import annotations

import json
from contextlib import nullcontext
from typing import Annotated

import typer

from kernelwright.agent.bench.config import BenchConfig, BenchTask, Split, Suite, describe_selection, select_tasks
from kernelwright.agent.bench.metrics import RunMetrics, run_metrics
from kernelwright.agent.bench.porting import PortComparison, PortTrack, TrackNumbers, port_track
from kernelwright.agent.bench.runner import BenchRunner
from kernelwright.agent.driver import Driver, RunStopped, Unanswerable
from kernelwright.agent.evaluators import ClusterConfig, EvaluatorPool
from kernelwright.agent.providers import ProviderError, get_provider
from kernelwright.agent.starting import StartError
from kernelwright.commands import options as opt
from kernelwright.config.commands import BenchCommand
from kernelwright.config.files import ConfigError
from kernelwright.config.options import ConfigPath, command_config
from kernelwright.console import err, error, layout_width, out, print_wide, warn
from kernelwright.console import fail as _fail
from kernelwright.db import Store
from kernelwright.evaluator.platforms import platform_error
from kernelwright.evaluator.result import ToleranceMode
from kernelwright.settings import Settings
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.loader import load_task_source
from kernelwright.tasks.model import Category, Task
from kernelwright.views.bench_progress import BenchProgress
from kernelwright.views.leaderboard import Format, render, title
from kernelwright.views.safe_text import untrusted


def _resume_tasks(store: Store, config: BenchConfig) -> list[Task]:
    """The run's tasks as stored when it started; a task whose source changed since cannot be resumed."""
    tasks = []
    for bench_task in config.tasks:
        row = store.get_task(bench_task.id)
        if row is None or row.source_hash != bench_task.source_hash:
            raise TaskLoadError(bench_task.id, "the task changed since the run started; start a new bench run")
        task = load_task_source(row.source, bench_task.origin, task_id=row.id)
        tasks.append(task.model_copy(update={"category": Category(row.category), "level": row.level,
                                             "held_out": row.held_out}))
    return tasks


KEYS = {**opt.RUN_KEYS, "suite": "suite", "tasks_glob": "tasks", "category": "category", "level": "level",
        "split": "split", "samples": "search.trajectories", "turns": "search.turns", "concurrency": "concurrency",
        "compile_baseline": "eval.compile_baseline", "port_from": "port_from"}


def _config(command: BenchCommand, tasks: list[Task], port: PortTrack | None = None) -> BenchConfig:
    """A bench run's stored configuration over `tasks`; with `port`, the port track's (each task's start)."""
    port_from = command.port_from if port is not None else None
    starts = port.starts if port is not None else {}
    return BenchConfig(
        selection=describe_selection(command.suite, command.tasks, command.split, command.category, command.level,
                                     port_from),
        suite=command.suite, patterns=command.tasks, category=command.category, level=command.level,
        split=command.split, tasks=[BenchTask(id=t.id, origin=t.path or t.id, source_hash=t.source_hash,
                                              start=starts.get(t.id)) for t in tasks],
        platform=command.platform, port_from=port_from, provider=command.provider, search=command.search,
        eval=command.eval, concurrency=command.concurrency)


def _selected(command: BenchCommand) -> list[Task]:
    tasks = select_tasks(command.suite, command.tasks, command.split, command.category, command.level)
    if not tasks:
        raise TaskLoadError("bench", "no task matches the selection (see `kernelwright tasks list`)")
    return tasks


def new_config(command: BenchCommand) -> tuple[BenchConfig, list[Task]]:
    """The stored configuration of a new bench run, with the tasks its selection covers now."""
    tasks = _selected(command)
    return _config(command, tasks), tasks


def port_configs(command: BenchCommand, source: str) -> tuple[BenchConfig, BenchConfig, PortTrack]:
    """The port track's run and the from-scratch run beside it, over the selected tasks with a `source` kernel."""
    track = port_track(_selected(command), source)
    if not track.tasks:
        raise TaskLoadError("bench", f"no selected task has a {source} kernel to port from (a suite example "
                            f"solution for {source}, or an imported HPCTransEval pair)")
    return _config(command, track.tasks, track), _config(command, track.tasks), track


def bench_cmd(
    ctx: typer.Context,
    config_file: ConfigPath = None,
    suite: Annotated[Suite | None, typer.Option(help="named task set (default builtin when no --tasks)")] = None,
    tasks_glob: Annotated[list[str] | None, typer.Option("--tasks", help="task id glob, e.g. 'pooling/*' "
                                                         "(repeatable)")] = None,
    category: opt.Category = None,
    level: opt.Level = None,
    split: Annotated[Split, typer.Option(help="all, public (held-out excluded) or held-out")] = Split.all,
    platform: opt.Platform = "cpu",
    port_from: Annotated[str | None, typer.Option("--port-from", help="the port track: the selected tasks with a "
                                                  "kernel on this platform start from it (a second run over the "
                                                  "same tasks writes from scratch, for comparison)")] = None,
    provider: opt.ProviderName = "openai",
    model: opt.Model = "gpt-4o-mini",
    base_url: opt.BaseUrl = None,
    api_key_env: opt.ApiKeyEnv = "OPENAI_API_KEY",
    temperature: opt.Temperature = 0.7,
    max_tokens: opt.MaxTokens = 8192,
    stream: opt.Stream = False,
    price_in: opt.PriceIn = 0.0,
    price_out: opt.PriceOut = 0.0,
    samples: Annotated[int, typer.Option(help="independent samples (trajectories) per task, for pass@k")] = 1,
    turns: Annotated[int, typer.Option(help="refinement turns per sample")] = 1,
    strategy: opt.Strategy = "parallel",
    patience: opt.Patience = 2,
    max_failures: opt.MaxFailures = 3,
    concurrency: Annotated[int, typer.Option(help="samples in flight at once, over all tasks (and tasks started at "
                                                 "once)")] = 8,
    compile_baseline: Annotated[bool, typer.Option(help="also time torch.compile per task (once per task "
                                                   "version and machine)")] = True,
    resume: Annotated[str | None, typer.Option(help="continue a stopped bench run by id (its stored config is "
                                               "used; only --base-url and the Ray options apply)")] = None,
    workers: opt.Workers = None,
    ray_address: opt.RayAddress = None,
    allow_torch: opt.AllowTorch = False,
    threads: opt.Threads = None,
    trials: opt.Trials = 3,
    timeout: opt.Timeout = 300.0,
    tolerance: opt.ToleranceOpt = ToleranceMode.task,
    seed: opt.Seed = 0,
    as_json: Annotated[bool, opt.json_flag("no progress bars; print the run's metrics as JSON")]
    = False,
    db_url: opt.DbUrl = None,
) -> None:
    """Run every selected task (K samples x T turns each) and its baselines; prints the run's leaderboard row.
    With --port-from, the tasks with a kernel on that platform start from it, then run again from scratch."""
    if resume is not None and config_file is not None:
        raise _fail("--resume RUN_ID continues a stored run: give no --config with it", as_json)
    cluster_cfg = ClusterConfig(address=ray_address, workers=workers)
    store = Store(db_url or Settings().db_url)
    scratch: BenchConfig | None = None
    track: PortTrack | None = None
    try:
        if resume is not None:
            run = store.get_run(resume)
            if run is None or "bench" not in (run.config or {}):
                raise _fail(f"no bench run {resume!r} in the store (see `kernelwright leaderboard`)", as_json)
            config = BenchConfig.model_validate((run.config or {})["bench"])
            if base_url is not None:
                config.provider.base_url = base_url
            tasks = _resume_tasks(store, config)
        else:
            try:
                command = command_config(ctx, BenchCommand, KEYS, config_file)
            except ConfigError as exc:
                raise _fail(str(exc), as_json) from exc
            if (problem := platform_error(command.platform)) is not None:
                raise _fail(problem, as_json)
            cluster_cfg = command.cluster
            if command.port_from is not None:
                if (problem := platform_error(command.port_from)) is not None:
                    raise _fail(problem, as_json)
                if command.port_from == command.platform:
                    raise _fail(f"--port-from {command.port_from} is the target platform itself: a port goes to "
                                "another (--platform)", as_json)
                config, scratch, track = port_configs(command, command.port_from)
                tasks = track.tasks
            else:
                config, tasks = new_config(command)
        llm = get_provider(config.provider)
    except (TaskLoadError, ProviderError, StartError) as exc:
        raise _fail(str(exc), as_json) from exc
    run_id = _run(store, BenchRunner(store, llm, EvaluatorPool(cluster_cfg, config.platform), config, tasks,
                                     resume_run_id=resume), as_json)
    metrics = run_metrics(store, run_id, config.split)
    if scratch is not None and track is not None:
        if not as_json:
            err.print(f"from scratch: the same {len(tasks)} tasks without a starting kernel", highlight=False)
        scratch_id = _run(store, BenchRunner(store, get_provider(scratch.provider),
                                             EvaluatorPool(cluster_cfg, scratch.platform), scratch, tasks), as_json)
        _print_comparison(metrics, run_metrics(store, scratch_id, scratch.split), track, as_json)
        return
    if as_json:
        print(json.dumps(metrics.model_dump(mode="json", exclude={"tasks"})))
        return
    print_wide(render([metrics], Format.table, title(config.split.label, config.platform, None), None,
                      layout_width()))
    out.print(f"report: kernelwright report {run_id} --out report/{run_id}    "
              f"leaderboard: kernelwright leaderboard --platform {config.platform}", highlight=False)


def _print_comparison(ported: RunMetrics, scratch: RunMetrics, track: PortTrack, as_json: bool) -> None:
    """The port track's run and the from-scratch run: both leaderboard rows, then the two side by side."""
    comparison = PortComparison(port_from=track.source, platform=ported.platform,
                                ported=TrackNumbers.of(ported), from_scratch=TrackNumbers.of(scratch),
                                left_out=track.left_out)
    if as_json:
        print(json.dumps({"comparison": comparison.model_dump(mode="json"),
                          "ported": ported.model_dump(mode="json", exclude={"tasks"}),
                          "from_scratch": scratch.model_dump(mode="json", exclude={"tasks"})}))
        return
    print_wide(render([ported, scratch], Format.table, title(ported.split.label, ported.platform, None), None,
                      layout_width()))
    for line in comparison.lines():
        out.print(untrusted(line), highlight=False)


def _run(store: Store, runner: BenchRunner, as_json: bool) -> str:
    """Run the bench through the driver under the progress view; say how to resume when it stops early."""
    config, tasks = runner.config, runner.tasks
    view = None if as_json else BenchProgress(err, len(tasks), config.samples, config.search.turns)
    runner.on_event = view or runner.on_event
    driver = Driver(runner.cluster,
                    starting=nullcontext if as_json else lambda: err.status("starting Ray and evaluators…"),
                    running=nullcontext if view is None else lambda: view,
                    note=lambda text: None if as_json else warn(text))
    if not as_json:
        err.print(untrusted(f"bench: {len(tasks)} tasks ({config.selection}) on {config.platform} with "
                            f"{runner.provider.label}"), soft_wrap=True)
    try:
        return driver.run(runner)
    except Unanswerable as exc:
        raise _fail(str(exc), as_json) from exc
    except ProviderError as exc:  # the endpoint's own words: shown as text, never markup
        error(exc)
        raise typer.Exit(code=1) from exc
    except RunStopped as exc:
        if exc.interrupted:
            err.print(f"\n[yellow]interrupted[/]; resume with: kernelwright bench --resume {exc.run_id}")
            raise typer.Exit(code=130) from None
        error(f"{exc.cause}\nresume with: kernelwright bench --resume {exc.run_id}")
        raise typer.Exit(code=1) from exc
