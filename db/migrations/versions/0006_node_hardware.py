"""Evaluations and baselines say which Ray node measured them.

Revision ID: 0006_node_hardware
Revises: 0005_sweep_point
Create Date: 2026-11-30 12:00:00

On a cluster the evaluators run on several nodes, which may be different machines. `hardware_id` (already on
both tables) says what was measured on, and is now set per evaluation from the evaluator that ran it instead of
once per run; `node_id` (Ray's hex node id) and `node_address` (its IP) say where, so a run can show which node
judged what and a lost node's work can be told apart. Both are NULL on rows written before this revision and on
evaluations run outside Ray (`kernelwright eval`).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_node_hardware"
down_revision: str | None = "0005_sweep_point"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("evaluation", "baseline_timing")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("node_id", sa.String(64), nullable=True))
            batch.add_column(sa.Column("node_address", sa.String(255), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("node_address")
            batch.drop_column("node_id")
