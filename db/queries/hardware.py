"""Hardware: the machines and devices measurements ran on, by fingerprint."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kernelwright.db.convert import insert_unique, json_safe, to_row
from kernelwright.db.models import HardwareModel
from kernelwright.db.queries.base import QueryBase
from kernelwright.db.rows import HardwareRow


class HardwareQueries(QueryBase):
    """Hardware queries of the `Store`."""

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
            "details": json_safe(details),
            "cpu_name": cpu_name,
            "gpu_name": gpu_name,
        }
        with self._write.begin() as session:

            def find() -> HardwareModel | None:
                query = select(HardwareModel).where(HardwareModel.fingerprint == fingerprint)
                return session.scalars(query).one_or_none()

            row = find()
            if row is None:
                row = insert_unique(session, HardwareModel(fingerprint=fingerprint, **values), find)
            for key, value in values.items():
                setattr(row, key, value)
            session.flush()
            return row.id

    def get_hardware(self, hardware_id: int) -> HardwareRow | None:
        """The stored hardware `hardware_id`, or None."""
        with self._read() as session:
            row = session.get(HardwareModel, hardware_id)
            return None if row is None else to_row(row, HardwareRow)
