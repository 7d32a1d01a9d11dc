"""Shape sweeps: a kernel's verdicts at the problem sizes it was swept over."""

from __future__ import annotations

from sqlalchemy import delete, select

from kernelwright.db.convert import json_safe, to_row
from kernelwright.db.models import SweepPointModel
from kernelwright.db.queries.base import QueryBase
from kernelwright.db.rows import SweepPointRow
from kernelwright.evaluator.result import EvalResult


class SweepQueries(QueryBase):
    """Sweep queries of the `Store`."""

    def record_sweep_point(self, candidate_id: int, platform: str, label: str, constants: dict[str, int],
                           result: EvalResult, input_shapes: list[list[int] | None] | None = None,
                           input_dtypes: list[str | None] | None = None) -> int:
        """Store the verdict at one point, replacing an earlier one for the same kernel, platform and point."""
        lo, hi = result.speedup_ci if result.speedup_ci is not None else (None, None)
        with self._write.begin() as session:
            session.execute(delete(SweepPointModel).where(
                SweepPointModel.candidate_id == candidate_id, SweepPointModel.platform == platform,
                SweepPointModel.label == label))
            row = SweepPointModel(
                candidate_id=candidate_id, platform=platform, label=label, constants=dict(constants),
                input_shapes=input_shapes, input_dtypes=input_dtypes, status=result.status, reason=result.reason,
                speedup=result.speedup, speedup_lo=lo, speedup_hi=hi, hardware=result.hardware,
                harness_version=result.harness_version, result=json_safe(result.model_dump(mode="json")))
            session.add(row)
            session.flush()
            return row.id

    def sweep_for_kernel(self, candidate_id: int, platform: str | None = None) -> list[SweepPointRow]:
        """The kernel's sweep points in the order they were measured (optionally on one platform only)."""
        with self._read() as session:
            query = select(SweepPointModel).where(SweepPointModel.candidate_id == candidate_id)
            if platform is not None:
                query = query.where(SweepPointModel.platform == platform)
            rows = session.scalars(query.order_by(SweepPointModel.id)).all()
            return [to_row(m, SweepPointRow, result=EvalResult.model_validate(m.result)) for m in rows]
