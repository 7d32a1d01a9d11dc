"""Settings: the one door to the environment. Every `KERNELWRIGHT_*` variable is a field here, with its help.

The CLI and the service read them here and pass the values down. Two rooms below cannot import this module
(DESIGN.md: `tasks/` and `evaluator/` import neither `db` nor `kernelwright`) and run in other processes (Ray
actors, sandboxed children) that inherit the environment, so they read their own variables where they use
them; the names they read are declared here, and a test keeps the two lists equal.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServeSettings(BaseSettings):
    """`kernelwright serve`, from `KERNELWRIGHT_SERVE_*` (a `--config` file and command-line options override)."""

    model_config = SettingsConfigDict(env_prefix="KERNELWRIGHT_SERVE_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="address to listen on (0.0.0.0 for all)")
    port: int = Field(default=8000, ge=1, le=65535, description="port to listen on")
    public_read: bool = Field(default=True, description="pages and GET endpoints need no token")
    rate_per_minute: int = Field(default=60, ge=1, description="requests per minute per token (tokens may "
                                 "carry their own)")
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, description="largest request body accepted")
    max_running_jobs: int = Field(default=2, ge=1, description="jobs searching at once; the rest wait in line")
    max_queued_per_token: int = Field(default=4, ge=1, description="unfinished jobs one token may have")
    max_trajectories: int = Field(default=8, ge=1, description="most trajectories a job may ask for")
    max_turns: int = Field(default=8, ge=1, description="most turns per trajectory a job may ask for")
    providers: list[str] = Field(default=["examples", "openai"], description="providers a submitter may pick")
    model: str = Field(default="gpt-4o-mini", description="model for `openai` jobs that name none")
    base_url: str | None = Field(default=None, description="endpoint for `openai` jobs (never set by a "
                                 "submitter)")
    api_key_env: str = Field(default="OPENAI_API_KEY", description="environment variable holding the API key")
    platform: str = Field(default="cpu", description="platform jobs are evaluated on")
    workers: int | None = Field(default=None, ge=1, description="evaluator actors in all (default: per node, one "
                                "per two of its CPUs, or one per GPU on GPU platforms)")
    ray_address: str | None = Field(default=None, description="join this Ray cluster (default: start one)")


class Settings(BaseSettings):
    """Everything Kernelwright reads from the environment."""

    model_config = SettingsConfigDict(env_prefix="KERNELWRIGHT_", extra="ignore")

    db_url: str | None = Field(default=None, description="the store (e.g. postgresql+psycopg://user@host/db); "
                               "default: SQLite kernelwright.db in the user data folder")
    home: Path | None = Field(default=None, description="where `tasks import` keeps its registry and `models "
                              "prepare` its base models; default: the user data folder (read by tasks/env.py)")
    cache_dir: Path | None = Field(default=None, description="kernel build cache and task probe cache; default: "
                                   "the user cache folder (read by the evaluator and tasks/loader.py)")
    build_cache_mb: int = Field(default=2048, ge=1, description="built kernels kept in the cache, in MiB at most; "
                                "the least recently used are removed past it (read by evaluator/build/cache.py)")
    cuda_arch: str | None = Field(default=None, description="CUDA architecture for compile-only checks "
                                  "without a GPU, e.g. 9.0 (default 9.0; read by the cuda platform)")
    probe_timeout: float = Field(default=120.0, gt=0, description="seconds a task file may take to import and "
                                 "run once when it is loaded (read by tasks/loader.py)")
    serve: ServeSettings = Field(default_factory=ServeSettings, description="`kernelwright serve` "
                                 "(KERNELWRIGHT_SERVE_*)")


def env_variables() -> dict[str, str]:
    """`{ENV_NAME: help}` of every variable the settings read, the service's included."""
    names = {f"KERNELWRIGHT_{name.upper()}": field.description or ""
             for name, field in Settings.model_fields.items() if name != "serve"}
    names.update({f"KERNELWRIGHT_SERVE_{name.upper()}": field.description or ""
                  for name, field in ServeSettings.model_fields.items()})
    return names
