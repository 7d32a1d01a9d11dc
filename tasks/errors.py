"""Errors raised while loading a task file."""

from __future__ import annotations


class TaskLoadError(ValueError):
    """A task file could not be loaded; the message names the file and the problem."""

    def __init__(self, origin: str, problem: str) -> None:
        super().__init__(f"{origin}: {problem}")
        self.origin = origin
        self.problem = problem
