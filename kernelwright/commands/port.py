"""`kernelwright port`: an optimize run on the target platform that starts from a kernel written for another."""

from __future__ import annotations

from typing import Annotated

import typer

from kernelwright.agent.starting import is_kernel_id
from kernelwright.commands import options as opt
from kernelwright.commands.optimize import KEYS, run_search
from kernelwright.config.options import ConfigPath
from kernelwright.console import fail
from kernelwright.db import Store
from kernelwright.settings import Settings

# optimize's keys, with the kernel as the starting point, `--to` as the platform and `--task` as the task.
PORT_KEYS = {**{name: key for name, key in KEYS.items() if name not in ("op", "platform", "from_kernel")},
             "kernel": "from_kernel", "to": "platform", "task": "task"}


def port_cmd(
    ctx: typer.Context,
    kernel: Annotated[str, typer.Argument(help="a stored kernel id (`kernelwright kernels list`) or a solution "
                                          "file written for another platform")],
    to: Annotated[str, typer.Option("--to", help="the platform to port it to (`kernelwright info` lists them)")],
    task: Annotated[str | None, typer.Option("--task", help="the task the kernel solves, an operator file or a suite "
                                             "id: needed for a file (a kernel id knows its task)")] = None,
    from_platform: opt.FromPlatform = None,
    config_file: ConfigPath = None,
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
    patience: opt.Patience = 2,
    max_failures: opt.MaxFailures = 3,
    out_file: opt.OutFile = None,
    sweep: opt.SweepAnswer = False,
    export_dir: opt.ExportDir = None,
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
    """Port KERNEL to another platform: an optimize run on --to whose prompts start from KERNEL's source, each
    candidate verified and timed there. --out gets the fastest correct port (verified faster or not); resume a
    stopped port with `kernelwright optimize --resume RUN_ID`."""
    if task is None and config_file is None and not is_kernel_id(kernel):
        raise fail(f"give --task TASK: the task {kernel} solves (a stored kernel id knows its own)", as_json)
    run_search(ctx, Store(db_url or Settings().db_url), PORT_KEYS, config_file, as_json, port=True)
