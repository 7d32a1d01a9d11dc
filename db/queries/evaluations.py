"""Evaluations: verdicts of candidates, the evaluation cache and the exemplar pool."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kernelwright.db.convert import eval_result, evaluation_columns, evaluation_row, json_safe, to_row
from kernelwright.db.enums import BaselineKind
from kernelwright.db.models import CandidateModel, EvaluationModel, TaskModel, TrajectoryModel, TurnModel
from kernelwright.db.provenance import VerdictKey
from kernelwright.db.queries.base import QueryBase
from kernelwright.db.queries.candidates import add_candidate_in
from kernelwright.db.queries.tasks import upsert_task_in
from kernelwright.db.rows import CandidateRow, EvaluationRow
from kernelwright.evaluator.result import EvalResult, Reason, Status
from kernelwright.tasks.model import Task


class EvaluationQueries(QueryBase):
    """Evaluation queries of the `Store`."""

    def record_evaluation(
        self,
        task: Task,
        source: str,
        result: EvalResult,
        hardware_id: int | None = None,
        parent_id: int | None = None,
        turn_id: int | None = None,
        *,
        baseline_kind: BaselineKind | str = BaselineKind.eager,
        flags: dict[str, Any] | None = None,
        node_id: str | None = None,
        node_address: str | None = None,
    ) -> int:
        """Store one evaluation and return its id: upserts the task, adds (or finds) the candidate and
        inserts the evaluation, all in one transaction, so a failure leaves nothing half-written.

        The evaluation keeps `result.task_hash` (the task version it ran against; `task.source_hash` when
        unset). The candidate's hash is its normalized hash, whatever `result.candidate_hash` says. `hardware_id`
        and `node_id`/`node_address` say what it was measured on and which Ray node ran it.
        """
        if result.task_id is not None and result.task_id != task.id:
            raise ValueError(f"result is for task {result.task_id!r} but was recorded for task {task.id!r}")
        with self._write.begin() as session:
            upsert_task_in(session, task)
            candidate = add_candidate_in(session, task.id, source, result.platform, parent_id, turn_id)
            columns = evaluation_columns(result)
            # The task it was recorded for, and the version it ran against (the task's current one if unsaid).
            columns.update(candidate_id=candidate.id, task_id=task.id, task_hash=result.task_hash or task.source_hash,
                           hardware_id=hardware_id, node_id=node_id, node_address=node_address,
                           baseline_kind=BaselineKind(baseline_kind),
                           flags=json_safe(flags or {}))
            evaluation = EvaluationModel(**columns)
            session.add(evaluation)
            session.flush()
            return evaluation.id

    def find_evaluation(
        self,
        task_hash: str,
        candidate_normalized_hash: str,
        platform: str,
        key: VerdictKey = VerdictKey(),
        allow_torch: bool = False,
    ) -> EvalResult | None:
        """The newest stored result for this (task version, candidate, platform, allow_torch) that `key` admits."""
        row = self.find_evaluation_row(task_hash, candidate_normalized_hash, platform, key, allow_torch)
        return None if row is None else row.result

    def find_evaluation_row(
        self,
        task_hash: str,
        candidate_normalized_hash: str,
        platform: str,
        key: VerdictKey = VerdictKey(),
        allow_torch: bool = False,
    ) -> EvaluationRow | None:
        """The newest stored evaluation for this (task version, candidate, platform, allow_torch) that `key`
        admits (same harness version, jail and tolerance as the request's).

        This is the evaluation cache. Results that ended in `Reason.harness_error` or `unstable_timing` are
        skipped: they say nothing final about the candidate, so they must be re-run rather than served; so are
        compile-only verdicts (`build_ok_unverified`), made where the platform's hardware was missing.
        """
        query = (
            select(EvaluationModel, CandidateModel.normalized_hash)
            .join(CandidateModel, CandidateModel.id == EvaluationModel.candidate_id)
            .where(
                CandidateModel.normalized_hash == candidate_normalized_hash,
                CandidateModel.platform == platform,
                EvaluationModel.task_hash == task_hash,
                EvaluationModel.platform == platform,
                key.where(EvaluationModel),
                EvaluationModel.allow_torch == allow_torch,
                EvaluationModel.reason.not_in([Reason.harness_error, Reason.unstable_timing]),
                EvaluationModel.status != Status.build_ok_unverified,
            )
            .order_by(EvaluationModel.created_at.desc(), EvaluationModel.id.desc())
            .limit(1)
        )
        with self._read() as session:
            found = session.execute(query).first()
            return None if found is None else evaluation_row(found[0], found[1])

    def scored_candidates(
        self, task_hash: str, platform: str, key: VerdictKey = VerdictKey(), allow_torch: bool = False,
        run_id: str | None = None,
    ) -> list[tuple[CandidateRow, EvalResult]]:
        """Correct candidates with a measured speedup on this task version and platform, fastest first.

        The pool the contrastive prompt draws its exemplars from (verdicts `key` admits); a candidate appears once
        (its newest result).
        With `run_id`, only candidates a turn of that run produced (a benchmark must not see other runs' kernels).
        """
        query = (
            select(EvaluationModel, CandidateModel)
            .join(CandidateModel, CandidateModel.id == EvaluationModel.candidate_id)
            .where(
                EvaluationModel.task_hash == task_hash,
                EvaluationModel.platform == platform,
                key.where(EvaluationModel),
                EvaluationModel.allow_torch == allow_torch,
                EvaluationModel.status == Status.correct,
                EvaluationModel.speedup.is_not(None),
            )
            .order_by(EvaluationModel.created_at.desc(), EvaluationModel.id.desc())
        )
        if run_id is not None:
            produced = (
                select(TurnModel.candidate_id)
                .join(TrajectoryModel, TrajectoryModel.id == TurnModel.trajectory_id)
                .where(TrajectoryModel.run_id == run_id, TurnModel.candidate_id.is_not(None))
            )
            query = query.where(CandidateModel.id.in_(produced))
        seen: dict[int, tuple[CandidateRow, EvalResult]] = {}
        with self._read() as session:
            for ev, cand in session.execute(query):
                if cand.id not in seen:
                    seen[cand.id] = (to_row(cand, CandidateRow), eval_result(ev, cand.normalized_hash))
        return sorted(seen.values(), key=lambda pair: -(pair[1].speedup or 0.0))

    def get_evaluation(self, evaluation_id: int) -> EvaluationRow | None:
        """The stored evaluation `evaluation_id`, or None."""
        query = (
            select(EvaluationModel, CandidateModel.normalized_hash)
            .join(CandidateModel, CandidateModel.id == EvaluationModel.candidate_id)
            .where(EvaluationModel.id == evaluation_id)
        )
        with self._read() as session:
            found = session.execute(query).first()
            return None if found is None else evaluation_row(found[0], found[1])

    def evaluations_for_task(self, task_id: str, platform: str | None = None) -> list[EvaluationRow]:
        """Every evaluation of a task (on one platform when given), oldest first, across task versions."""
        query = (
            select(EvaluationModel, CandidateModel.normalized_hash)
            .join(CandidateModel, CandidateModel.id == EvaluationModel.candidate_id)
            .where(EvaluationModel.task_id == task_id)
        )
        if platform is not None:
            query = query.where(EvaluationModel.platform == platform)
        query = query.order_by(EvaluationModel.created_at, EvaluationModel.id)
        with self._read() as session:
            return [evaluation_row(ev, digest) for ev, digest in session.execute(query)]

    def best_for_task(
        self,
        task_id: str,
        platform: str,
        *,
        key: VerdictKey | None = None,
        hardware_id: int | None = None,
    ) -> tuple[str, EvalResult] | None:
        """(source, result) of the fastest correct candidate of the task's current version, or None.

        Only evaluations against the task's current `source_hash` count (an older version of the task may
        have asked for something else); with `key`, only verdicts it admits. Ties on speedup go to the earliest
        evaluation.
        """
        current_hash = select(TaskModel.source_hash).where(TaskModel.id == task_id).scalar_subquery()
        query = (
            select(EvaluationModel, CandidateModel.source, CandidateModel.normalized_hash)
            .join(CandidateModel, CandidateModel.id == EvaluationModel.candidate_id)
            .where(
                EvaluationModel.task_id == task_id,
                EvaluationModel.platform == platform,
                EvaluationModel.status == Status.correct,
                EvaluationModel.speedup.is_not(None),
                EvaluationModel.task_hash == current_hash,
            )
            .order_by(EvaluationModel.speedup.desc(), EvaluationModel.id)
            .limit(1)
        )
        if key is not None:
            query = query.where(key.where(EvaluationModel))
        if hardware_id is not None:
            query = query.where(EvaluationModel.hardware_id == hardware_id)
        with self._read() as session:
            found = session.execute(query).first()
            return None if found is None else (found[1], eval_result(found[0], found[2]))
