"""Initial schema: tasks, hardware, runs, trajectories, turns, candidates, evaluations, baselines, exports.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00

Written out table by table (not `metadata.create_all`) so that this revision stays the same when the models
change later; the next change gets a revision of its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Enum columns are plain VARCHAR(32): see db/models.py (ENUM_LENGTH).
ENUM = sa.String(32)


def _json() -> sa.JSON:
    return sa.JSON(none_as_null=True)


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("source_hash", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("tolerance", _json(), nullable=True),
        sa.Column("held_out", sa.Boolean(), server_default=sa.false(), nullable=False),
        _created_at(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_task"),
    )

    op.create_table(
        "hardware",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cpu_name", sa.String(255), nullable=True),
        sa.Column("gpu_name", sa.String(255), nullable=True),
        sa.Column("details", _json(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_hardware"),
        sa.UniqueConstraint("fingerprint", name="uq_hardware_fingerprint"),
    )

    op.create_table(
        "run",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("config", _json(), nullable=True),
        sa.Column("status", ENUM, nullable=False),
        _created_at(),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_run"),
    )

    op.create_table(
        "trajectory",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("task_id", sa.String(255), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        _created_at(),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_trajectory"),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_trajectory_run_id_run"),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name="fk_trajectory_task_id_task"),
        sa.UniqueConstraint("run_id", "task_id", "index", name="uq_trajectory_run_id_task_id_index"),
    )
    op.create_index("ix_trajectory_task_id", "trajectory", ["task_id"])

    op.create_table(
        "turn",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("trajectory_id", sa.Integer(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("reasoning", sa.Text(), nullable=True),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("latency_s", sa.Double(), nullable=True),
        sa.Column("cost_usd", sa.Double(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_turn"),
        sa.ForeignKeyConstraint(
            ["trajectory_id"], ["trajectory.id"], name="fk_turn_trajectory_id_trajectory"
        ),
        sa.UniqueConstraint("trajectory_id", "index", name="uq_turn_trajectory_id_index"),
    )

    op.create_table(
        "candidate",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.String(255), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("normalized_hash", sa.String(64), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("turn_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(32), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_candidate"),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name="fk_candidate_task_id_task"),
        sa.ForeignKeyConstraint(["parent_id"], ["candidate.id"], name="fk_candidate_parent_id_candidate"),
        sa.ForeignKeyConstraint(["turn_id"], ["turn.id"], name="fk_candidate_turn_id_turn"),
        sa.UniqueConstraint(
            "task_id", "normalized_hash", "platform", name="uq_candidate_task_id_normalized_hash_platform"
        ),
    )
    op.create_index("ix_candidate_normalized_hash_platform", "candidate", ["normalized_hash", "platform"])
    op.create_index("ix_candidate_turn_id", "candidate", ["turn_id"])

    op.create_table(
        "evaluation",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(255), nullable=False),
        sa.Column("task_hash", sa.String(64), nullable=False),
        sa.Column("hardware_id", sa.Integer(), nullable=True),
        sa.Column("hardware", sa.Text(), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("reason", ENUM, nullable=False),
        sa.Column("stage", ENUM, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("speedup", sa.Double(), nullable=True),
        sa.Column("speedup_lo", sa.Double(), nullable=True),
        sa.Column("speedup_hi", sa.Double(), nullable=True),
        sa.Column("baseline_ms", sa.Double(), nullable=True),
        sa.Column("candidate_ms", sa.Double(), nullable=True),
        sa.Column("baseline_kind", ENUM, server_default="eager", nullable=False),
        sa.Column("allow_torch", sa.Boolean(), nullable=False),
        sa.Column("harness_version", sa.String(32), nullable=False),
        sa.Column("correctness", _json(), nullable=True),
        sa.Column("timing", _json(), nullable=True),
        sa.Column("achieved_gbps", sa.Double(), nullable=True),
        sa.Column("achieved_gflops", sa.Double(), nullable=True),
        sa.Column("build_seconds", sa.Double(), nullable=True),
        sa.Column("wall_seconds", sa.Double(), nullable=True),
        sa.Column("log", sa.Text(), nullable=False),
        sa.Column("flags", _json(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_evaluation"),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidate.id"], name="fk_evaluation_candidate_id_candidate"
        ),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name="fk_evaluation_task_id_task"),
        sa.ForeignKeyConstraint(["hardware_id"], ["hardware.id"], name="fk_evaluation_hardware_id_hardware"),
    )
    op.create_index(
        "ix_evaluation_cache",
        "evaluation",
        ["candidate_id", "task_hash", "platform", "harness_version", "allow_torch"],
    )
    op.create_index("ix_evaluation_task_id_platform", "evaluation", ["task_id", "platform"])

    op.create_table(
        "baseline_timing",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.String(255), nullable=False),
        sa.Column("task_hash", sa.String(64), nullable=False),
        sa.Column("hardware_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("median_ms", sa.Double(), nullable=False),
        sa.Column("min_ms", sa.Double(), nullable=True),
        sa.Column("ci", _json(), nullable=True),
        sa.Column("harness_version", sa.String(32), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_baseline_timing"),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name="fk_baseline_timing_task_id_task"),
        sa.ForeignKeyConstraint(
            ["hardware_id"], ["hardware.id"], name="fk_baseline_timing_hardware_id_hardware"
        ),
    )
    op.create_index(
        "ix_baseline_timing_task_id_hardware_id_platform_kind",
        "baseline_timing",
        ["task_id", "hardware_id", "platform", "kind"],
    )

    op.create_table(
        "dataset_export",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("config", _json(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_dataset_export"),
    )


def downgrade() -> None:
    for table in (
        "dataset_export",
        "baseline_timing",
        "evaluation",
        "candidate",
        "turn",
        "trajectory",
        "run",
        "hardware",
        "task",
    ):
        op.drop_table(table)
