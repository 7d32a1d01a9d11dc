"""Fixtures for the store tests: every test runs on SQLite and on a throwaway PostgreSQL server.

The PostgreSQL server is one per test session (initdb + pg_ctl into a temporary folder, TCP on a free
port of 127.0.0.1, fsync off); each test gets an emptied database in it. Without the PostgreSQL server
binaries the postgres variants are skipped.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from db import Store

PG_SUPERUSER = "kw"
TEST_DATABASE = "kwtest"


def _pg_bindir() -> Path | None:
    """Folder of initdb/pg_ctl: `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout
            candidates.append(Path(out.strip()))
        except (OSError, subprocess.CalledProcessError):
            pass
    # Debian/Ubuntu keep the server binaries off PATH; a numeric sort picks the newest major version.
    versioned = glob.glob("/usr/lib/postgresql/*/bin")
    versioned.sort(
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0, reverse=True
    )
    candidates.extend(Path(p) for p in versioned)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    """A running throwaway PostgreSQL cluster."""

    port: int
    root: Path

    def admin_url(self, database: str = "postgres") -> str:
        """A psycopg connection string for the superuser."""
        return f"postgresql://{PG_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def fresh_database(self) -> str:
        """Empty the test database and return its SQLAlchemy URL.

        Dropping and recreating the `public` schema gives each test an empty database in ~20 ms, where
        CREATE DATABASE takes ~250 ms (it copies template1).
        """
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TEST_DATABASE,)).fetchone()
            if exists is None:
                conn.execute(f'CREATE DATABASE "{TEST_DATABASE}"')
        with psycopg.connect(self.admin_url(TEST_DATABASE), autocommit=True) as conn:
            # Fail instead of hanging if an earlier test left a connection holding locks.
            conn.execute("SET lock_timeout = '10s'")
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        return f"postgresql+psycopg://{PG_SUPERUSER}@127.0.0.1:{self.port}/{TEST_DATABASE}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start a PostgreSQL server for the session and stop it (immediate mode) afterwards."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (no pg_config, no /usr/lib/postgresql/*/bin)")

    # initdb refuses to run as root: run the server commands as the 'postgres' system user instead.
    prefix: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root and runuser is missing, so PostgreSQL cannot drop privileges")
        prefix = [runuser, "-u", "postgres", "--"]

    # Directly under /tmp (not pytest's tmp_path, whose 0700 parents the postgres user cannot enter),
    # and short, because the Unix socket path has a ~100-character limit.
    root = Path(tempfile.mkdtemp(prefix="kwpg-"))
    data, log = root / "data", root / "server.log"
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, text=True)

    port = _free_port()
    started = False
    try:
        run(
            str(bindir / "initdb"), "-D", str(data), "-U", PG_SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        options = f"-k {root} -c listen_addresses=127.0.0.1 -p {port} -F"
        run(str(bindir / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(data), "-l", str(log), "-o", options)
        started = True
        server = PostgresServer(port=port, root=root)
        _wait_until_ready(server)
        yield server
    except subprocess.CalledProcessError as exc:
        server_log = log.read_text(errors="replace") if log.exists() else ""
        pytest.fail(f"could not start PostgreSQL: {exc.stderr}\n{server_log}")
    finally:
        if started:
            subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "stop", "-m", "immediate", "-w", "-D", str(data)],
                capture_output=True,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_ready(server: PostgresServer, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(server.admin_url(), connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty database: a SQLite file, or the emptied test database of the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.fresh_database()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An open `Store` on an empty database of each backend."""
    with Store(db_url) as opened:
        yield opened
