"""Runs and what they hold: trajectories, and the turns (LLM calls) of each."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from kernelwright.db.convert import eval_result, json_safe, to_row
from kernelwright.db.enums import RunKind, RunStatus, TurnOutcome
from kernelwright.db.errors import NotFoundError
from kernelwright.db.models import (
    CandidateModel,
    EvaluationModel,
    RunModel,
    TaskModel,
    TrajectoryModel,
    TurnModel,
    utcnow,
)
from kernelwright.db.queries.base import QueryBase
from kernelwright.db.rows import JudgedTurnRow, RunRow, TrajectoryRow, TurnRow


class RunQueries(QueryBase):
    """Run, trajectory and turn queries of the `Store`."""

    def create_run(self, kind: RunKind | str, config: dict[str, Any] | None = None) -> str:
        """Start a run (status `running`) and return its id, a 12-character hex string."""
        run_id = uuid.uuid4().hex[:12]
        with self._write.begin() as session:
            session.add(RunModel(id=run_id, kind=RunKind(kind), config=json_safe(config or {})))
        return run_id

    def set_run_config(self, run_id: str, config: dict[str, Any]) -> None:
        """Replace a run's stored config (a job that learns its outcome only at the end records it here)."""
        with self._write.begin() as session:
            row = session.get(RunModel, run_id)
            if row is None:
                raise NotFoundError(f"no run {run_id!r} in the store")
            row.config = json_safe(config)

    def finish_run(self, run_id: str, status: RunStatus | str = RunStatus.finished) -> None:
        """Mark a run finished, failed or interrupted, stamping `finished_at`."""
        status = RunStatus(status)
        if status is RunStatus.running:
            raise ValueError("finish_run needs a final status: finished, failed or interrupted")
        with self._write.begin() as session:
            row = session.get(RunModel, run_id)
            if row is None:
                raise NotFoundError(f"run {run_id!r} is not in the store")
            row.status = status
            row.finished_at = utcnow()

    def reopen_run(self, run_id: str) -> None:
        """Mark a stopped run (and its unfinished trajectories) running again, for a resume."""
        with self._write.begin() as session:
            row = session.get(RunModel, run_id)
            if row is None:
                raise NotFoundError(f"run {run_id!r} is not in the store")
            row.status = RunStatus.running
            row.finished_at = None
            for traj in session.scalars(select(TrajectoryModel).where(TrajectoryModel.run_id == run_id)):
                if traj.status is not RunStatus.finished:
                    traj.status = RunStatus.running
                    traj.finished_at = None

    def get_run(self, run_id: str) -> RunRow | None:
        """The stored run `run_id`, or None."""
        with self._read() as session:
            row = session.get(RunModel, run_id)
            return None if row is None else to_row(row, RunRow)

    def run_for_candidate(self, candidate_id: int) -> str | None:
        """The run whose turn first produced this candidate, or None (a candidate from `eval` has no turn)."""
        query = (
            select(TrajectoryModel.run_id)
            .join(TurnModel, TurnModel.trajectory_id == TrajectoryModel.id)
            .join(CandidateModel, CandidateModel.turn_id == TurnModel.id)
            .where(CandidateModel.id == candidate_id)
        )
        with self._read() as session:
            return session.scalars(query).first()

    def list_runs(self, kind: RunKind | str | None = None, limit: int | None = None) -> list[RunRow]:
        """Runs, newest first; only those of `kind` when given; at most `limit` when given."""
        query = select(RunModel).order_by(RunModel.created_at.desc(), RunModel.id)
        if kind is not None:
            query = query.where(RunModel.kind == RunKind(kind))
        if limit is not None:
            query = query.limit(limit)
        with self._read() as session:
            return [to_row(row, RunRow) for row in session.scalars(query)]

    def add_trajectory(self, run_id: str, task_id: str, index: int) -> int:
        """Start trajectory number `index` of a run on a (stored) task; returns its id."""
        with self._write.begin() as session:
            if session.get(RunModel, run_id) is None:
                raise NotFoundError(f"run {run_id!r} is not in the store; call create_run first")
            if session.get(TaskModel, task_id) is None:
                raise NotFoundError(f"task {task_id!r} is not in the store; call upsert_task first")
            row = TrajectoryModel(run_id=run_id, task_id=task_id, index=index)
            session.add(row)
            session.flush()
            return row.id

    def finish_trajectory(
        self, trajectory_id: int, status: RunStatus | str = RunStatus.finished, stop_reason: str | None = None
    ) -> None:
        """Mark a trajectory finished, failed or interrupted, stamping `finished_at` and why it stopped."""
        status = RunStatus(status)
        if status is RunStatus.running:
            raise ValueError("finish_trajectory needs a final status: finished, failed or interrupted")
        with self._write.begin() as session:
            row = session.get(TrajectoryModel, trajectory_id)
            if row is None:
                raise NotFoundError(f"trajectory {trajectory_id} is not in the store")
            row.status = status
            row.stop_reason = stop_reason
            row.finished_at = utcnow()

    def trajectories_for_run(self, run_id: str) -> list[TrajectoryRow]:
        """The trajectories of a run, by task and index."""
        query = (
            select(TrajectoryModel)
            .where(TrajectoryModel.run_id == run_id)
            .order_by(TrajectoryModel.task_id, TrajectoryModel.index)
        )
        with self._read() as session:
            return [to_row(row, TrajectoryRow) for row in session.scalars(query)]

    def add_turn(
        self,
        trajectory_id: int,
        index: int,
        prompt: str,
        reply: str,
        *,
        model: str,
        reasoning: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        latency_s: float | None = None,
        cost_usd: float | None = None,
        outcome: TurnOutcome | str | None = None,
        candidate_id: int | None = None,
        evaluation_id: int | None = None,
    ) -> int:
        """Store turn number `index` (one LLM call) of a trajectory; returns its id.

        `outcome` says what came of it; a turn whose kernel is judged later gets it via `set_turn_outcome`.
        """
        with self._write.begin() as session:
            if session.get(TrajectoryModel, trajectory_id) is None:
                raise NotFoundError(
                    f"trajectory {trajectory_id} is not in the store; call add_trajectory first"
                )
            row = TurnModel(
                trajectory_id=trajectory_id,
                index=index,
                prompt=prompt,
                reply=reply,
                reasoning=reasoning,
                model=model,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                latency_s=latency_s,
                cost_usd=cost_usd,
                outcome=None if outcome is None else TurnOutcome(outcome),
                candidate_id=candidate_id,
                evaluation_id=evaluation_id,
            )
            session.add(row)
            session.flush()
            return row.id

    def set_turn_outcome(
        self,
        turn_id: int,
        outcome: TurnOutcome | str,
        candidate_id: int | None = None,
        evaluation_id: int | None = None,
    ) -> None:
        """Link a stored turn to what came of it: the candidate it produced and the evaluation that judged it."""
        with self._write.begin() as session:
            row = session.get(TurnModel, turn_id)
            if row is None:
                raise NotFoundError(f"turn {turn_id} is not in the store")
            row.outcome = TurnOutcome(outcome)
            row.candidate_id = candidate_id
            row.evaluation_id = evaluation_id

    def turns_for_trajectory(self, trajectory_id: int) -> list[TurnRow]:
        """The turns of a trajectory, in order."""
        query = select(TurnModel).where(TurnModel.trajectory_id == trajectory_id).order_by(TurnModel.index)
        with self._read() as session:
            return [to_row(row, TurnRow) for row in session.scalars(query)]

    def judged_turns(self, platform: str | None = None) -> list[JudgedTurnRow]:
        """Every turn linked to an evaluation (on one platform when given), with its run, task and verdict.

        Oldest first. The source of training data: a cached turn appears too (its reply repeats a judged
        kernel), so callers deduplicate by `candidate_hash`.
        """
        query = (
            select(TurnModel, RunModel, TaskModel, CandidateModel.normalized_hash, EvaluationModel)
            .join(EvaluationModel, EvaluationModel.id == TurnModel.evaluation_id)
            .join(CandidateModel, CandidateModel.id == EvaluationModel.candidate_id)
            .join(TrajectoryModel, TrajectoryModel.id == TurnModel.trajectory_id)
            .join(RunModel, RunModel.id == TrajectoryModel.run_id)
            .join(TaskModel, TaskModel.id == TrajectoryModel.task_id)
            .order_by(TurnModel.created_at, TurnModel.id)
        )
        if platform is not None:
            query = query.where(EvaluationModel.platform == platform)
        with self._read() as session:
            return [
                JudgedTurnRow(turn=to_row(turn, TurnRow), run_id=run.id, run_kind=run.kind, task_id=task.id,
                              task_category=task.category, task_held_out=task.held_out, candidate_hash=digest,
                              evaluation=eval_result(ev, digest))
                for turn, run, task, digest, ev in session.execute(query)
            ]
