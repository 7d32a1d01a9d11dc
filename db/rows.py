"""Plain, frozen records the `Store` returns; live ORM objects never leave a store session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kernelwright.db.enums import BaselineKind, RunKind, RunStatus, TurnOutcome
from kernelwright.evaluator.baseline_result import BaselineStatus
from kernelwright.evaluator.result import EvalResult, ToleranceMode


@dataclass(frozen=True)
class TaskRow:
    """A stored task; `source_hash` is the hash of the current `source`."""

    id: str
    name: str
    category: str
    level: int
    source_hash: str
    source: str
    tolerance: dict[str, Any] | None
    held_out: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class HardwareRow:
    """A machine or device identified by its fingerprint."""

    id: int
    fingerprint: str
    platform: str
    description: str
    cpu_name: str | None
    gpu_name: str | None
    details: dict[str, Any] | None
    created_at: datetime


@dataclass(frozen=True)
class RunRow:
    """A run (eval, optimize, bench or train job)."""

    id: str
    kind: RunKind
    config: dict[str, Any] | None
    status: RunStatus
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class TrajectoryRow:
    """One agent attempt on one task inside a run."""

    id: int
    run_id: str
    task_id: str
    index: int
    status: RunStatus
    created_at: datetime
    finished_at: datetime | None
    stop_reason: str | None = None


@dataclass(frozen=True)
class TurnRow:
    """One LLM call of a trajectory."""

    id: int
    trajectory_id: int
    index: int
    prompt: str
    reply: str
    reasoning: str | None
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_s: float | None
    cost_usd: float | None
    created_at: datetime
    outcome: TurnOutcome | None = None
    candidate_id: int | None = None
    evaluation_id: int | None = None


@dataclass(frozen=True)
class CandidateRow:
    """A deduplicated kernel source with its lineage."""

    id: int
    task_id: str
    source: str
    normalized_hash: str
    platform: str
    parent_id: int | None
    turn_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class EvaluationRow:
    """A stored evaluation: the rebuilt `EvalResult` plus what the store adds around it."""

    id: int
    candidate_id: int
    hardware_id: int | None
    baseline_kind: BaselineKind
    result: EvalResult
    created_at: datetime
    flags: dict[str, Any] = field(default_factory=dict)
    node_id: str | None = None
    node_address: str | None = None


@dataclass(frozen=True)
class BaselineRow:
    """A measured reference time for one task version on one machine."""

    id: int
    task_id: str
    task_hash: str
    hardware_id: int | None
    platform: str
    kind: BaselineKind
    median_ms: float | None
    min_ms: float | None
    ci: tuple[float, float] | None
    harness_version: str
    created_at: datetime
    status: BaselineStatus = BaselineStatus.measured
    message: str | None = None
    vs_eager: tuple[float, float, float] | None = None
    node_id: str | None = None
    node_address: str | None = None
    jailed: bool = True
    tolerance: ToleranceMode = ToleranceMode.task


@dataclass(frozen=True)
class DatasetExportRow:
    """A recorded training-data export."""

    id: int
    format: str
    path: str
    record_count: int
    config: dict[str, Any] | None
    created_at: datetime


@dataclass(frozen=True)
class JudgedTurnRow:
    """A turn whose candidate was judged, with what training-data curation needs from around it."""

    turn: TurnRow
    run_id: str
    run_kind: RunKind
    task_id: str
    task_category: str
    task_held_out: bool
    candidate_hash: str
    evaluation: EvalResult


@dataclass(frozen=True)
class ApiTokenRow:
    """A stored API token, without its secret or the secret's hash."""

    id: int
    name: str
    prefix: str
    rate_per_minute: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class SweepPointRow:
    """A kernel's verdict at one sweep point (`result` is the evaluator's whole `EvalResult`)."""

    id: int
    candidate_id: int
    platform: str
    label: str
    constants: dict[str, int]
    input_shapes: list[list[int] | None] | None
    input_dtypes: list[str | None] | None
    result: EvalResult
    created_at: datetime
