"""Evaluations and baselines say how they were made in columns of their own: `jailed` and `tolerance`.

Revision ID: 0007_verdict_provenance
Revises: 0006_node_hardware
Create Date: 2026-12-07 06:00:00

Before this revision an unjailed or KernelBench-tolerance verdict carried it as a suffix of its harness version
("2.2.0+kernelbench-tolerance+unjailed"), which every reader had to rebuild by hand (two got it wrong) and which
overflowed the 32-character column on PostgreSQL. Old rows are converted: the suffixes become `jailed = false` and
`tolerance = 'kernelbench'`, and the harness version is the plain version again (sweep points' too). Baselines
never carried the suffixes (an unjailed baseline was recorded as jailed): they keep `jailed = true`,
`tolerance = 'task'`, the only thing their rows say. The evaluation cache's index gains the two columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_verdict_provenance"
down_revision: str | None = "0006_node_hardware"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The suffixes older Kernelwright appended to the harness version; read here once, to convert old rows.
UNJAILED = "+unjailed"
KERNELBENCH = "+kernelbench-tolerance"
TABLES = ("evaluation", "baseline_timing")
OLD_CACHE_INDEX = ["candidate_id", "task_hash", "platform", "harness_version", "allow_torch"]
NEW_CACHE_INDEX = ["candidate_id", "task_hash", "platform", "harness_version", "jailed", "tolerance", "allow_torch"]


def _versions(table: str) -> list[str]:
    rows = op.get_bind().execute(sa.text(f"SELECT DISTINCT harness_version FROM {table}"))  # noqa: S608 - constant
    return [row[0] for row in rows]


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("jailed", sa.Boolean(), server_default=sa.true(), nullable=False))
            batch.add_column(sa.Column("tolerance", sa.String(32), server_default="task", nullable=False))
    bind = op.get_bind()
    for table in (*TABLES, "sweep_point"):
        for old in _versions(table):
            if "+" not in old:
                continue
            plain = old.split("+", 1)[0]
            update = f"UPDATE {table} SET harness_version = :plain"  # noqa: S608 - constant table names
            if table != "sweep_point":
                update += ", jailed = :jailed, tolerance = :tolerance"
            bind.execute(sa.text(update + " WHERE harness_version = :old"),
                         {"plain": plain, "jailed": UNJAILED not in old,
                          "tolerance": "kernelbench" if KERNELBENCH in old else "task", "old": old})
    with op.batch_alter_table("evaluation") as batch:
        batch.drop_index("ix_evaluation_cache")
        batch.create_index("ix_evaluation_cache", NEW_CACHE_INDEX)


def downgrade() -> None:
    # The older schema keeps provenance in the version: write it back there (it may not fit: then truncated at 32,
    # as the older code could not have stored it on PostgreSQL either).
    bind = op.get_bind()
    for table in TABLES:
        bind.execute(sa.text(f"UPDATE {table} SET harness_version = SUBSTR(harness_version || "  # noqa: S608
                             f"CASE WHEN tolerance = 'kernelbench' THEN '{KERNELBENCH}' ELSE '' END || "
                             f"CASE WHEN jailed THEN '' ELSE '{UNJAILED}' END, 1, 32)"))
    with op.batch_alter_table("evaluation") as batch:
        batch.drop_index("ix_evaluation_cache")
        batch.create_index("ix_evaluation_cache", OLD_CACHE_INDEX)
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("tolerance")
            batch.drop_column("jailed")
