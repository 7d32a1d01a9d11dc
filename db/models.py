"""SQLAlchemy 2 declarative models of the Kernelwright store.

The schema itself is created and changed only by the Alembic migrations in `db/migrations`; these models
must match them (a test compares the two with Alembic's autogenerate on SQLite and PostgreSQL).
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kernelwright.db.enums import BaselineKind, RunKind, RunStatus, TurnOutcome
from kernelwright.evaluator.baseline_result import BaselineStatus
from kernelwright.evaluator.result import Reason, Stage, Status, ToleranceMode

# Explicit constraint names make migrations reproducible and let Alembic compare constraints by name on
# every backend (SQLite would otherwise leave them unnamed).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Enum columns are VARCHAR(32) without a CHECK constraint: a new enum member (a new Reason, say) then needs
# no migration, and SQLite and PostgreSQL store exactly the same strings.
ENUM_LENGTH = 32


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only time zone the store writes)."""
    return datetime.now(timezone.utc)


def enum_column(enum_cls: type[enum.Enum]) -> SAEnum:
    """A portable string-backed enum type that stores each member's value."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=ENUM_LENGTH,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    """Declarative base with the store's naming convention and portable type mapping."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        # none_as_null: a Python None is SQL NULL, never the JSON literal 'null'.
        dict[str, Any]: JSON(none_as_null=True),
        list[Any]: JSON(none_as_null=True),
        datetime: DateTime(timezone=True),
        float: Double(),
        str: String(255),
    }


