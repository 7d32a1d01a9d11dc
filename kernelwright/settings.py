"""User settings, read from the environment (`KERNELWRIGHT_*`)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """`KERNELWRIGHT_DB_URL` picks the store (SQLite under the user data dir when unset)."""

    model_config = SettingsConfigDict(env_prefix="KERNELWRIGHT_", extra="ignore")

    db_url: str | None = None
    platform: str = "cpu"
