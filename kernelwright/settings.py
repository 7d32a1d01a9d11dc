"""User settings, read from the environment (`KERNELWRIGHT_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """`KERNELWRIGHT_DB_URL` picks the store (SQLite under the user data dir when unset)."""

    model_config = SettingsConfigDict(env_prefix="KERNELWRIGHT_", extra="ignore")

    db_url: str | None = None
    platform: str = "cpu"


class ServeSettings(BaseSettings):
    """`kernelwright serve`, read from `KERNELWRIGHT_SERVE_*` (command-line options override them)."""

    model_config = SettingsConfigDict(env_prefix="KERNELWRIGHT_SERVE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    public_read: bool = Field(default=True, description="pages and GET endpoints need no token")
    rate_per_minute: int = Field(default=60, ge=1, description="requests per minute per token (tokens may "
                                 "carry their own)")
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, description="largest request body accepted")
    max_running_jobs: int = Field(default=2, ge=1, description="jobs searching at once; the rest wait in line")
    max_queued_per_token: int = Field(default=4, ge=1, description="unfinished jobs one token may have")
    max_trajectories: int = Field(default=8, ge=1)
    max_turns: int = Field(default=8, ge=1)
    providers: list[str] = Field(default=["examples", "openai"], description="providers a submitter may pick")
    model: str = Field(default="gpt-4o-mini", description="model for `openai` jobs that name none")
    base_url: str | None = Field(default=None, description="endpoint for `openai` jobs (never set by a "
                                 "submitter)")
    api_key_env: str = "OPENAI_API_KEY"
    platform: str = "cpu"
    workers: int | None = None
    ray_address: str | None = None
