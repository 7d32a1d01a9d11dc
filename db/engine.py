"""The store's database: URLs, engines (with the SQLite settings) and Alembic schema migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# How long a SQLite writer waits for another writer's lock before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option read by the SQLite "begin" hook; write sessions set it to take the lock up front.
SQLITE_BEGIN_OPTION = "kernelwright_sqlite_begin"
# Any constant shared by all Kernelwright processes: serializes concurrent schema upgrades on PostgreSQL.
_PG_MIGRATION_LOCK_KEY = 0x4B57_0001


def default_db_url() -> str:
    """The embedded store: a SQLite file `kernelwright.db` in the per-user data folder (created if missing).

    `KERNELWRIGHT_DB_URL` (read by `kernelwright.settings`, the one door to the environment) names another.
    """
    data_dir = Path(platformdirs.user_data_dir("kernelwright"))
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'kernelwright.db'}"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for the store's migrations, with no alembic.ini needed.

    `url` is only used when Alembic runs without a connection handed over in `config.attributes`
    (offline SQL generation, or the `alembic` command line driven from this config).
    """
    cfg = Config()
    # Config values go through configparser interpolation, where '%' is special.
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", normalize_url(url).render_as_string(False).replace("%", "%%"))
    return cfg


def normalize_url(url: str | URL) -> URL:
    """Parse a database URL; a bare `postgresql://` URL gets the psycopg 3 driver Kernelwright ships."""
    parsed = make_url(url)
    # SQLAlchemy's default PostgreSQL driver is psycopg2, which is not a dependency.
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own implicit BEGIN handling breaks SAVEPOINT and transactional DDL; switch it off and
    # let `_sqlite_on_begin` emit BEGIN instead (the recipe from SQLAlchemy's SQLite documentation).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers (web pages, CLI) proceed while the driver writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def make_engine(url: str | URL) -> Engine:
    """A SQLAlchemy engine for a store URL, with the SQLite settings (WAL, foreign keys, busy timeout)."""
    url = normalize_url(url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = url.database or ""
    kwargs: dict[str, Any] = {}
    if database in ("", ":memory:") or url.query.get("mode") == "memory":
        # Every new connection to ':memory:' is a new empty database: share one.
        kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    elif not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def head_revision() -> str:
    """The newest schema revision this Kernelwright's migrations reach."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no Alembic revisions found under {MIGRATIONS_DIR}: the installation is incomplete")
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema revision recorded in the database behind `engine`; None for a database without one."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to `revision` on an engine from `make_engine`; a no-op when already there."""
    if engine.dialect.name == "sqlite":
        # Take the write lock up front, as store writers do (see `Store.__init__`).
        engine = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    cfg = alembic_config()
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Two processes opening a fresh database at once would both try to create the tables.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK_KEY})
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def schema_mismatch(current: str | None) -> str | None:
    """What to do when a database's schema is at `current` instead of this Kernelwright's head; None if it is."""
    head = head_revision()
    if current == head:
        return None
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current is not None and current not in known:
        return (f"the database schema is at revision {current}, which this Kernelwright (head {head}) does not "
                "know: a newer Kernelwright upgraded it; install that version")
    return (f"the database schema is at revision {current or 'none (an empty database)'}, this Kernelwright "
            f"needs {head}: run `kernelwright db upgrade`")

