"""`kernelwright db` and `kernelwright tokens` through the real CLI app, on SQLite files and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import make_url
from typer.testing import CliRunner, Result

from kernelwright.cli import app
from kernelwright.db import Store
from kernelwright.db.engine import head_revision

PASSWORD = "pw-s3cret-never-printed"


def invoke(*args: str, db_url: str | None = None, exit_code: int = 0) -> Result:
    """Run the CLI in-process; `db_url` goes in through $KERNELWRIGHT_DB_URL, as a deployment sets it."""
    env = {"KERNELWRIGHT_DB_URL": db_url} if db_url is not None else None
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == exit_code, result.stdout + result.stderr
    return result


def test_db_current_and_upgrade_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'kw.db'}"
    head = head_revision()

    current = invoke("db", "current", "--db-url", url).stdout
    assert "current: none (empty database)" in current and f"head: {head}" in current

    partial = invoke("db", "upgrade", "--revision", "0003", "--db-url", url)
    assert "schema: none (empty database) -> 0003" in partial.stdout
    assert "current: 0003" in invoke("db", "current", "--db-url", url).stdout
    with pytest.raises(RuntimeError, match="run `kernelwright db upgrade`"):
        Store(url, migrate=False)

    assert f"schema: 0003 -> {head}" in invoke("db", "upgrade", "--db-url", url).stdout
    assert f"already at {head}" in invoke("db", "upgrade", "--db-url", url).stdout
    assert f"current: {head}" in invoke("db", "current", db_url=url).stdout
    with Store(url, migrate=False) as store:
        assert store.schema_revision() == head


def test_db_errors_exit_nonzero(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    bad_revision = invoke("db", "upgrade", "--revision", "nope", "--db-url", url, exit_code=2)
    assert "Can't locate revision identified by 'nope'" in bad_revision.stderr
    assert "not a database URL" in invoke("db", "current", "--db-url", "not a url", exit_code=2).stderr


@pytest.mark.postgres
def test_db_upgrade_on_postgres_never_prints_the_password(postgres_url: str) -> None:
    # The test server trusts every local connection, so a URL with a password connects all the same.
    url = make_url(postgres_url).set(password=PASSWORD).render_as_string(hide_password=False)

    upgraded = invoke("db", "upgrade", "--db-url", url)
    assert f"schema: none (empty database) -> {head_revision()}" in upgraded.stdout
    assert "***" in upgraded.stdout
    current = invoke("db", "current", "--db-url", url)
    assert f"current: {head_revision()}" in current.stdout
    unreachable = invoke("db", "current", "--db-url", url.replace(f":{make_url(url).port}/", ":1/"), exit_code=1)
    assert "connection" in unreachable.stderr
    for result in (upgraded, current, unreachable):
        assert PASSWORD not in result.stdout + result.stderr


def test_tokens_create_list_revoke(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kw.db'}"

    created = invoke("tokens", "create", "alice", "--rate-per-minute", "30", db_url=url)
    secret = created.stdout.strip()
    assert created.stdout == secret + "\n" and secret.startswith("kw_")
    assert "shown only now" in created.stderr and secret not in created.stderr
    invoke("tokens", "create", "bob", db_url=url)
    with Store(url) as store:
        token = store.verify_api_token(secret)
        assert token is not None and token.name == "alice" and token.rate_per_minute == 30

    duplicate = invoke("tokens", "create", "alice", db_url=url, exit_code=1)
    assert "already exists" in duplicate.stderr and duplicate.stdout == ""
    assert invoke("tokens", "create", "carol", "--rate-per-minute", "0", db_url=url, exit_code=2).stdout == ""

    table = invoke("tokens", "list", db_url=url).stdout
    assert "alice" in table and "bob" in table and f"{secret[:10]}…" in table and "default" in table
    assert secret not in table
    listed = json.loads(invoke("tokens", "list", "--json", db_url=url).stdout)
    assert [t["name"] for t in listed] == ["bob", "alice"]
    assert listed[1]["prefix"] == secret[:10] and listed[1]["rate_per_minute"] == 30
    assert listed[1]["last_used_at"] is not None and listed[1]["revoked_at"] is None

    assert "revoked token 'alice'" in invoke("tokens", "revoke", "alice", db_url=url).stdout
    again = invoke("tokens", "revoke", "alice", db_url=url, exit_code=1)
    assert "no live API token named 'alice'" in again.stderr
    invoke("tokens", "revoke", "nobody", db_url=url, exit_code=1)
    listed = {t["name"]: t for t in json.loads(invoke("tokens", "list", "--json", db_url=url).stdout)}
    assert listed["alice"]["revoked_at"] is not None and listed["bob"]["revoked_at"] is None
    with Store(url) as store:
        assert store.verify_api_token(secret) is None


def test_a_script_captures_the_secret_from_stdout(tmp_path: Path) -> None:
    # What `TOKEN=$(kernelwright tokens create ci)` sees: the real entry point, stdout and stderr apart.
    url = f"sqlite:///{tmp_path / 'kw.db'}"
    proc = subprocess.run([sys.executable, "-m", "kernelwright.cli", "tokens", "create", "ci"], capture_output=True,
                          text=True, env=dict(os.environ, KERNELWRIGHT_DB_URL=url), timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kw_")
    with Store(url) as store:
        assert store.verify_api_token(lines[0]) is not None
