"""The reference session's bookkeeping of which runners have their task loaded (no real runners here)."""

from __future__ import annotations

from typing import Any

import pytest

from kernelwright.evaluator.judge import references
from kernelwright.evaluator.judge.references import ReferenceSession, SessionKey
from kernelwright.tasks.registry import resolve_task


class FakeRunner:
    def __init__(self, config: Any) -> None:
        self.alive = True
        self.commands: list[str] = []

    def kill(self) -> None:
        self.alive = False

    def request(self, message: Any, deadline: float) -> Any:
        self.commands.append(type(message).__name__)
        return None


def test_a_replaced_runner_is_forgotten_so_a_new_one_never_passes_for_set_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """A runner that died and was replaced must leave the set-up set: a later runner may be given its id() (Python
    reuses freed addresses) and would then be sent commands before its setup."""
    monkeypatch.setattr(references, "RunnerProcess", FakeRunner)
    task = resolve_task("activation/relu")
    session = ReferenceSession(SessionKey(task.source_hash, "cpu", "cpu", 1, 0, True), task, config=None)  # type: ignore[arg-type]
    first = session.ensure_runner(deadline=0.0)
    assert first.commands == ["Setup"] and id(first) in session._set_up
    first.alive = False
    session.prestart()
    assert session.runner is not first and id(first) not in session._set_up
    second = session.ensure_runner(deadline=0.0)
    assert second.commands == ["Setup"]
    session.close()
    assert not session._set_up
