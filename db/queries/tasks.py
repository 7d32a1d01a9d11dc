"""Tasks: the stored copy of each task and its held-out mark."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernelwright.db.convert import insert_unique, json_safe, to_row
from kernelwright.db.errors import NotFoundError
from kernelwright.db.models import TaskModel
from kernelwright.db.queries.base import QueryBase
from kernelwright.db.rows import TaskRow
from kernelwright.tasks.model import Task


def upsert_task_in(session: Session, task: Task) -> TaskModel:
    """Insert or update `task` inside the caller's transaction (see `TaskQueries.upsert_task`)."""
    values: dict[str, Any] = {
        "name": task.name,
        "category": task.category.value,
        "level": task.level,
        "source_hash": task.source_hash,
        "source": task.source,
        "tolerance": json_safe(task.tolerance.model_dump(mode="json")),
    }
    row = session.get(TaskModel, task.id)
    if row is None:
        row = insert_unique(
            session,
            TaskModel(id=task.id, **values),
            lambda: session.get(TaskModel, task.id, populate_existing=True),
        )
    for key, value in values.items():
        # Assigning equal values is not a change, so an unchanged task is not rewritten.
        setattr(row, key, value)
    if task.held_out:
        row.held_out = True
    session.flush()
    return row


class TaskQueries(QueryBase):
    """Task queries of the `Store`."""

    def upsert_task(self, task: Task) -> None:
        """Insert `task`, or update the stored copy (same id) to its current source and hash.

        A task that says it is held out (`Task.held_out`: the suite's list, `tasks import --held-out`) marks the
        row held out; otherwise the mark is left as it is (`set_held_out` sets or clears it).
        """
        with self._write.begin() as session:
            upsert_task_in(session, task)

    def get_task(self, task_id: str) -> TaskRow | None:
        """The stored task `task_id`, or None."""
        with self._read() as session:
            row = session.get(TaskModel, task_id)
            return None if row is None else to_row(row, TaskRow)

    def list_tasks(self, *, held_out: bool | None = None) -> list[TaskRow]:
        """All stored tasks by id; with `held_out` given, only those whose held-out mark equals it."""
        query = select(TaskModel).order_by(TaskModel.id)
        if held_out is not None:
            query = query.where(TaskModel.held_out == held_out)
        with self._read() as session:
            return [to_row(row, TaskRow) for row in session.scalars(query)]

    def set_held_out(self, task_id: str, held_out: bool) -> None:
        """Mark a task as held out of training data (benchmark tasks), or clear the mark."""
        with self._write.begin() as session:
            row = session.get(TaskModel, task_id)
            if row is None:
                raise NotFoundError(f"task {task_id!r} is not in the store; call upsert_task first")
            row.held_out = held_out
