"""`kernelwright optimize`: turn a PyTorch operator into the fastest kernel the evaluator can verify."""

from __future__ import annotations

import asyncio
import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from agent.cluster import Cluster, ClusterConfig
from agent.providers import Provider, ProviderConfig, ProviderError, get_provider
from agent.runner import OptimizeConfig, Optimizer, load_config_task
from agent.search import SearchConfig
from agent.summary import RunSummary
from db import Store
from evaluator import EvalOptions
from evaluator.platforms import available_platforms
from kernelwright.commands import options as opt
from kernelwright.console import err, out
from kernelwright.console import fail as _fail
from kernelwright.settings import Settings
from kernelwright.views.optimize_live import OptimizeLive
from kernelwright.views.run_summary import summary_table
from tasks.errors import TaskLoadError
from tasks.model import Task
from tasks.registry import resolve_task


def _new_config(op: str, platform: str, provider: ProviderConfig, search: SearchConfig,
                options: EvalOptions) -> OptimizeConfig:
    task = resolve_task(op)
    origin = task.path or op
    return OptimizeConfig(task_source=task.source, task_origin=origin, task_id=task.id, platform=platform,
                          provider=provider, search=search, eval=options)


def _write_out(summary: RunSummary, out_path: Path | None) -> str:
    if out_path is None:
        return ""
    if summary.answer is None:
        return f"nothing written to {out_path}: no verified speedup"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(summary.answer.source, encoding="utf-8")
    return f"best kernel written to {out_path}"


def optimize_cmd(
    op: Annotated[str | None, typer.Argument(help="a KernelBench-format operator file (or a suite id)")] = None,
    platform: opt.Platform = "cpu",
    provider: opt.ProviderName = "openai",
    model: opt.Model = "gpt-4o-mini",
    base_url: opt.BaseUrl = None,
    api_key_env: opt.ApiKeyEnv = "OPENAI_API_KEY",
    temperature: opt.Temperature = 0.7,
    max_tokens: opt.MaxTokens = 8192,
    stream: opt.Stream = False,
    price_in: opt.PriceIn = 0.0,
    price_out: opt.PriceOut = 0.0,
    trajectories: Annotated[int, typer.Option(help="parallel trajectories")] = 2,
    turns: Annotated[int, typer.Option(help="refinement turns per trajectory")] = 4,
    patience: opt.Patience = 2,
    max_failures: opt.MaxFailures = 3,
    out_file: Annotated[Path | None, typer.Option("--out", help="write the best verified kernel here")] = None,
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
    as_json: Annotated[bool, typer.Option("--json", help="no live view; print the summary as JSON")] = False,
    db_url: opt.DbUrl = None,
) -> None:
    """Search for a faster kernel for OP: N trajectories x T turns, each candidate verified and timed."""
    if (op is None) == (resume is None):
        raise _fail("give an operator file, or --resume RUN_ID (not both)", as_json)
    store = Store(db_url or Settings().db_url)
    try:
        if resume is not None:
            run = store.get_run(resume)
            if run is None or "optimize" not in (run.config or {}):
                raise _fail(f"no optimize run {resume!r} in the store (see `kernelwright runs list`)", as_json)
            config = OptimizeConfig.model_validate(run.config["optimize"])  # type: ignore[index]
            if base_url is not None:  # the endpoint may have moved since the run started
                config.provider.base_url = base_url
        else:
            if platform not in available_platforms():
                raise _fail(f"unknown platform {platform!r}; available: {', '.join(available_platforms())}",
                            as_json)
            provider_cfg = opt.provider_config(provider, model, base_url, api_key_env, temperature, max_tokens,
                                               stream, price_in, price_out)
            search = SearchConfig(trajectories=trajectories, turns=turns, patience=patience,
                                  max_failures=max_failures, seed=seed)
            options = opt.eval_options(allow_torch, threads, trials, timeout)
            config = _new_config(op, platform, provider_cfg, search, options)  # type: ignore[arg-type]
        task = load_config_task(config)
    except TaskLoadError as exc:
        raise _fail(str(exc), as_json) from exc
    try:
        llm = get_provider(config.provider)
    except ProviderError as exc:
        raise _fail(str(exc), as_json) from exc
    summary = _run(store, llm, config, task, resume, ClusterConfig(address=ray_address, workers=workers), as_json)
    note = _write_out(summary, out_file)
    if as_json:
        data = summary.model_dump(mode="json", exclude={"answer": {"source"}, "best_correct": {"source"}})
        print(json.dumps({**data, "message": summary.message, "out": str(out_file) if note.startswith("best")
                          else None}))
        return
    out.print(summary_table(summary))
    if note:
        out.print(note, highlight=False)


def _run(store: Store, llm: Provider, config: OptimizeConfig, task: Task, resume: str | None,
         cluster_cfg: ClusterConfig, as_json: bool) -> RunSummary:
    """Check the provider, start Ray, run the search under the live view; always shut the actors down."""
    try:
        asyncio.run(llm.check())
    except ProviderError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc
    cluster = Cluster(cluster_cfg, config.platform)
    if not as_json:
        err.print(f"optimizing {task.id} on {config.platform} with {llm.label}", highlight=False)
    with err.status("starting Ray and evaluators…") if not as_json else nullcontext():
        cluster.start()
    view = None if as_json else OptimizeLive(err, f"{task.id} · {config.platform} · {cluster.describe()}",
                                             config.search.trajectories, config.search.turns)
    optimizer = Optimizer(store, llm, cluster, config, task, on_event=view, resume_run_id=resume)
    try:
        with view if view is not None else nullcontext():
            return optimizer.run()
    except KeyboardInterrupt:
        err.print(f"\n[yellow]interrupted[/]; resume with: kernelwright optimize --resume {optimizer.run_id}")
        raise typer.Exit(code=130) from None
    except ProviderError as exc:
        err.print(f"[bold red]error:[/] {exc}\nresume with: kernelwright optimize --resume {optimizer.run_id}",
                  highlight=False)
        raise typer.Exit(code=1) from exc
    finally:
        cluster.shutdown()
