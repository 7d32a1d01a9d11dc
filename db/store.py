"""The `Store`: every query the rest of Kernelwright needs, on SQLite (the default) or PostgreSQL.

One `Store` owns one SQLAlchemy engine. Each public method runs in its own short transaction and returns
frozen records (`db.rows`) or pydantic models, never live ORM objects. The queries live in one module per
aggregate (`db/queries/`); the engine, URLs and migrations in `db/engine.py`. Opening a store upgrades its
schema to the newest Alembic revision, unless told not to (`Store(url, migrate=False)`, for long-running
services whose operator runs `kernelwright db upgrade` on purpose).
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import sessionmaker

from kernelwright.db.engine import (
    SQLITE_BEGIN_OPTION,
    current_revision,
    default_db_url,
    make_engine,
    normalize_url,
    schema_mismatch,
    upgrade_schema,
)
from kernelwright.db.queries.baselines import BaselineQueries
from kernelwright.db.queries.candidates import CandidateQueries
from kernelwright.db.queries.evaluations import EvaluationQueries
from kernelwright.db.queries.exports import ExportQueries
from kernelwright.db.queries.hardware import HardwareQueries
from kernelwright.db.queries.runs import RunQueries
from kernelwright.db.queries.sweeps import SweepQueries
from kernelwright.db.queries.tasks import TaskQueries
from kernelwright.db.queries.tokens import TokenQueries


class Store(TaskQueries, HardwareQueries, CandidateQueries, EvaluationQueries, RunQueries, BaselineQueries,
            ExportQueries, TokenQueries, SweepQueries):
    """The SQL store of tasks, hardware, runs, trajectories, turns, candidates and evaluations.

    `Store()` opens the embedded default (`default_db_url()`); `Store("postgresql+psycopg://...")` the same
    schema on PostgreSQL. Opening upgrades the schema to the newest migration. Use it as a context manager,
    or call `close()`.
    """

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        """Connect to `url` (default: `default_db_url()`) and upgrade the schema to head.

        With `migrate=False` the schema is left alone, and a schema not at head raises `RuntimeError` saying
        what to run: a service then never changes the schema under other processes by merely starting.
        """
        self.url: URL = normalize_url(url if url is not None else default_db_url())
        self.engine: Engine = make_engine(self.url)
        self._write_engine: Engine = self.engine
        if self.is_sqlite:
            # A deferred SQLite transaction that reads and then writes fails at once (busy_timeout does not
            # help) if another writer committed in between; writers take the lock up front instead.
            self._write_engine = self.engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self._write_engine, expire_on_commit=False)
        try:
            if migrate:
                self.upgrade()
            else:
                problem = schema_mismatch(self.schema_revision())
                if problem is not None:
                    raise RuntimeError(problem)
        except BaseException:
            self.engine.dispose()
            raise

    @property
    def is_sqlite(self) -> bool:
        """Whether this store is backed by SQLite."""
        return self.url.get_backend_name() == "sqlite"

    def upgrade(self, revision: str = "head") -> None:
        """Apply the Alembic migrations up to `revision`; a no-op when the schema is already there."""
        upgrade_schema(self.engine, revision)

    def schema_revision(self) -> str | None:
        """The Alembic revision the database's schema is at; None for a database without one."""
        return current_revision(self.engine)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url.render_as_string(hide_password=True)!r})"
