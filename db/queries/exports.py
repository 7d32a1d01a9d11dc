"""Dataset exports: which training-data files were written, with how many records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kernelwright.db.convert import json_safe, to_row
from kernelwright.db.models import DatasetExportModel
from kernelwright.db.queries.base import QueryBase
from kernelwright.db.rows import DatasetExportRow


class ExportQueries(QueryBase):
    """Dataset export queries of the `Store`."""

    def record_dataset_export(
        self, format: str, path: str, record_count: int, config: dict[str, Any] | None = None
    ) -> int:
        """Record that a training-data export was written; returns its id."""
        with self._write.begin() as session:
            row = DatasetExportModel(
                format=format, path=path, record_count=record_count, config=json_safe(config or {})
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
            return [to_row(row, DatasetExportRow) for row in session.scalars(query)]
