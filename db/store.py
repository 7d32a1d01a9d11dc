"""The `Store`: every query the rest of Kernelwright needs, on SQLite (the default) or PostgreSQL.

One `Store` owns one SQLAlchemy engine. Each public method runs in its own short transaction and returns
frozen records (`db.rows`) or pydantic models, never live ORM objects. Opening a store upgrades its schema
to the newest Alembic revision, unless told not to (`Store(url, migrate=False)`, for long-running services
whose operator runs `kernelwright db upgrade` on purpose).
"""

from __future__ import annotations

import hashlib
import math
import os
import secrets
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, make_url, or_, select, text, update
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from db.models import (
    ApiTokenModel,
    BaselineKind,
    BaselineTimingModel,
    CandidateModel,
    DatasetExportModel,
    EvaluationModel,
    HardwareModel,
    RunKind,
    RunModel,
    RunStatus,
    TaskModel,
    TrajectoryModel,
    TurnModel,
    TurnOutcome,
    utcnow,
)
from db.rows import (
    ApiTokenRow,
    BaselineRow,
    CandidateRow,
    DatasetExportRow,
    EvaluationRow,
    HardwareRow,
    JudgedTurnRow,
    RunRow,
    TaskRow,
    TrajectoryRow,
    TurnRow,
)
from evaluator.baseline_result import BaselineStatus
from evaluator.hashing import normalized_hash
from evaluator.result import HARNESS_VERSION, EvalResult, Reason, Status
from tasks.model import Task

ENV_VAR = "KERNELWRIGHT_DB_URL"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# How long a SQLite writer waits for another writer's lock before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option read by the SQLite "begin" hook; write sessions set it to take the lock up front.
_SQLITE_BEGIN_OPTION = "kernelwright_sqlite_begin"
# Any constant shared by all Kernelwright processes: serializes concurrent schema upgrades on PostgreSQL.
_PG_MIGRATION_LOCK_KEY = 0x4B57_0001
# Every API token secret starts with this, so a leaked one is recognizable (secret scanners, logs).
API_TOKEN_MARK = "kw_"
# Characters of the secret kept in clear for display: the mark plus 7 random ones.
API_TOKEN_PREFIX_CHARS = 10
# How stale a token's `last_used_at` may get: verifying writes at most this often, not on every request.
API_TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)

_T = TypeVar("_T")


class NotFoundError(LookupError):
    """A method was given the id of a row that is not in the store."""


def default_db_url() -> str:
    """The database URL a `Store()` opens when given none.

    `$KERNELWRIGHT_DB_URL` when set; otherwise a SQLite file `kernelwright.db` in the per-user data folder
    (`platformdirs.user_data_dir("kernelwright")`), which is created if missing.
    """
    url = os.environ.get(ENV_VAR, "").strip()
    if url:
        return url
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
    mode = connection.get_execution_options().get(_SQLITE_BEGIN_OPTION, "")
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
        engine = engine.execution_options(**{_SQLITE_BEGIN_OPTION: "IMMEDIATE"})
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


