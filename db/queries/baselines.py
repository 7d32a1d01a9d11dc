"""Baselines: measured PyTorch reference times per task version, machine, platform and kind."""

from __future__ import annotations

from sqlalchemy import select

from kernelwright.db.convert import baseline_row, json_safe
from kernelwright.db.enums import BaselineKind
from kernelwright.db.errors import NotFoundError
from kernelwright.db.models import BaselineTimingModel, TaskModel
from kernelwright.db.provenance import VerdictKey
from kernelwright.db.queries.base import QueryBase
from kernelwright.db.rows import BaselineRow
from kernelwright.evaluator.baseline_result import BaselineStatus


class BaselineQueries(QueryBase):
    """Baseline queries of the `Store`."""

    def record_baseline(
        self,
        task_id: str,
        task_hash: str,
        platform: str,
        kind: BaselineKind | str,
        median_ms: float | None,
        *,
        hardware_id: int | None = None,
        min_ms: float | None = None,
        ci: tuple[float, float] | None = None,
        key: VerdictKey = VerdictKey(),
        status: BaselineStatus | str = BaselineStatus.measured,
        message: str | None = None,
        vs_eager: tuple[float, float, float] | None = None,
        node_id: str | None = None,
        node_address: str | None = None,
    ) -> int:
        """Store a reference time of one task version on one machine; returns its id.

        `key` says how it was measured (harness version, jail, tolerance). A failed measurement is stored too
        (`median_ms` None, `status` and `message` say why); `vs_eager` is a compile baseline's (ratio, low, high)
        of eager time over its time; `node_id`/`node_address` name the Ray node that measured it.
        """
        with self._write.begin() as session:
            if session.get(TaskModel, task_id) is None:
                raise NotFoundError(f"task {task_id!r} is not in the store; call upsert_task first")
            row = BaselineTimingModel(
                task_id=task_id,
                task_hash=task_hash,
                hardware_id=hardware_id,
                node_id=node_id,
                node_address=node_address,
                platform=platform,
                kind=BaselineKind(kind),
                status=BaselineStatus(status),
                message=message,
                median_ms=median_ms,
                min_ms=min_ms,
                ci=None if ci is None else json_safe(list(ci)),
                vs_eager=None if vs_eager is None else vs_eager[0],
                vs_eager_lo=None if vs_eager is None else vs_eager[1],
                vs_eager_hi=None if vs_eager is None else vs_eager[2],
                harness_version=key.harness_version,
                jailed=key.jailed,
                tolerance=key.tolerance,
            )
            session.add(row)
            session.flush()
            return row.id

    def latest_baseline(
        self,
        task_id: str,
        hardware_id: int | None,
        platform: str,
        kind: BaselineKind | str = BaselineKind.eager,
        *,
        task_hash: str | None = None,
        key: VerdictKey | None = None,
    ) -> BaselineRow | None:
        """The newest baseline for this task, machine (None matches rows without one), platform and kind.

        Pass `task_hash` to ignore timings of another task version, `key` to keep only those it admits (same
        harness version, jail and tolerance).
        """
        query = select(BaselineTimingModel).where(
            BaselineTimingModel.task_id == task_id,
            BaselineTimingModel.platform == platform,
            BaselineTimingModel.kind == BaselineKind(kind),
            BaselineTimingModel.hardware_id.is_(None)
            if hardware_id is None
            else BaselineTimingModel.hardware_id == hardware_id,
        )
        if task_hash is not None:
            query = query.where(BaselineTimingModel.task_hash == task_hash)
        if key is not None:
            query = query.where(key.where(BaselineTimingModel))
        query = query.order_by(BaselineTimingModel.created_at.desc(), BaselineTimingModel.id.desc()).limit(1)
        with self._read() as session:
            row = session.scalars(query).first()
            return None if row is None else baseline_row(row)
