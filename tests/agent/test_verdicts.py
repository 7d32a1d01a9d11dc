"""agent/verdicts.py: the one module that judges a reply and records it, for optimize, bench, rollouts and eval.

A stored verdict is reused only when it was made as the request's would be (jail, tolerance); identical requests
in flight share one evaluation; every verdict is recorded with its candidate, hardware and Ray node, and the
turn that asked is linked to it. In process: a stand-in evaluator, SQLite.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from kernelwright.agent.evaluators import EvaluatorSite, Judged
from kernelwright.agent.providers import ProviderConfig, get_provider
from kernelwright.agent.search import SearchConfig
from kernelwright.agent.search_context import Event, SearchContext
from kernelwright.agent.task_search import TaskSearch
from kernelwright.agent.verdicts import VerdictRecorder, Verdicts
from kernelwright.db import Store
from kernelwright.db.enums import RunKind, TurnOutcome
from kernelwright.db.models import HardwareModel
from kernelwright.evaluator import EvalOptions, EvalResult
from kernelwright.evaluator.hashing import normalized_hash
from kernelwright.evaluator.platforms.base import HardwareInfo
from kernelwright.evaluator.result import Reason, Stage, Status, ToleranceMode
from kernelwright.tasks.model import Task
from kernelwright.tasks.registry import resolve_task

KERNEL = "import torch\n\n\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n        return x.relu()\n"
# The same kernel to the normalizer (another comment and spacing): the same candidate.
KERNEL_AGAIN = KERNEL.replace("class ModelNew", "# again\nclass ModelNew")
HARDWARE = HardwareInfo(fingerprint="fake-cpu", description="a fake CPU")
SITE = EvaluatorSite(node_id="node-7", node_address="10.0.0.7", hardware=HARDWARE)
STRICT, KERNELBENCH = EvalOptions(threads=1), EvalOptions(threads=1, tolerance=ToleranceMode.kernelbench)
UNJAILED = EvalOptions(threads=1, unsafe_no_jail=True)


def verdict_for(task: Task, source: str, options: EvalOptions, speedup: float = 2.0) -> EvalResult:
    """A correct verdict as the evaluator would make it under `options`."""
    return EvalResult(status=Status.correct, reason=Reason.ok, stage=Stage.done, platform="cpu", speedup=speedup,
                      speedup_ci=(speedup, speedup), baseline_ms=speedup, candidate_ms=1.0, task_id=task.id,
                      task_hash=task.source_hash, candidate_hash=normalized_hash(source),
                      tolerance=options.tolerance, jailed=not options.unsafe_no_jail)


class FakeEvaluator:
    """Judges every kernel correct on node-7; counts its calls, and holds each until `release` is set."""

    platform = "cpu"

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.release.set()

    async def evaluate(self, task: Task, source: str, options: EvalOptions) -> Judged:
        self.calls += 1
        await self.release.wait()
        return Judged(result=verdict_for(task, source, options), site=SITE)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(f"sqlite:///{tmp_path / 'kw.db'}") as opened:
        yield opened  # type: ignore[misc]


@pytest.fixture
def task(store: Store) -> Task:
    found = resolve_task("activation/relu")
    store.upsert_task(found)
    return found


def verdicts(store: Store, options: EvalOptions = STRICT) -> tuple[Verdicts, FakeEvaluator]:
    evaluator = FakeEvaluator()
    return Verdicts(VerdictRecorder(store, "cpu"), evaluator, options), evaluator


def a_turn(store: Store, task: Task, reply: str) -> tuple[int, int]:
    """A stored turn holding `reply`: (its trajectory's id, its id)."""
    trajectory_id = store.add_trajectory(store.create_run(RunKind.optimize, {}), task.id, 0)
    return trajectory_id, store.add_turn(trajectory_id, 0, "[]", reply, model="test")


def test_a_stored_verdict_made_the_same_way_is_reused(store: Store, task: Task) -> None:
    stored_id = store.record_evaluation(task, KERNEL, verdict_for(task, KERNEL, KERNELBENCH, speedup=3.0))
    judge, evaluator = verdicts(store, KERNELBENCH)
    verdict = asyncio.run(judge.judge(task, KERNEL_AGAIN))
    assert evaluator.calls == 0
    assert (verdict.outcome, verdict.evaluation_id, verdict.result.speedup) == (TurnOutcome.cached, stored_id, 3.0)


@pytest.mark.parametrize(("stored", "asked"), [(STRICT, KERNELBENCH), (KERNELBENCH, STRICT), (UNJAILED, STRICT),
                                               (STRICT, UNJAILED)],
                         ids=["strict-for-kernelbench", "kernelbench-for-strict", "unjailed-for-jailed",
                              "jailed-for-unjailed"])
def test_a_verdict_made_another_way_is_never_reused(store: Store, task: Task, stored: EvalOptions,
                                                    asked: EvalOptions) -> None:
    stored_id = store.record_evaluation(task, KERNEL, verdict_for(task, KERNEL, stored, speedup=3.0))
    judge, evaluator = verdicts(store, asked)
    verdict = asyncio.run(judge.judge(task, KERNEL))
    assert evaluator.calls == 1 and verdict.outcome is TurnOutcome.evaluated
    assert verdict.evaluation_id != stored_id
    assert (verdict.result.tolerance, verdict.result.jailed) == (asked.tolerance, not asked.unsafe_no_jail)
    # The new verdict is what the next such request reuses.
    again = asyncio.run(judge.judge(task, KERNEL))
    assert evaluator.calls == 1 and (again.outcome, again.evaluation_id) == (TurnOutcome.cached, verdict.evaluation_id)


def test_identical_requests_in_flight_share_one_evaluation(store: Store, task: Task) -> None:
    judge, evaluator = verdicts(store)

    async def both() -> list[object]:
        evaluator.release.clear()  # the first evaluation is still running when the second request comes
        first = asyncio.create_task(judge.judge(task, KERNEL))
        second = asyncio.create_task(judge.judge(task, KERNEL_AGAIN))
        await asyncio.sleep(0)
        evaluator.release.set()
        return list(await asyncio.gather(first, second))

    first, second = asyncio.run(both())
    assert evaluator.calls == 1
    assert [v.outcome for v in (first, second)] == [TurnOutcome.evaluated, TurnOutcome.cached]  # type: ignore[attr-defined]
    assert first.evaluation_id == second.evaluation_id  # type: ignore[attr-defined]


def test_a_cancelled_requester_does_not_cancel_the_evaluation_others_await(store: Store, task: Task) -> None:
    judge, evaluator = verdicts(store)

    async def first_gives_up() -> object:
        evaluator.release.clear()
        first = asyncio.create_task(judge.judge(task, KERNEL))
        await asyncio.sleep(0)
        second = asyncio.create_task(judge.judge(task, KERNEL_AGAIN))
        await asyncio.sleep(0)
        first.cancel()  # its trajectory stopped; the kernel is still wanted by the second
        await asyncio.sleep(0)
        evaluator.release.set()
        return await second

    second = asyncio.run(first_gives_up())
    assert evaluator.calls == 1 and second.result.speedup == 2.0  # type: ignore[attr-defined]


def test_a_compile_only_verdict_is_never_reused(store: Store, task: Task) -> None:
    # Made where the platform's hardware was missing: a machine that has it must judge the kernel itself.
    unverified = verdict_for(task, KERNEL, STRICT).model_copy(update={"status": Status.build_ok_unverified,
                                                                      "speedup": None, "speedup_ci": None})
    store.record_evaluation(task, KERNEL, unverified)
    judge, evaluator = verdicts(store)
    verdict = asyncio.run(judge.judge(task, KERNEL))
    assert evaluator.calls == 1 and verdict.outcome is TurnOutcome.evaluated


def test_a_verdict_is_recorded_with_its_candidate_hardware_node_and_turn(store: Store, task: Task) -> None:
    judge, _ = verdicts(store)
    parent = store.record_evaluation(task, KERNEL_AGAIN.replace("relu", "clamp_min(0)"),
                                     verdict_for(task, KERNEL, STRICT))
    parent_id = store.get_evaluation(parent).candidate_id  # type: ignore[union-attr]
    trajectory_id, turn_id = a_turn(store, task, f"```python\n{KERNEL}```")
    verdict = asyncio.run(judge.judge_reply(task, f"```python\n{KERNEL}```", turn_id=turn_id, parent_id=parent_id))
    assert verdict is not None
    row = store.get_evaluation(verdict.evaluation_id)
    assert row is not None and (row.node_id, row.node_address) == ("node-7", "10.0.0.7")
    with store.engine.connect() as conn:
        hardware = conn.execute(select(HardwareModel.id, HardwareModel.fingerprint)).all()
    assert [(h.id, h.fingerprint) for h in hardware] == [(row.hardware_id, "fake-cpu")]
    candidate = store.get_candidate(verdict.candidate_id)
    assert candidate is not None and candidate.source == KERNEL and candidate.parent_id == parent_id
    turn = store.turns_for_trajectory(trajectory_id)[0]
    assert (turn.outcome, turn.candidate_id, turn.evaluation_id) == (TurnOutcome.evaluated, verdict.candidate_id,
                                                                     verdict.evaluation_id)


def test_a_reply_without_code_is_recorded_as_such(store: Store, task: Task) -> None:
    judge, evaluator = verdicts(store)
    trajectory_id, turn_id = a_turn(store, task, "I cannot help with that.")
    assert asyncio.run(judge.judge_reply(task, "I cannot help with that.", turn_id=turn_id)) is None
    turn = store.turns_for_trajectory(trajectory_id)[0]
    assert turn.outcome is TurnOutcome.no_code and evaluator.calls == 0


def test_a_verdict_judged_in_process_is_recorded_on_no_node(store: Store, task: Task) -> None:
    recorder = VerdictRecorder(store, "cpu")
    verdict = recorder.record(task, KERNEL, verdict_for(task, KERNEL, STRICT), HARDWARE)
    again = recorder.record(task, KERNEL, verdict_for(task, KERNEL, STRICT), HARDWARE)
    first, second = store.get_evaluation(verdict.evaluation_id), store.get_evaluation(again.evaluation_id)
    assert first is not None and second is not None
    assert (first.node_id, first.node_address) == (None, None) and first.hardware_id == second.hardware_id


def test_two_trajectories_writing_the_same_kernel_are_judged_once(store: Store, task: Task) -> None:
    # TaskSearch goes through the module: the examples provider answers both trajectories with the same kernel.
    evaluator = FakeEvaluator()
    events: list[Event] = []
    run_id = store.create_run(RunKind.optimize, {})
    ctx = SearchContext(store=store, provider=get_provider(ProviderConfig(name="examples")), cluster=evaluator,  # type: ignore[arg-type]
                        run_id=run_id, platform="cpu", search=SearchConfig(trajectories=2, turns=1, exemplars=0),
                        eval=STRICT, on_event=events.append)
    search = TaskSearch(ctx, task, resuming=False)
    search.prepare()
    asyncio.run(search.run())
    assert evaluator.calls == 1
    turns = [t for trajectory in store.trajectories_for_run(run_id) for t in store.turns_for_trajectory(trajectory.id)]
    assert sorted(t.outcome.value for t in turns if t.outcome) == ["cached", "evaluated"]
    assert len({t.evaluation_id for t in turns}) == 1
    row = store.get_evaluation(turns[0].evaluation_id)  # type: ignore[arg-type]
    assert row is not None and row.node_id == "node-7"