def _api_token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes (the store writes UTC); PostgreSQL aware ones in its zone."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _json_safe(value: Any) -> Any:
    """Replace NaN/inf (which PostgreSQL's JSON rejects) by the strings pydantic parses back to floats."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _insert_unique(session: Session, obj: _T, find_existing: Callable[[], _T | None]) -> _T:
    """Insert `obj`; if a concurrent writer inserted the same unique key first, return that row instead."""
    try:
        # A savepoint, so a unique-key collision does not abort the caller's whole transaction.
        with session.begin_nested():
            session.add(obj)
        return obj
    except IntegrityError:
        existing = find_existing()
        if existing is None:
            raise
        return existing


# --- ORM -> record conversion ------------------------------------------------------------------------


def _task_row(m: TaskModel) -> TaskRow:
    return TaskRow(
        id=m.id,
        name=m.name,
        category=m.category,
        level=m.level,
        source_hash=m.source_hash,
        source=m.source,
        tolerance=m.tolerance,
        held_out=m.held_out,
        created_at=_utc(m.created_at),
        updated_at=_utc(m.updated_at),
    )


def _hardware_row(m: HardwareModel) -> HardwareRow:
    return HardwareRow(
        id=m.id,
        fingerprint=m.fingerprint,
        platform=m.platform,
        description=m.description,
        cpu_name=m.cpu_name,
        gpu_name=m.gpu_name,
        details=m.details,
        created_at=_utc(m.created_at),
    )


def _run_row(m: RunModel) -> RunRow:
    return RunRow(
        id=m.id,
        kind=m.kind,
        config=m.config,
        status=m.status,
        created_at=_utc(m.created_at),
        finished_at=_utc_or_none(m.finished_at),
    )


def _trajectory_row(m: TrajectoryModel) -> TrajectoryRow:
    return TrajectoryRow(
        id=m.id,
        run_id=m.run_id,
        task_id=m.task_id,
        index=m.index,
        status=m.status,
        created_at=_utc(m.created_at),
        finished_at=_utc_or_none(m.finished_at),
        stop_reason=m.stop_reason,
    )


def _turn_row(m: TurnModel) -> TurnRow:
    return TurnRow(
        id=m.id,
        trajectory_id=m.trajectory_id,
        index=m.index,
        prompt=m.prompt,
        reply=m.reply,
        reasoning=m.reasoning,
        model=m.model,
        prompt_tokens=m.prompt_tokens,
        completion_tokens=m.completion_tokens,
        latency_s=m.latency_s,
        cost_usd=m.cost_usd,
        created_at=_utc(m.created_at),
        outcome=m.outcome,
        candidate_id=m.candidate_id,
        evaluation_id=m.evaluation_id,
    )


def _candidate_row(m: CandidateModel) -> CandidateRow:
    return CandidateRow(
        id=m.id,
        task_id=m.task_id,
        source=m.source,
        normalized_hash=m.normalized_hash,
        platform=m.platform,
        parent_id=m.parent_id,
        turn_id=m.turn_id,
        created_at=_utc(m.created_at),
    )


def _eval_result(m: EvaluationModel, candidate_hash: str) -> EvalResult:
    """Rebuild the evaluator's `EvalResult` from a stored evaluation row."""
    speedup_ci = None
    if m.speedup_lo is not None and m.speedup_hi is not None:
        speedup_ci = (m.speedup_lo, m.speedup_hi)
    return EvalResult.model_validate(
        {
            "status": m.status,
            "reason": m.reason,
            "message": m.message,
            "stage": m.stage,
            "speedup": m.speedup,
            "speedup_ci": speedup_ci,
            "baseline_ms": m.baseline_ms,
            "candidate_ms": m.candidate_ms,
            "platform": m.platform,
            "hardware": m.hardware,
            "harness_version": m.harness_version,
            "allow_torch": m.allow_torch,
            "task_id": m.task_id,
            "task_hash": m.task_hash,
            "candidate_hash": candidate_hash,
            "correctness": m.correctness,
            "timing": m.timing,
            "achieved_gbps": m.achieved_gbps,
            "achieved_gflops": m.achieved_gflops,
            "build_seconds": m.build_seconds,
            "wall_seconds": m.wall_seconds,
            "log": m.log,
        }
    )


def _evaluation_row(m: EvaluationModel, candidate_hash: str) -> EvaluationRow:
    return EvaluationRow(
        id=m.id,
        candidate_id=m.candidate_id,
        hardware_id=m.hardware_id,
        baseline_kind=m.baseline_kind,
        result=_eval_result(m, candidate_hash),
        created_at=_utc(m.created_at),
        flags=dict(m.flags or {}),
    )


def _baseline_row(m: BaselineTimingModel) -> BaselineRow:
    ci = None if m.ci is None else (float(m.ci[0]), float(m.ci[1]))
    return BaselineRow(
        id=m.id,
        task_id=m.task_id,
        task_hash=m.task_hash,
        hardware_id=m.hardware_id,
        platform=m.platform,
        kind=m.kind,
        median_ms=m.median_ms,
        min_ms=m.min_ms,
        ci=ci,
        harness_version=m.harness_version,
        status=m.status,
        message=m.message,
        vs_eager=None if m.vs_eager is None else (m.vs_eager, m.vs_eager_lo or m.vs_eager, m.vs_eager_hi or m.vs_eager),
        created_at=_utc(m.created_at),
    )


def _dataset_export_row(m: DatasetExportModel) -> DatasetExportRow:
    return DatasetExportRow(
        id=m.id,
        format=m.format,
        path=m.path,
        record_count=m.record_count,
        config=m.config,
        created_at=_utc(m.created_at),
    )


def _api_token_row(m: ApiTokenModel) -> ApiTokenRow:
    return ApiTokenRow(
        id=m.id,
        name=m.name,
        prefix=m.prefix,
        rate_per_minute=m.rate_per_minute,
        created_at=_utc(m.created_at),
        last_used_at=_utc_or_none(m.last_used_at),
        revoked_at=_utc_or_none(m.revoked_at),
    )


