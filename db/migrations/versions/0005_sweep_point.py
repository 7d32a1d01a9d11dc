"""Shape sweeps: a stored kernel's verdict at each problem size it was swept over.

Revision ID: 0005_sweep_point
Revises: 0004
Create Date: 2026-11-30 13:00:00

One row per (kernel, platform, sweep point); sweeping again replaces the rows. The export of a kernel reads its
envelope (where it is correct, where it is faster) from these rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_sweep_point"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sweep_point",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("label", sa.String(128), nullable=False),
        sa.Column("constants", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("input_shapes", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("input_dtypes", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("speedup", sa.Double(), nullable=True),
        sa.Column("speedup_lo", sa.Double(), nullable=True),
        sa.Column("speedup_hi", sa.Double(), nullable=True),
        sa.Column("hardware", sa.Text(), nullable=True),
        sa.Column("harness_version", sa.String(32), nullable=False),
        sa.Column("result", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"], name="fk_sweep_point_candidate_id_candidate"),
        sa.PrimaryKeyConstraint("id", name="pk_sweep_point"),
        sa.UniqueConstraint("candidate_id", "platform", "label", name="uq_sweep_point_candidate_id_platform_label"),
    )
    op.create_index("ix_sweep_point_candidate_id", "sweep_point", ["candidate_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sweep_point_candidate_id", table_name="sweep_point")
    op.drop_table("sweep_point")
