"""Turns say what came of them: outcome, the candidate they produced and the evaluation that judged it;
trajectories say why they stopped.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:00:00

A turn's candidate and evaluation are links, not ownership: a turn that repeats an earlier kernel points at
the candidate and evaluation already stored (candidates are deduplicated; the evaluation cache serves it).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("turn") as batch:
        batch.add_column(sa.Column("outcome", sa.String(32), nullable=True))
        batch.add_column(sa.Column("candidate_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("evaluation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_turn_candidate_id_candidate", "candidate", ["candidate_id"], ["id"])
        batch.create_foreign_key("fk_turn_evaluation_id_evaluation", "evaluation", ["evaluation_id"], ["id"])
    with op.batch_alter_table("trajectory") as batch:
        batch.add_column(sa.Column("stop_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trajectory") as batch:
        batch.drop_column("stop_reason")
    with op.batch_alter_table("turn") as batch:
        batch.drop_constraint("fk_turn_evaluation_id_evaluation", type_="foreignkey")
        batch.drop_constraint("fk_turn_candidate_id_candidate", type_="foreignkey")
        batch.drop_column("evaluation_id")
        batch.drop_column("candidate_id")
        batch.drop_column("outcome")
