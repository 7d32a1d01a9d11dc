"""Errors raised while loading or checking a task file, and the kinds of problem a task can have."""

from __future__ import annotations

from enum import Enum


class TaskProblem(str, Enum):
    """Why a task was refused: what `tasks import`'s table and `eval --json`'s verdict say about it."""

    load_error = "load_error"  # does not parse, import, build or run
    degenerate = "degenerate"  # its reference output can't tell a right kernel from a wrong one (row 7)
    out_of_memory = "out_of_memory"  # needs more memory than its limit
    timeout = "timeout"  # takes longer than its time limit
    too_slow = "too_slow"  # while sizing an import: far over the size's eager budget, stopped at its first calls
    no_jail = "no_jail"  # nothing can run here: the jail cannot start
    data_file = "data_file"  # its inputs come from a data file that could not be read


class TaskLoadError(ValueError):
    """A task file could not be loaded; the message names the file and the problem."""

    def __init__(self, origin: str, problem: str, kind: TaskProblem = TaskProblem.load_error) -> None:
        super().__init__(f"{origin}: {problem}")
        self.origin = origin
        self.problem = problem
        self.kind = kind
