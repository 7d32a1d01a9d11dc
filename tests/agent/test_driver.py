"""Honest early failures: the driver refuses runs its provider cannot answer, says what a GPU-less machine
cannot verify, and a trajectory stops after its first compile-only verdict."""

from __future__ import annotations

from typing import Any

import pytest

from kernelwright.agent.driver import Driver, Unanswerable, verification_note
from kernelwright.agent.evaluators import ClusterConfig, EvaluatorPool
from kernelwright.agent.providers import ProviderConfig, get_provider
from kernelwright.agent.search import SearchConfig, TrajectoryState
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status
from kernelwright.tasks.registry import resolve_task


class Job:
    """A stand-in run: the driver's checks need only its provider and tasks."""

    def __init__(self, provider: str, *task_ids: str) -> None:
        self.run_id = ""
        self.provider = get_provider(ProviderConfig(name=provider))
        self.tasks = [resolve_task(t) for t in task_ids]

    def run(self) -> Any:
        raise AssertionError("the checks come first")

    async def run_async(self) -> Any:
        raise AssertionError("the checks come first")


def test_examples_provider_without_an_example_fails_before_anything_starts() -> None:
    with pytest.raises(Unanswerable, match="no shipped example for activation/elu on cpu"):
        Driver(EvaluatorPool(ClusterConfig(), "cpu")).check(Job("examples", "activation/elu"))
    # A task with a shipped example passes the check (nothing else is started by it).
    Driver(EvaluatorPool(ClusterConfig(), "cpu")).check(Job("examples", "activation/relu"))
    # A bench mixing both is not refused: the task without one gets no turns (see TaskSearch).
    Driver(EvaluatorPool(ClusterConfig(), "cpu")).check(Job("examples", "activation/relu", "activation/elu"))


def test_a_machine_without_a_gpu_says_what_it_cannot_verify() -> None:
    cuda, triton, cpu = (EvaluatorPool(ClusterConfig(), p) for p in ("cuda", "triton", "cpu"))
    assert "only compiled" in (verification_note(cuda) or "")
    assert "never timed" in (verification_note(triton) or "")
    assert verification_note(cpu) is None
    cuda.gpus = 1
    assert verification_note(cuda) is None


def _result(status: Status) -> EvalResult:
    return EvalResult(status=status, reason=Reason.ok, stage=Stage.done, platform="cuda")


def test_a_compile_only_verdict_stops_the_trajectory() -> None:
    config = SearchConfig(turns=6, max_failures=3)
    state = TrajectoryState(index=0, db_id=1)
    state.observe(_result(Status.build_ok_unverified), config)
    assert state.done and "no GPU" in (state.stop_reason or "")
    other = TrajectoryState(index=0, db_id=2)
    other.observe(_result(Status.incorrect), config)
    assert not other.done