class TaskModel(Base):
    """A task as last seen; `source_hash` is the current one (evaluations keep the hash they ran against)."""

    __tablename__ = "task"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str]
    category: Mapped[str] = mapped_column(String(64))
    level: Mapped[int]
    source_hash: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    tolerance: Mapped[dict[str, Any] | None]
    held_out: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class HardwareModel(Base):
    """One machine/device a measurement was taken on, identified by its fingerprint."""

    __tablename__ = "hardware"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(128), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    cpu_name: Mapped[str | None]
    gpu_name: Mapped[str | None]
    details: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RunModel(Base):
    """An eval, optimize, bench or train job with the config it ran with."""

    __tablename__ = "run"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[RunKind] = mapped_column(enum_column(RunKind))
    config: Mapped[dict[str, Any] | None]
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus), default=RunStatus.running)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class TrajectoryModel(Base):
    """One agent attempt (a sequence of turns) on one task inside a run."""

    __tablename__ = "trajectory"
    __table_args__ = (UniqueConstraint("run_id", "task_id", "index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(32), ForeignKey("run.id"))
    task_id: Mapped[str] = mapped_column(String(255), ForeignKey("task.id"), index=True)
    index: Mapped[int]
    status: Mapped[RunStatus] = mapped_column(enum_column(RunStatus), default=RunStatus.running)
    stop_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class TurnModel(Base):
    """One LLM call: prompt, reply, reasoning and what it cost."""

    __tablename__ = "turn"
    __table_args__ = (UniqueConstraint("trajectory_id", "index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trajectory_id: Mapped[int] = mapped_column(ForeignKey("trajectory.id"))
    index: Mapped[int]
    prompt: Mapped[str] = mapped_column(Text)
    reply: Mapped[str] = mapped_column(Text)
    reasoning: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str]
    prompt_tokens: Mapped[int | None]
    completion_tokens: Mapped[int | None]
    latency_s: Mapped[float | None]
    cost_usd: Mapped[float | None]
    outcome: Mapped[TurnOutcome | None] = mapped_column(enum_column(TurnOutcome))
    # use_alter: candidate and evaluation point back at turn, so these links close a cycle.
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidate.id", use_alter=True))
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation.id", use_alter=True))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CandidateModel(Base):
    """A kernel source for one task and platform, deduplicated by its normalized hash."""

    __tablename__ = "candidate"
    __table_args__ = (
        UniqueConstraint("task_id", "normalized_hash", "platform"),
        # The cache lookup knows the hash and platform but not necessarily the task.
        Index(None, "normalized_hash", "platform"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(255), ForeignKey("task.id"))
    source: Mapped[str] = mapped_column(Text)
    normalized_hash: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("candidate.id"))
    turn_id: Mapped[int | None] = mapped_column(ForeignKey("turn.id"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvaluationModel(Base):
    """One evaluator verdict (an `EvalResult`) of one candidate against one version of a task."""

    __tablename__ = "evaluation"
    __table_args__ = (
        # Serves `Store.find_evaluation` (joined to candidate by its normalized hash).
        Index(
            "ix_evaluation_cache", "candidate_id", "task_hash", "platform", "harness_version", "jailed", "tolerance",
            "allow_torch",
        ),
        Index(None, "task_id", "platform"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"))
    task_id: Mapped[str] = mapped_column(String(255), ForeignKey("task.id"))
    task_hash: Mapped[str] = mapped_column(String(64))
    hardware_id: Mapped[int | None] = mapped_column(ForeignKey("hardware.id"))
    hardware: Mapped[str] = mapped_column(Text, default="")
    # The Ray node that judged it (None outside Ray); `hardware_id` is what that node measured on.
    node_id: Mapped[str | None] = mapped_column(String(64))
    node_address: Mapped[str | None]
    platform: Mapped[str] = mapped_column(String(32))
    status: Mapped[Status] = mapped_column(enum_column(Status))
    reason: Mapped[Reason] = mapped_column(enum_column(Reason))
    stage: Mapped[Stage] = mapped_column(enum_column(Stage))
    message: Mapped[str] = mapped_column(Text, default="")
    speedup: Mapped[float | None]
    speedup_lo: Mapped[float | None]
    speedup_hi: Mapped[float | None]
    baseline_ms: Mapped[float | None]
    candidate_ms: Mapped[float | None]
    baseline_kind: Mapped[BaselineKind] = mapped_column(
        enum_column(BaselineKind), default=BaselineKind.eager, server_default=BaselineKind.eager.value
    )
    allow_torch: Mapped[bool] = mapped_column(Boolean, default=False)
    # How the verdict was made (db/provenance.py `VerdictKey`): a plain harness version, the jail, the tolerance.
    harness_version: Mapped[str] = mapped_column(String(32))
    jailed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    tolerance: Mapped[ToleranceMode] = mapped_column(
        enum_column(ToleranceMode), default=ToleranceMode.task, server_default=ToleranceMode.task.value
    )
    correctness: Mapped[dict[str, Any] | None]
    timing: Mapped[dict[str, Any] | None]
    achieved_gbps: Mapped[float | None]
    achieved_gflops: Mapped[float | None]
    build_seconds: Mapped[float | None]
    wall_seconds: Mapped[float | None]
    log: Mapped[str] = mapped_column(Text, default="")
    flags: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BaselineTimingModel(Base):
    """A measured PyTorch reference time for one task version on one machine."""

    __tablename__ = "baseline_timing"
    __table_args__ = (Index(None, "task_id", "hardware_id", "platform", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(String(255), ForeignKey("task.id"))
    task_hash: Mapped[str] = mapped_column(String(64))
    hardware_id: Mapped[int | None] = mapped_column(ForeignKey("hardware.id"))
    node_id: Mapped[str | None] = mapped_column(String(64))
    node_address: Mapped[str | None]
    platform: Mapped[str] = mapped_column(String(32))
    kind: Mapped[BaselineKind] = mapped_column(enum_column(BaselineKind))
    status: Mapped[BaselineStatus] = mapped_column(
        enum_column(BaselineStatus), default=BaselineStatus.measured, server_default=BaselineStatus.measured.value
    )
    message: Mapped[str | None] = mapped_column(Text)
    # None when the measurement failed (see `status`/`message`).
    median_ms: Mapped[float | None]
    min_ms: Mapped[float | None]
    ci: Mapped[list[Any] | None]
    # Compile baselines: eager time / this time, median of per-bucket ratios, with its 95% interval.
    vs_eager: Mapped[float | None]
    vs_eager_lo: Mapped[float | None]
    vs_eager_hi: Mapped[float | None]
    harness_version: Mapped[str] = mapped_column(String(32))
    jailed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    tolerance: Mapped[ToleranceMode] = mapped_column(
        enum_column(ToleranceMode), default=ToleranceMode.task, server_default=ToleranceMode.task.value
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DatasetExportModel(Base):
    """A training-data export: where it was written, how many records, with which settings."""

    __tablename__ = "dataset_export"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    format: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(Text)
    record_count: Mapped[int]
    config: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiTokenModel(Base):
    """A bearer token for `kernelwright serve`; only the SHA-256 of its secret is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    # The secret's first characters, enough to tell tokens apart in a list, too few to guess the rest.
    prefix: Mapped[str] = mapped_column(String(16))
    # None: the server's default rate limit applies.
    rate_per_minute: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SweepPointModel(Base):
    """One kernel's verdict at one problem size of a shape sweep (`kernelwright sweep`).

    `constants` are the task's size knobs at this point, `input_shapes`/`input_dtypes` what `get_inputs()` made
    of them (the export's dispatch reads those), `result` the whole verdict as the evaluator gave it.
    """

    __tablename__ = "sweep_point"
    __table_args__ = (UniqueConstraint("candidate_id", "platform", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(128))
    constants: Mapped[dict[str, Any]]
    input_shapes: Mapped[list[Any] | None]
    input_dtypes: Mapped[list[Any] | None]
    status: Mapped[Status] = mapped_column(enum_column(Status))
    reason: Mapped[Reason | None] = mapped_column(enum_column(Reason))
    speedup: Mapped[float | None]
    speedup_lo: Mapped[float | None]
    speedup_hi: Mapped[float | None]
    hardware: Mapped[str | None] = mapped_column(Text)
    harness_version: Mapped[str] = mapped_column(String(32))
    result: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
