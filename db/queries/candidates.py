"""Candidates: kernel sources deduplicated by normalized hash, with their lineage."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernelwright.db.convert import insert_unique, to_row
from kernelwright.db.errors import NotFoundError
from kernelwright.db.models import CandidateModel, TaskModel
from kernelwright.db.queries.base import QueryBase
from kernelwright.db.rows import CandidateRow
from kernelwright.evaluator.hashing import normalized_hash


def add_candidate_in(
    session: Session,
    task_id: str,
    source: str,
    platform: str,
    parent_id: int | None,
    turn_id: int | None,
) -> CandidateModel:
    """The candidate row for (task, normalized hash, platform) inside the caller's transaction, inserted if new."""
    digest = normalized_hash(source)

    def find() -> CandidateModel | None:
        query = select(CandidateModel).where(
            CandidateModel.task_id == task_id,
            CandidateModel.normalized_hash == digest,
            CandidateModel.platform == platform,
        )
        return session.scalars(query).one_or_none()

    existing = find()
    if existing is not None:
        return existing
    # Checked here so the error names the missing row instead of a backend-specific FK violation.
    if session.get(TaskModel, task_id) is None:
        raise NotFoundError(f"task {task_id!r} is not in the store; call upsert_task first")
    candidate = CandidateModel(
        task_id=task_id,
        source=source,
        normalized_hash=digest,
        platform=platform,
        parent_id=parent_id,
        turn_id=turn_id,
    )
    return insert_unique(session, candidate, find)


class CandidateQueries(QueryBase):
    """Candidate queries of the `Store`."""

    def add_candidate(
        self,
        task_id: str,
        source: str,
        platform: str,
        parent_id: int | None = None,
        turn_id: int | None = None,
    ) -> int:
        """The id of the candidate for (task, normalized hash of `source`, platform), inserting it if new.

        A resubmission that differs only in formatting or comments returns the existing id; its lineage
        (`parent_id`, `turn_id`) stays that of the first time the kernel was produced.
        """
        with self._write.begin() as session:
            return add_candidate_in(session, task_id, source, platform, parent_id, turn_id).id

    def get_candidate(self, candidate_id: int) -> CandidateRow | None:
        """The stored candidate `candidate_id`, or None."""
        with self._read() as session:
            row = session.get(CandidateModel, candidate_id)
            return None if row is None else to_row(row, CandidateRow)

    def find_candidate(self, task_id: str, source: str, platform: str) -> CandidateRow | None:
        """The stored candidate that `source` normalizes to for this task and platform, or None."""
        query = select(CandidateModel).where(
            CandidateModel.task_id == task_id,
            CandidateModel.normalized_hash == normalized_hash(source),
            CandidateModel.platform == platform,
        )
        with self._read() as session:
            row = session.scalars(query).one_or_none()
            return None if row is None else to_row(row, CandidateRow)

    def candidates_for_task(self, task_id: str, platform: str | None = None) -> list[CandidateRow]:
        """Every candidate of a task (on one platform when given), oldest first."""
        query = select(CandidateModel).where(CandidateModel.task_id == task_id)
        if platform is not None:
            query = query.where(CandidateModel.platform == platform)
        query = query.order_by(CandidateModel.created_at, CandidateModel.id)
        with self._read() as session:
            return [to_row(row, CandidateRow) for row in session.scalars(query)]
