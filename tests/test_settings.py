"""Settings are the one door to the environment: every KERNELWRIGHT_* variable the code reads is declared
there with its help, and `kernelwright info` shows them with secrets masked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kernelwright.cli import app
from kernelwright.settings import Settings, env_variables

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOMS = ("agent", "db", "evaluator", "kernelwright", "rl", "tasks")


def variables_in_source() -> set[str]:
    found: set[str] = set()
    for room in SOURCE_ROOMS:
        for path in (ROOT / room).rglob("*.py"):
            if "suite" in path.parts:
                continue
            found |= set(re.findall(r"KERNELWRIGHT_[A-Z][A-Z_]*[A-Z]", path.read_text(encoding="utf-8")))
    return found


def test_every_variable_read_anywhere_is_a_declared_setting() -> None:
    declared = set(env_variables())
    # The service's variables are read through the KERNELWRIGHT_SERVE_ prefix of its settings model.
    undeclared = {name for name in variables_in_source() - declared if name != "KERNELWRIGHT_SERVE"}
    assert undeclared == set(), f"declare these in kernelwright/settings.py: {sorted(undeclared)}"
    assert all(help_text for help_text in env_variables().values())


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("KERNELWRIGHT_SERVE_PORT", "9001")
    settings = Settings()
    assert settings.cache_dir == tmp_path and settings.serve.port == 9001


def test_info_masks_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KERNELWRIGHT_DB_URL", "postgresql+psycopg://kw:hunter2@db.example/kw")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    result = CliRunner().invoke(app, ["info", "--json"])
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output and "sk-very-secret" not in result.output
    report = json.loads(result.output)
    assert report["where"]["store"] == "postgresql+psycopg://kw:***@db.example/kw"
    assert report["settings"]["KERNELWRIGHT_DB_URL"].endswith("(env)")
    assert report["settings"]["OPENAI_API_KEY"] == "**** (set)"
    assert "cpu" in report["platforms"] and report["versions"]["kernelwright"]


def test_info_shows_the_build_cache_limit_and_use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KERNELWRIGHT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("KERNELWRIGHT_BUILD_CACHE_MB", "300")
    module = tmp_path / "cpp" / "toolchain" / "ext" / "k_123" / "k_123.so"
    module.parent.mkdir(parents=True)
    module.write_bytes(b"\0" * 3 * 2**20)
    result = CliRunner().invoke(app, ["info", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["settings"]["KERNELWRIGHT_BUILD_CACHE_MB"] == "300 (env)"
    assert report["where"]["built kernels in the cache"].startswith("3 MiB of 300 MiB")


def test_the_store_url_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db = tmp_path / "from-env.db"
    monkeypatch.setenv("KERNELWRIGHT_DB_URL", f"sqlite:///{db}")
    result = CliRunner().invoke(app, ["runs", "list"])
    assert result.exit_code == 0, result.output
    assert db.is_file()
