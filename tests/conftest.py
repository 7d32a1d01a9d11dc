"""Session-wide test setup: one shared build cache, Ray for CLI runs, and a throwaway PostgreSQL server.

The evaluator's C++ builder precompiles a header (~25 s) and caches every kernel it builds under
`KERNELWRIGHT_CACHE_DIR`. Pointing all test runs at one stable folder under the system temp dir makes
that a one-time cost instead of a per-run one. An explicit `KERNELWRIGHT_CACHE_DIR` is left alone.

The PostgreSQL server is one per test session (initdb + pg_ctl into a temporary folder, TCP on a free
port of 127.0.0.1, trust authentication, fsync off). Without the PostgreSQL server binaries (or psycopg)
the tests that need it are skipped.
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
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TEST_CACHE_DIR = Path(tempfile.gettempdir()) / "kernelwright-test-cache"
# How long a CLI's Ray processes may take to exit after it (see `ray_env`).
RAY_EXIT_GRACE_S = 10.0

# Tests that start processes (the sandboxed evaluator, task probes, the CLI, Ray, a server) are the
# `integration` tier; a test with none of the markers below is `unit` (in process, fast):
# `python -m pytest -m unit` is the fast loop. Whole files are listed here, so that a new test in them needs no
# marker of its own; a single test elsewhere takes `@pytest.mark.integration`.
INTEGRATION_FILES = (
    "adversarial/", "server/", "test_suite.py", "test_suite_gpu_examples.py", "test_suite_pallas_examples.py",
    "test_suite_solutions.py", "test_cli.py", "evaluator/test_gpu_platforms.py", "evaluator/test_runtime_guards.py",
    "evaluator/test_probe.py",
    "evaluator/test_jail_from_inside.py", "evaluator/test_no_jail.py", "evaluator/test_large_data.py",
    "tasks/test_importer.py", "tasks/test_import_checked.py", "rl/test_cli_training.py", "rl/test_train.py",
)
NOT_UNIT_MARKERS = ("slow", "gpu", "postgres", "browser", "integration")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test `unit` or `integration` (see INTEGRATION_FILES)."""
    tests_dir = Path(__file__).parent
    for item in items:
        relative = item.path.relative_to(tests_dir).as_posix()
        if any(relative == f or (f.endswith("/") and relative.startswith(f)) for f in INTEGRATION_FILES):
            item.add_marker(pytest.mark.integration)
        if not any(item.get_closest_marker(name) for name in NOT_UNIT_MARKERS):
            item.add_marker(pytest.mark.unit)

# Every test holds the machine shared, a `quiet` one exclusively (tests/quiet_machine.py).
from quiet_machine import pytest_runtest_protocol  # noqa: E402,F401

# Set at import, before any test module imports the evaluator, so every `cache_root()` call agrees.
os.environ.setdefault("KERNELWRIGHT_CACHE_DIR", str(TEST_CACHE_DIR))


@pytest.fixture(scope="session", autouse=True)
def shared_build_cache() -> Path:
    """The build cache this session uses (created if missing)."""
    path = Path(os.environ["KERNELWRIGHT_CACHE_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


BASE_MODEL = "smollm2-135m"


@pytest.fixture(scope="module")
def base_home() -> Iterator[Path]:
    """A Kernelwright home with the packaged base model prepared, shared by the tests that load the real model
    (prepared once per test cache and reused after)."""
    from kernelwright.agent.models import (  # the training extra's imports, only for the tests that ask
        is_prepared,
        prepare,
    )

    path = Path(os.environ["KERNELWRIGHT_CACHE_DIR"]) / "test-home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KERNELWRIGHT_HOME", str(path))
        prepare(BASE_MODEL)
        assert is_prepared(BASE_MODEL)
        yield path


@pytest.fixture
def ray_env() -> Iterator[dict[str, str]]:
    """Environment for CLI runs: Ray without auth in a short private temp dir (unix socket paths are short).

    Fails the test if any process of that Ray session outlives it.
    """
    ray_tmp = tempfile.mkdtemp(prefix="kwray", dir="/tmp")
    env = dict(os.environ, RAY_AUTH_MODE="disabled", RAY_TMPDIR=ray_tmp, OPENAI_API_KEY="test-key",
               PYTHONUNBUFFERED="1")
    yield env
    # Ray's own processes exit a moment after the CLI that stopped them: give them a few seconds, not more.
    deadline = time.monotonic() + RAY_EXIT_GRACE_S
    while True:
        leftovers = subprocess.run(["pgrep", "-f", ray_tmp], capture_output=True, text=True).stdout.split()
        if not leftovers or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    shutil.rmtree(ray_tmp, ignore_errors=True)
    assert leftovers == [], "Ray processes outlived the CLI"


# --- PostgreSQL ------------------------------------------------------------------------------------------

PG_SUPERUSER = "kw"
# The database `PostgresServer.fresh_database` empties for each test that asks for one.
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

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of `database` on this server, as the superuser."""
        return f"postgresql+psycopg://{PG_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def fresh_database(self) -> str:
        """Empty the shared test database and return its SQLAlchemy URL.

        Dropping and recreating the `public` schema gives each test an empty database in ~20 ms, where
        CREATE DATABASE takes ~250 ms (it copies template1).
        """
        import psycopg

        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (TEST_DATABASE,)).fetchone()
            if exists is None:
                conn.execute(f'CREATE DATABASE "{TEST_DATABASE}"')
        with psycopg.connect(self.admin_url(TEST_DATABASE), autocommit=True) as conn:
            # Fail instead of hanging if an earlier test left a connection holding locks.
            conn.execute("SET lock_timeout = '10s'")
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        return self.url(TEST_DATABASE)

    def create_database(self) -> str:
        """Create a new empty database with a unique name and return that name.

        Slower than `fresh_database`, but a database of its own: a server under test in another thread or
        process may keep connections to it open without getting in the way of other tests.
        """
        import psycopg

        name = f"kw_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop database `name`, closing whatever connections to it are still open."""
        import psycopg

        with psycopg.connect(self.admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start a PostgreSQL server for the session and stop it (immediate mode) afterwards."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'kernelwright[postgres]')")
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
    import psycopg

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(server.admin_url(), connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The SQLAlchemy URL (`postgresql+psycopg://...`) of a new empty database, dropped after the test."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)
