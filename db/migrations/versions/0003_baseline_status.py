"""Baselines say how their measurement went, and a compile baseline carries its ratio to eager.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:00:00

`kernelwright bench` times PyTorch eager against `torch.compile` side by side; the ratio (eager / compiled,
median of per-bucket ratios with its 95% interval) is what turns a speedup over eager into one over compile.
A compile baseline that failed (inductor error, disagreement with eager, unsettled timing) is stored too, with
its status and message and no time, so the next bench run does not retry it blindly.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("baseline_timing") as batch:
        batch.add_column(sa.Column("status", sa.String(32), server_default="measured", nullable=False))
        batch.add_column(sa.Column("message", sa.Text(), nullable=True))
        batch.add_column(sa.Column("vs_eager", sa.Double(), nullable=True))
        batch.add_column(sa.Column("vs_eager_lo", sa.Double(), nullable=True))
        batch.add_column(sa.Column("vs_eager_hi", sa.Double(), nullable=True))
        batch.alter_column("median_ms", existing_type=sa.Double(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM baseline_timing WHERE median_ms IS NULL")
    with op.batch_alter_table("baseline_timing") as batch:
        batch.alter_column("median_ms", existing_type=sa.Double(), nullable=False)
        batch.drop_column("vs_eager_hi")
        batch.drop_column("vs_eager_lo")
        batch.drop_column("vs_eager")
        batch.drop_column("message")
        batch.drop_column("status")