class Store:
    """The SQL store of tasks, hardware, runs, trajectories, turns, candidates and evaluations.

    `Store()` opens `default_db_url()`; `Store("postgresql+psycopg://...")` the same schema on PostgreSQL.
    Opening upgrades the schema to the newest migration. Use it as a context manager, or call `close()`.
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
            self._write_engine = self.engine.execution_options(**{_SQLITE_BEGIN_OPTION: "IMMEDIATE"})
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

    # --- lifecycle ------------------------------------------------------------------------------------

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

    # --- tasks ----------------------------------------------------------------------------------------

    def upsert_task(self, task: Task) -> None:
        """Insert `task`, or update the stored copy (same id) to its current source and hash.

        A task that says it is held out (`Task.held_out`: the suite's list, `tasks import --held-out`) marks the
        row held out; otherwise the mark is left as it is (`set_held_out` sets or clears it).
        """
        with self._write.begin() as session:
            self._upsert_task(session, task)

    def get_task(self, task_id: str) -> TaskRow | None:
        """The stored task `task_id`, or None."""
        with self._read() as session:
            row = session.get(TaskModel, task_id)
            return None if row is None else _task_row(row)

    def list_tasks(self, *, held_out: bool | None = None) -> list[TaskRow]:
        """All stored tasks by id; with `held_out` given, only those whose held-out mark equals it."""
        query = select(TaskModel).order_by(TaskModel.id)
        if held_out is not None:
            query = query.where(TaskModel.held_out == held_out)
        with self._read() as session:
            return [_task_row(row) for row in session.scalars(query)]

    def set_held_out(self, task_id: str, held_out: bool) -> None:
        """Mark a task as held out of training data (benchmark tasks), or clear the mark."""
        with self._write.begin() as session:
            row = session.get(TaskModel, task_id)
            if row is None:
                raise NotFoundError(f"task {task_id!r} is not in the store; call upsert_task first")
            row.held_out = held_out

    def _upsert_task(self, session: Session, task: Task) -> TaskModel:
        values: dict[str, Any] = {
            "name": task.name,
            "category": task.category.value,
            "level": task.level,
            "source_hash": task.source_hash,
            "source": task.source,
            "tolerance": _json_safe(task.tolerance.model_dump(mode="json")),
        }
        row = session.get(TaskModel, task.id)
        if row is None:
            row = _insert_unique(
                session,
                TaskModel(id=task.id, **values),
                lambda: session.get(TaskModel, task.id, populate_existing=True),
            )
        for key, value in values.items():
            # Assigning equal values is not a change, so an unchanged task is not rewritten.
            setattr(row, key, value)
        if task.held_out:
            row.held_out = True
        session.flush()
        return row

    # --- hardware -------------------------------------------------------------------------------------

    def upsert_hardware(
        self,
        fingerprint: str,
        platform: str,
        description: str,
        details: dict[str, Any],
        *,
        cpu_name: str | None = None,
        gpu_name: str | None = None,
    ) -> int:
        """The id of the hardware with this fingerprint, inserting it (or refreshing its facts) as needed.

        `cpu_name`/`gpu_name` default to `details["cpu_name"]`/`details["gpu_name"]` when present.
        """
        cpu_name = cpu_name if cpu_name is not None else details.get("cpu_name")
        gpu_name = gpu_name if gpu_name is not None else details.get("gpu_name")
        values: dict[str, Any] = {
            "platform": platform,
            "description": description,
            "details": _json_safe(details),
            "cpu_name": cpu_name,
            "gpu_name": gpu_name,
        }
        with self._write.begin() as session:

            def find() -> HardwareModel | None:
                query = select(HardwareModel).where(HardwareModel.fingerprint == fingerprint)
                return session.scalars(query).one_or_none()

            row = find()
            if row is None:
                row = _insert_unique(session, HardwareModel(fingerprint=fingerprint, **values), find)
            for key, value in values.items():
                setattr(row, key, value)
            session.flush()
            return row.id

    def get_hardware(self, hardware_id: int) -> HardwareRow | None:
        """The stored hardware `hardware_id`, or None."""
        with self._read() as session:
            row = session.get(HardwareModel, hardware_id)
            return None if row is None else _hardware_row(row)

    # --- candidates -----------------------------------------------------------------------------------

    def add_candidate(
        self,
        task_id: str,
        source: str,
        platform: str,
        parent_id: int | None = None,
        turn_id: int | None = None,
    ) -> int:
        """The id of the candidate for (task, normalized hash of `source`, platform), inserting it if new.

        A resubmission that differs only in formatting or comments returns the existing id; its lineage
        (`parent_id`, `turn_id`) stays that of the first time the kernel was produced.
        """
        with self._write.begin() as session:
            return self._add_candidate(session, task_id, source, platform, parent_id, turn_id).id

    def get_candidate(self, candidate_id: int) -> CandidateRow | None:
        """The stored candidate `candidate_id`, or None."""
        with self._read() as session:
            row = session.get(CandidateModel, candidate_id)
            return None if row is None else _candidate_row(row)

    def find_candidate(self, task_id: str, source: str, platform: str) -> CandidateRow | None:
        """The stored candidate that `source` normalizes to for this task and platform, or None."""
        query = select(CandidateModel).where(
            CandidateModel.task_id == task_id,
            CandidateModel.normalized_hash == normalized_hash(source),
            CandidateModel.platform == platform,
        )
        with self._read() as session:
            row = session.scalars(query).one_or_none()
            return None if row is None else _candidate_row(row)

    def candidates_for_task(self, task_id: str, platform: str | None = None) -> list[CandidateRow]:
        """Every candidate of a task (on one platform when given), oldest first."""
        query = select(CandidateModel).where(CandidateModel.task_id == task_id)
        if platform is not None:
            query = query.where(CandidateModel.platform == platform)
        query = query.order_by(CandidateModel.created_at, CandidateModel.id)
        with self._read() as session:
            return [_candidate_row(row) for row in session.scalars(query)]

    def _add_candidate(
        self,
        session: Session,
        task_id: str,
        source: str,
        platform: str,
        parent_id: int | None,
        turn_id: int | None,
    ) -> CandidateModel:
        digest = normalized_hash(source)

        def find() -> CandidateModel | None:
            query = select(CandidateModel).where(
                CandidateModel.task_id == task_id,
                CandidateModel.normalized_hash == digest,
                CandidateModel.platform == platform,
            )
            return session.scalars(query).one_or_none()

        existing = find()
        if existing is not None:
            return existing
        # Checked here so the error names the missing row instead of a backend-specific FK violation.
        if session.get(TaskModel, task_id) is None:
            raise NotFoundError(f"task {task_id!r} is not in the store; call upsert_task first")
        candidate = CandidateModel(
            task_id=task_id,
            source=source,
            normalized_hash=digest,
            platform=platform,
            parent_id=parent_id,
            turn_id=turn_id,
        )
        return _insert_unique(session, candidate, find)

    # --- evaluations ----------------------------------------------------------------------------------

    def record_evaluation(
        self,
        task: Task,
        source: str,
        result: EvalResult,
        hardware_id: int | None = None,
        parent_id: int | None = None,
        turn_id: int | None = None,
        *,
        baseline_kind: BaselineKind | str = BaselineKind.eager,
        flags: dict[str, Any] | None = None,
    ) -> int:
        """Store one evaluation and return its id: upserts the task, adds (or finds) the candidate and
        inserts the evaluation, all in one transaction, so a failure leaves nothing half-written.

        The evaluation keeps `result.task_hash` (the task version it ran against; `task.source_hash` when
        unset). The candidate's hash is its normalized hash, whatever `result.candidate_hash` says.
        """
        if result.task_id is not None and result.task_id != task.id:
            raise ValueError(f"result is for task {result.task_id!r} but was recorded for task {task.id!r}")
        with self._write.begin() as session:
            self._upsert_task(session, task)
            candidate = self._add_candidate(session, task.id, source, result.platform, parent_id, turn_id)
            evaluation = self._insert_evaluation(
                session, task, candidate, result, hardware_id, BaselineKind(baseline_kind), flags
            )
            return evaluation.id

    def _insert_evaluation(
        self,
        session: Session,
        task: Task,
        candidate: CandidateModel,
        result: EvalResult,
        hardware_id: int | None,
        baseline_kind: BaselineKind,
        flags: dict[str, Any] | None,
    ) -> EvaluationModel:
        lo, hi = result.speedup_ci if result.speedup_ci is not None else (None, None)
        evaluation = EvaluationModel(
            candidate_id=candidate.id,
            task_id=task.id,
            task_hash=result.task_hash or task.source_hash,
            hardware_id=hardware_id,
            hardware=result.hardware,
            platform=result.platform,
            status=result.status,
            reason=result.reason,
            stage=result.stage,
            message=result.message,
            speedup=result.speedup,
            speedup_lo=lo,
            speedup_hi=hi,
            baseline_ms=result.baseline_ms,
            candidate_ms=result.candidate_ms,
            baseline_kind=baseline_kind,
            allow_torch=result.allow_torch,
            harness_version=result.harness_version,
            correctness=None if result.correctness is None else _json_safe(result.correctness.model_dump()),
            timing=None if result.timing is None else _json_safe(result.timing.model_dump()),
            achieved_gbps=result.achieved_gbps,
            achieved_gflops=result.achieved_gflops,
            build_seconds=result.build_seconds,
            wall_seconds=result.wall_seconds,
            log=result.log,
            flags=_json_safe(flags or {}),
        )
        session.add(evaluation)
        session.flush()
        return evaluation

    def find_evaluation(
        self,
        task_hash: str,
        candidate_normalized_hash: str,
        platform: str,
        harness_version: str = HARNESS_VERSION,
        allow_torch: bool = False,
    ) -> EvalResult | None:
        """The newest stored result for this exact (task version, candidate, platform, harness, allow_torch)."""
        row = self.find_evaluation_row(task_hash, candidate_normalized_hash, platform, harness_version, allow_torch)
        return None if row is None else row.result

    def find_evaluation_row(
        self,
        task_hash: str,
        candidate_normalized_hash: str,
        platform: str,
        harness_version: str = HARNESS_VERSION,
        allow_torch: bool = False,
    ) -> EvaluationRow | None:
        """The newest stored evaluation for this exact (task version, candidate, platform, harness, allow_torch).

        This is the evaluation cache. Results that ended in `Reason.harness_error` or `unstable_timing` are
        skipped: they say nothing final about the candidate, so they must be re-run rather than served.
        """
        query = (
            select(EvaluationModel, CandidateModel.normalized_hash)
            .join(CandidateModel, CandidateModel.id == EvaluationModel.candidate_id)
            .where(
                CandidateModel.normalized_hash == candidate_normalized_hash,
                CandidateModel.platform == platform,
                EvaluationModel.task_hash == task_hash,
                EvaluationModel.platform == platform,
                EvaluationModel.harness_version == harness_version,
                EvaluationModel.allow_torch == allow_torch,
                EvaluationModel.reason.not_in([Reason.harness_error, Reason.unstable_timing]),
            )
            .order_by(EvaluationModel.created_at.desc(), EvaluationModel.id.desc())
            .limit(1)
        )
        with self._read() as session:
            found = session.execute(query).first()
            return None if found is None else _evaluation_row(found[0], found[1])

    def scored_candidates(
        self, task_hash: str, platform: str, harness_version: str = HARNESS_VERSION, allow_torch: bool = False,
        run_id: str | None = None,
    ) -> list[tuple[CandidateRow, EvalResult]]:
        """Correct candidates with a measured speedup on this task version and platform, fastest first.

        The pool the contrastive prompt draws its exemplars from; a candidate appears once (its newest result).
        With `run_id`, only candidates a turn of that run produced (a benchmark must not see other runs' kernels).
        """
        query = (
            select(EvaluationModel, CandidateModel)
            .join(CandidateModel, CandidateModel.id == EvaluationModel.candidate_id)
            .where(
                EvaluationModel.task_hash == task_hash,
                EvaluationModel.platform == platform,
                EvaluationModel.harness_version == harness_version,
                EvaluationModel.allow_torch == allow_torch,
                EvaluationModel.status == Status.correct,
                EvaluationModel.speedup.is_not(None),
            )
            .order_by(EvaluationModel.created_at.desc(), EvaluationModel.id.desc())
        )
        if run_id is not None:
            produced = (
                select(TurnModel.candidate_id)
                .join(TrajectoryModel, TrajectoryModel.id == TurnModel.trajectory_id)
                .where(TrajectoryModel.run_id == run_id, TurnModel.candidate_id.is_not(None))
            )
            query = query.where(CandidateModel.id.in_(produced))
        seen: dict[int, tuple[CandidateRow, EvalResult]] = {}
        with self._read() as session:
            for ev, cand in session.execute(query):
                if cand.id not in seen:
                    seen[cand.id] = (_candidate_row(cand), _eval_result(ev, cand.normalized_hash))
        return sorted(seen.values(), key=lambda pair: -(pair[1].speedup or 0.0))

    def get_evaluation(self, evaluation_id: int) -> EvaluationRow | None:
        """The stored evaluation `evaluation_id`, or None."""
        query = (
            select(EvaluationModel, CandidateModel.normalized_hash)
            .join(CandidateModel, CandidateModel.id == EvaluationModel.candidate_id)
            .where(EvaluationModel.id == evaluation_id)
        )
        with self._read() as session:
            found = session.execute(query).first()
            return None if found is None else _evaluation_row(found[0], found[1])

    def evaluations_for_task(self, task_id: str, platform: str | None = None) -> list[EvaluationRow]:
        """Every evaluation of a task (on one platform when given), oldest first, across task versions."""
        query = (
            select(EvaluationModel, CandidateModel.normalized_hash)
            .join(CandidateModel, CandidateModel.id == EvaluationModel.candidate_id)
            .where(EvaluationModel.task_id == task_id)
        )
        if platform is not None:
            query = query.where(EvaluationModel.platform == platform)
        query = query.order_by(EvaluationModel.created_at, EvaluationModel.id)
        with self._read() as session:
            return [_evaluation_row(ev, digest) for ev, digest in session.execute(query)]

    def best_for_task(
        self,
        task_id: str,
        platform: str,
        *,
        harness_version: str | None = None,
        hardware_id: int | None = None,
    ) -> tuple[str, EvalResult] | None:
        """(source, result) of the fastest correct candidate of the task's current version, or None.

        Only evaluations against the task's current `source_hash` count (an older version of the task may
        have asked for something else). Ties on speedup go to the earliest evaluation.
        """
        current_hash = select(TaskModel.source_hash).where(TaskModel.id == task_id).scalar_subquery()
        query = (
            select(EvaluationModel, CandidateModel.source, CandidateModel.normalized_hash)
            .join(CandidateModel, CandidateModel.id == EvaluationModel.candidate_id)
            .where(
                EvaluationModel.task_id == task_id,
                EvaluationModel.platform == platform,
                EvaluationModel.status == Status.correct,
                EvaluationModel.speedup.is_not(None),
                EvaluationModel.task_hash == current_hash,
            )
            .order_by(EvaluationModel.speedup.desc(), EvaluationModel.id)
            .limit(1)
        )
        if harness_version is not None:
            query = query.where(EvaluationModel.harness_version == harness_version)
        if hardware_id is not None:
            query = query.where(EvaluationModel.hardware_id == hardware_id)
        with self._read() as session:
            found = session.execute(query).first()
            return None if found is None else (found[1], _eval_result(found[0], found[2]))

    # --- runs, trajectories, turns --------------------------------------------------------------------

    def create_run(self, kind: RunKind | str, config: dict[str, Any] | None = None) -> str:
        """Start a run (status `running`) and return its id, a 12-character hex string."""
        run_id = uuid.uuid4().hex[:12]
        with self._write.begin() as session:
            session.add(RunModel(id=run_id, kind=RunKind(kind), config=_json_safe(config or {})))
        return run_id

    def set_run_config(self, run_id: str, config: dict[str, Any]) -> None:
        """Replace a run's stored config (a job that learns its outcome only at the end records it here)."""
        with self._write.begin() as session:
            row = session.get(RunModel, run_id)
            if row is None:
                raise NotFoundError(f"no run {run_id!r} in the store")
            row.config = _json_safe(config)

    def finish_run(self, run_id: str, status: RunStatus | str = RunStatus.finished) -> None:
        """Mark a run finished, failed or interrupted, stamping `finished_at`."""
        status = RunStatus(status)
        if status is RunStatus.running:
            raise ValueError("finish_run needs a final status: finished, failed or interrupted")
        with self._write.begin() as session:
            row = session.get(RunModel, run_id)
            if row is None:
                raise NotFoundError(f"run {run_id!r} is not in the store")
            row.status = status
            row.finished_at = utcnow()

    def reopen_run(self, run_id: str) -> None:
        """Mark a stopped run (and its unfinished trajectories) running again, for a resume."""
        with self._write.begin() as session:
            row = session.get(RunModel, run_id)
            if row is None:
                raise NotFoundError(f"run {run_id!r} is not in the store")
            row.status = RunStatus.running
            row.finished_at = None
            for traj in session.scalars(select(TrajectoryModel).where(TrajectoryModel.run_id == run_id)):
                if traj.status is not RunStatus.finished:
                    traj.status = RunStatus.running
                    traj.finished_at = None

    def get_run(self, run_id: str) -> RunRow | None:
        """The stored run `run_id`, or None."""
        with self._read() as session:
            row = session.get(RunModel, run_id)
            return None if row is None else _run_row(row)

    def run_for_candidate(self, candidate_id: int) -> str | None:
        """The run whose turn first produced this candidate, or None (a candidate from `eval` has no turn)."""
        query = (
            select(TrajectoryModel.run_id)
            .join(TurnModel, TurnModel.trajectory_id == TrajectoryModel.id)
            .join(CandidateModel, CandidateModel.turn_id == TurnModel.id)
            .where(CandidateModel.id == candidate_id)
        )
        with self._read() as session:
            return session.scalars(query).first()

    def list_runs(self, kind: RunKind | str | None = None, limit: int | None = None) -> list[RunRow]:
        """Runs, newest first; only those of `kind` when given; at most `limit` when given."""
        query = select(RunModel).order_by(RunModel.created_at.desc(), RunModel.id)
        if kind is not None:
            query = query.where(RunModel.kind == RunKind(kind))
        if limit is not None:
            query = query.limit(limit)
        with self._read() as session:
            return [_run_row(row) for row in session.scalars(query)]

    def add_trajectory(self, run_id: str, task_id: str, index: int) -> int:
        """Start trajectory number `index` of a run on a (stored) task; returns its id."""
        with self._write.begin() as session:
            if session.get(RunModel, run_id) is None:
                raise NotFoundError(f"run {run_id!r} is not in the store; call create_run first")
            if session.get(TaskModel, task_id) is None:
                raise NotFoundError(f"task {task_id!r} is not in the store; call upsert_task first")
            row = TrajectoryModel(run_id=run_id, task_id=task_id, index=index)
            session.add(row)
            session.flush()
            return row.id

    def finish_trajectory(
        self, trajectory_id: int, status: RunStatus | str = RunStatus.finished, stop_reason: str | None = None
    ) -> None:
        """Mark a trajectory finished, failed or interrupted, stamping `finished_at` and why it stopped."""
        status = RunStatus(status)
        if status is RunStatus.running:
            raise ValueError("finish_trajectory needs a final status: finished, failed or interrupted")
        with self._write.begin() as session:
            row = session.get(TrajectoryModel, trajectory_id)
            if row is None:
                raise NotFoundError(f"trajectory {trajectory_id} is not in the store")
            row.status = status
            row.stop_reason = stop_reason
            row.finished_at = utcnow()

    def trajectories_for_run(self, run_id: str) -> list[TrajectoryRow]:
        """The trajectories of a run, by task and index."""
        query = (
            select(TrajectoryModel)
            .where(TrajectoryModel.run_id == run_id)
            .order_by(TrajectoryModel.task_id, TrajectoryModel.index)
        )
        with self._read() as session:
            return [_trajectory_row(row) for row in session.scalars(query)]

    def add_turn(
        self,
        trajectory_id: int,
        index: int,
        prompt: str,
        reply: str,
        *,
        model: str,
        reasoning: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        latency_s: float | None = None,
        cost_usd: float | None = None,
        outcome: TurnOutcome | str | None = None,
        candidate_id: int | None = None,
        evaluation_id: int | None = None,
    ) -> int:
        """Store turn number `index` (one LLM call) of a trajectory; returns its id.

        `outcome` says what came of it; a turn whose kernel is judged later gets it via `set_turn_outcome`.
        """
        with self._write.begin() as session:
            if session.get(TrajectoryModel, trajectory_id) is None:
                raise NotFoundError(
                    f"trajectory {trajectory_id} is not in the store; call add_trajectory first"
                )
            row = TurnModel(
                trajectory_id=trajectory_id,
                index=index,
                prompt=prompt,
                reply=reply,
                reasoning=reasoning,
                model=model,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                latency_s=latency_s,
                cost_usd=cost_usd,
                outcome=None if outcome is None else TurnOutcome(outcome),
                candidate_id=candidate_id,
                evaluation_id=evaluation_id,
            )
            session.add(row)
            session.flush()
            return row.id

    def set_turn_outcome(
        self,
        turn_id: int,
        outcome: TurnOutcome | str,
        candidate_id: int | None = None,
        evaluation_id: int | None = None,
    ) -> None:
        """Link a stored turn to what came of it: the candidate it produced and the evaluation that judged it."""
        with self._write.begin() as session:
            row = session.get(TurnModel, turn_id)
            if row is None:
                raise NotFoundError(f"turn {turn_id} is not in the store")
            row.outcome = TurnOutcome(outcome)
            row.candidate_id = candidate_id
            row.evaluation_id = evaluation_id

    def turns_for_trajectory(self, trajectory_id: int) -> list[TurnRow]:
        """The turns of a trajectory, in order."""
        query = select(TurnModel).where(TurnModel.trajectory_id == trajectory_id).order_by(TurnModel.index)
        with self._read() as session:
            return [_turn_row(row) for row in session.scalars(query)]

    def judged_turns(self, platform: str | None = None) -> list[JudgedTurnRow]:
        """Every turn linked to an evaluation (on one platform when given), with its run, task and verdict.

        Oldest first. The source of training data: a cached turn appears too (its reply repeats a judged
        kernel), so callers deduplicate by `candidate_hash`.
        """
        query = (
            select(TurnModel, RunModel, TaskModel, CandidateModel.normalized_hash, EvaluationModel)
            .join(EvaluationModel, EvaluationModel.id == TurnModel.evaluation_id)
            .join(CandidateModel, CandidateModel.id == EvaluationModel.candidate_id)
            .join(TrajectoryModel, TrajectoryModel.id == TurnModel.trajectory_id)
            .join(RunModel, RunModel.id == TrajectoryModel.run_id)
            .join(TaskModel, TaskModel.id == TrajectoryModel.task_id)
            .order_by(TurnModel.created_at, TurnModel.id)
        )
        if platform is not None:
            query = query.where(EvaluationModel.platform == platform)
        with self._read() as session:
            return [
                JudgedTurnRow(turn=_turn_row(turn), run_id=run.id, run_kind=run.kind, task_id=task.id,
                              task_category=task.category, task_held_out=task.held_out, candidate_hash=digest,
                              evaluation=_eval_result(ev, digest))
                for turn, run, task, digest, ev in session.execute(query)
            ]

    # --- baselines ------------------------------------------------------------------------------------

    def record_baseline(
        self,
        task_id: str,
        task_hash: str,
        platform: str,
        kind: BaselineKind | str,
        median_ms: float | None,
        *,
        hardware_id: int | None = None,
        min_ms: float | None = None,
        ci: tuple[float, float] | None = None,
        harness_version: str = HARNESS_VERSION,
        status: BaselineStatus | str = BaselineStatus.measured,
        message: str | None = None,
        vs_eager: tuple[float, float, float] | None = None,
    ) -> int:
        """Store a reference time of one task version on one machine; returns its id.

        A failed measurement is stored too (`median_ms` None, `status` and `message` say why); `vs_eager` is a
        compile baseline's (ratio, low, high) of eager time over its time.
        """
        with self._write.begin() as session:
            if session.get(TaskModel, task_id) is None:
                raise NotFoundError(f"task {task_id!r} is not in the store; call upsert_task first")
            row = BaselineTimingModel(
                task_id=task_id,
                task_hash=task_hash,
                hardware_id=hardware_id,
                platform=platform,
                kind=BaselineKind(kind),
                status=BaselineStatus(status),
                message=message,
                median_ms=median_ms,
                min_ms=min_ms,
                ci=None if ci is None else _json_safe(list(ci)),
                vs_eager=None if vs_eager is None else vs_eager[0],
                vs_eager_lo=None if vs_eager is None else vs_eager[1],
                vs_eager_hi=None if vs_eager is None else vs_eager[2],
                harness_version=harness_version,
            )
            session.add(row)
            session.flush()
            return row.id

    def latest_baseline(
        self,
        task_id: str,
        hardware_id: int | None,
        platform: str,
        kind: BaselineKind | str = BaselineKind.eager,
        *,
        task_hash: str | None = None,
        harness_version: str | None = None,
    ) -> BaselineRow | None:
        """The newest baseline for this task, machine (None matches rows without one), platform and kind.

        Pass `task_hash`/`harness_version` to ignore timings of another task version or harness.
        """
        query = select(BaselineTimingModel).where(
            BaselineTimingModel.task_id == task_id,
            BaselineTimingModel.platform == platform,
            BaselineTimingModel.kind == BaselineKind(kind),
            BaselineTimingModel.hardware_id.is_(None)
            if hardware_id is None
            else BaselineTimingModel.hardware_id == hardware_id,
        )
        if task_hash is not None:
            query = query.where(BaselineTimingModel.task_hash == task_hash)
        if harness_version is not None:
            query = query.where(BaselineTimingModel.harness_version == harness_version)
        query = query.order_by(BaselineTimingModel.created_at.desc(), BaselineTimingModel.id.desc()).limit(1)
        with self._read() as session:
            row = session.scalars(query).first()
            return None if row is None else _baseline_row(row)

    # --- dataset exports ------------------------------------------------------------------------------

    def record_dataset_export(
        self, format: str, path: str, record_count: int, config: dict[str, Any] | None = None
    ) -> int:
        """Record that a training-data export was written; returns its id."""
        with self._write.begin() as session:
            row = DatasetExportModel(
                format=format, path=path, record_count=record_count, config=_json_safe(config or {})
            )
            session.add(row)
            session.flush()
            return row.id

    def list_dataset_exports(self) -> list[DatasetExportRow]:
        """All recorded dataset exports, newest first."""
        query = select(DatasetExportModel).order_by(
            DatasetExportModel.created_at.desc(), DatasetExportModel.id
        )
        with self._read() as session:
            return [_dataset_export_row(row) for row in session.scalars(query)]

    # --- API tokens -----------------------------------------------------------------------------------

    def create_api_token(self, name: str, rate_per_minute: int | None = None) -> tuple[ApiTokenRow, str]:
        """A new API token named `name`: its row and its secret (`kw_...`), which is returned only here.

        Only the secret's SHA-256 is stored. `rate_per_minute` overrides the server's rate limit for this token.
        Raises `ValueError` for a blank name, a rate below 1, or a name already taken (revoked tokens keep
        their names, so that history stays unambiguous).
        """
        name = name.strip()
        if not name:
            raise ValueError("an API token needs a non-empty name")
        if rate_per_minute is not None and rate_per_minute < 1:
            raise ValueError(f"rate_per_minute must be at least 1 (None: the server's limit), not {rate_per_minute}")
        secret = API_TOKEN_MARK + secrets.token_urlsafe(32)
        with self._write.begin() as session:
            existing = session.scalars(select(ApiTokenModel).where(ApiTokenModel.name == name)).one_or_none()
            if existing is not None:
                state = "a revoked" if existing.revoked_at is not None else "an"
                raise ValueError(f"{state} API token named {name!r} already exists; pick another name")
            row = ApiTokenModel(
                name=name,
                token_hash=_api_token_hash(secret),
                prefix=secret[:API_TOKEN_PREFIX_CHARS],
                rate_per_minute=rate_per_minute,
            )
            session.add(row)
            try:
                session.flush()
            except IntegrityError as exc:
                # Another process took the name between the check above and this insert (PostgreSQL).
                raise ValueError(f"an API token named {name!r} already exists; pick another name") from exc
            return _api_token_row(row), secret

    def verify_api_token(self, secret: str) -> ApiTokenRow | None:
        """The live (not revoked) token whose secret is `secret`, or None.

        Marks the token used, at most once per `API_TOKEN_TOUCH_INTERVAL`, so that checking a token on every
        request does not write to the store on every request.
        """
        query = select(ApiTokenModel).where(
            ApiTokenModel.token_hash == _api_token_hash(secret), ApiTokenModel.revoked_at.is_(None)
        )
        with self._read() as session:
            row = session.scalars(query).one_or_none()
            if row is None:
                return None
            token = _api_token_row(row)
        now = utcnow()
        if token.last_used_at is not None and now - token.last_used_at < API_TOKEN_TOUCH_INTERVAL:
            return token
        stale = or_(ApiTokenModel.last_used_at.is_(None), ApiTokenModel.last_used_at <= now - API_TOKEN_TOUCH_INTERVAL)
        with self._write.begin() as session:
            # Conditional, so concurrent requests with one token write it once.
            session.execute(update(ApiTokenModel).where(ApiTokenModel.id == token.id, stale).values(last_used_at=now))
        return replace(token, last_used_at=now)

    def list_api_tokens(self) -> list[ApiTokenRow]:
        """Every API token, revoked ones included, newest first."""
        query = select(ApiTokenModel).order_by(ApiTokenModel.created_at.desc(), ApiTokenModel.id.desc())
        with self._read() as session:
            return [_api_token_row(row) for row in session.scalars(query)]

    def revoke_api_token(self, name: str) -> bool:
        """Revoke the live token named `name`; False when there is none (unknown, or already revoked)."""
        query = (
            update(ApiTokenModel)
            .where(ApiTokenModel.name == name.strip(), ApiTokenModel.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        with self._write.begin() as session:
            return session.execute(query).rowcount > 0
