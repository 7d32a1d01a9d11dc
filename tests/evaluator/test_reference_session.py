"""The reference session's bookkeeping of which runners have their task loaded (no real runners here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kernelwright.evaluator.judge import references
from kernelwright.evaluator.judge.references import ReferenceSession, SessionKey
from kernelwright.evaluator.runner.protocol import MakeInputs, Reply
from kernelwright.tasks.inputs import input_groups
from kernelwright.tasks.module import exec_module_from_source
from kernelwright.tasks.registry import resolve_task


class FakeRunner:
    def __init__(self, config: Any) -> None:
        self.alive = True
        self.commands: list[str] = []
        self.asked: list[Any] = []
        self.tx = -1

    def kill(self) -> None:
        self.alive = False

    def request(self, message: Any, deadline: float) -> Any:
        self.commands.append(type(message).__name__)
        self.asked.append(message)
        return Reply(groups=[[]]) if isinstance(message, MakeInputs) else None


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


def test_timing_buckets_ask_for_the_first_input_group_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """A timing bucket runs on group 0 alone: the inputs runner is asked for it alone (relu's other groups hold
    another full-size tensor, as costly again to make and copy), while correctness still gets every group."""
    monkeypatch.setattr(references, "RunnerProcess", FakeRunner)
    task = resolve_task("activation/relu")
    session = ReferenceSession(SessionKey(task.source_hash, "cpu", "cpu", 1, 0, True), task, config=None)  # type: ignore[arg-type]
    session.config = type("Config", (), {"arena_bytes": 1 << 20})()
    session.timing_inputs(deadline=0.0)(1)
    session.fresh_inputs(deadline=0.0)
    assert session.maker is not None
    asked = [m for m in session.maker.asked if isinstance(m, MakeInputs)]  # type: ignore[attr-defined]
    assert [m.first_only for m in asked] == [True, False]
    assert asked[0].seed != asked[1].seed
    session.close()


def test_the_first_group_alone_is_the_same_group_0(tmp_path: Path) -> None:
    task = resolve_task("activation/relu")
    module = exec_module_from_source(task.source, task.name, tmp_path)
    whole, first = input_groups(module, 7, task.id), input_groups(module, 7, task.id, first_only=True)
    assert len(whole) == 4 and len(first) == 1
    assert all(a.equal(b) for a, b in zip(whole[0], first[0], strict=True))
