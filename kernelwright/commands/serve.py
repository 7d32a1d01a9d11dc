"""`kernelwright serve`: the HTTP API and web pages, with optimize jobs running on Ray."""

from __future__ import annotations

from typing import Annotated

import typer

from kernelwright.commands import options as opt
from kernelwright.config.files import ConfigError
from kernelwright.config.options import ConfigPath, command_config
from kernelwright.console import err
from kernelwright.console import fail as _fail
from kernelwright.evaluator.platforms import platform_error
from kernelwright.settings import ServeSettings, Settings

KEYS = {"host": "host", "port": "port", "platform": "platform", "providers": "providers", "model": "model",
        "base_url": "base_url", "max_running_jobs": "max_running_jobs", "workers": "workers",
        "ray_address": "ray_address"}


def serve_cmd(
    ctx: typer.Context,
    config_file: ConfigPath = None,
    host: Annotated[str | None, typer.Option(help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")]
    = None,
    port: Annotated[int | None, typer.Option(help="port (default 8000)")] = None,
    platform: Annotated[str | None, typer.Option(help="platform jobs are evaluated on (default cpu)")] = None,
    providers: Annotated[list[str] | None, typer.Option("--provider", help="a provider submitters may pick "
                                                        "(repeatable; default: examples and openai)")] = None,
    model: Annotated[str | None, typer.Option(help="model for `openai` jobs that name none")] = None,
    base_url: opt.BaseUrl = None,
    private: Annotated[bool, typer.Option("--private", help="pages and GET endpoints need a token too")] = False,
    max_running_jobs: Annotated[int | None, typer.Option(help="jobs searching at once (default 2)")] = None,
    workers: opt.Workers = None,
    ray_address: opt.RayAddress = None,
    db_url: opt.DbUrl = None,
) -> None:
    """Serve the API (/v1, docs at /docs) and the web pages (/) until Ctrl-C; jobs left running resume on the
    next start. Settings come from options, then a --config file, then KERNELWRIGHT_SERVE_* variables."""
    import uvicorn

    from kernelwright.server.app import create_app

    try:
        # Values neither given nor in the file come from KERNELWRIGHT_SERVE_* (ServeSettings reads them).
        settings = command_config(ctx, ServeSettings, KEYS, config_file, defaults=False)
    except ConfigError as exc:
        raise _fail(str(exc)) from exc
    if private:
        settings.public_read = False
    if (problem := platform_error(settings.platform)) is not None:
        raise _fail(problem)
    err.print(f"Kernelwright service on http://{settings.host}:{settings.port}  (API docs at /docs; "
              f"{'private' if not settings.public_read else 'public'} reads; jobs on {settings.platform}; "
              "Ctrl-C stops it)", highlight=False)
    app = create_app(settings, db_url or Settings().db_url)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", access_log=False,
                timeout_graceful_shutdown=10)
