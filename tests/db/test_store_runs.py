"""Runs, trajectories, turns, baselines and dataset exports in the store."""

from __future__ import annotations

import pytest
from store_data import KERNEL, make_result, make_task

from kernelwright.db import NotFoundError, Store
from kernelwright.db.enums import BaselineKind, RunKind, RunStatus, TurnOutcome
from kernelwright.db.provenance import VerdictKey


def test_runs_trajectories_turns_round_trip(store: Store) -> None:
    task = make_task()
    store.upsert_task(task)
    run_id = store.create_run(RunKind.optimize, {"model": "qwen", "turns": 4})
    bench_id = store.create_run("bench")
    assert len(run_id) == 12 and int(run_id, 16) >= 0

    run = store.get_run(run_id)
    assert run is not None
    assert (run.kind, run.status, run.config, run.finished_at) == (
        RunKind.optimize,
        RunStatus.running,
        {"model": "qwen", "turns": 4},
        None,
    )
    assert {r.id for r in store.list_runs()} == {run_id, bench_id}
    assert [r.id for r in store.list_runs(kind="bench")] == [bench_id]
    assert len(store.list_runs(limit=1)) == 1

    traj = store.add_trajectory(run_id, task.id, 0)
    traj2 = store.add_trajectory(run_id, task.id, 1)
    first = store.add_turn(
        traj,
        0,
        "write a relu kernel",
        "```python\n...\n```",
        model="qwen",
        reasoning="think",
        prompt_tokens=120,
        completion_tokens=300,
        latency_s=1.5,
        cost_usd=0.0003,
    )
    second = store.add_turn(traj, 1, "it failed to build", "fixed", model="qwen")
    cand = store.add_candidate(task.id, KERNEL, "cpu", turn_id=first)
    assert store.get_candidate(cand).turn_id == first  # type: ignore[union-attr]

    turns = store.turns_for_trajectory(traj)
    assert [t.id for t in turns] == [first, second]
    assert (turns[0].prompt, turns[0].reasoning, turns[0].prompt_tokens, turns[0].cost_usd) == (
        "write a relu kernel",
        "think",
        120,
        0.0003,
    )
    assert (turns[1].reasoning, turns[1].latency_s) == (None, None)
    assert store.turns_for_trajectory(traj2) == []

    store.finish_trajectory(traj, RunStatus.finished)
    store.finish_trajectory(traj2, "failed")
    trajectories = store.trajectories_for_run(run_id)
    assert [(t.id, t.index, t.status) for t in trajectories] == [
        (traj, 0, RunStatus.finished),
        (traj2, 1, RunStatus.failed),
    ]
    assert all(t.finished_at is not None for t in trajectories)

    store.finish_run(run_id, "interrupted")
    finished = store.get_run(run_id)
    assert finished is not None and finished.status is RunStatus.interrupted
    assert finished.finished_at is not None and finished.finished_at >= finished.created_at

    store.reopen_run(run_id)
    reopened = store.get_run(run_id)
    assert reopened is not None and (reopened.status, reopened.finished_at) == (RunStatus.running, None)
    # Finished trajectories stay finished; the failed one runs again.
    assert [t.status for t in store.trajectories_for_run(run_id)] == [RunStatus.finished, RunStatus.running]


def test_turn_outcomes_and_stop_reason(store: Store) -> None:
    task = make_task()
    run_id = store.create_run(RunKind.optimize)
    store.upsert_task(task)
    traj = store.add_trajectory(run_id, task.id, 0)
    store.add_turn(traj, 0, "p", "no code here", model="m", outcome=TurnOutcome.no_code)
    judged = store.add_turn(traj, 1, "p", "```python ...```", model="m")
    evaluation = store.record_evaluation(task, KERNEL, make_result(task), turn_id=judged)
    row = store.get_evaluation(evaluation)
    assert row is not None
    store.set_turn_outcome(judged, "evaluated", candidate_id=row.candidate_id, evaluation_id=evaluation)
    turns = store.turns_for_trajectory(traj)
    assert [(t.outcome, t.candidate_id, t.evaluation_id) for t in turns] == [
        (TurnOutcome.no_code, None, None),
        (TurnOutcome.evaluated, row.candidate_id, evaluation),
    ]
    store.finish_trajectory(traj, RunStatus.finished, stop_reason="no improvement in 2 turns")
    assert store.trajectories_for_run(run_id)[0].stop_reason == "no improvement in 2 turns"
    with pytest.raises(NotFoundError):
        store.set_turn_outcome(10_000, "cached")


def test_run_errors(store: Store) -> None:
    with pytest.raises(ValueError):
        store.create_run("nonsense")
    run_id = store.create_run("eval")
    with pytest.raises(ValueError, match="final status"):
        store.finish_run(run_id, RunStatus.running)
    with pytest.raises(NotFoundError):
        store.finish_run("0" * 12)
    with pytest.raises(NotFoundError, match="upsert_task"):
        store.add_trajectory(run_id, "missing/task", 0)
    with pytest.raises(NotFoundError, match="create_run"):
        store.add_trajectory("0" * 12, "missing/task", 0)
    with pytest.raises(NotFoundError, match="add_trajectory"):
        store.add_turn(999, 0, "p", "r", model="m")
    assert store.get_run("0" * 12) is None


# --- baselines and exports ---------------------------------------------------------------------------


def test_baselines(store: Store) -> None:
    task = make_task()
    store.upsert_task(task)
    hw = store.upsert_hardware("fp-1", "cpu", "one", {})
    assert store.latest_baseline(task.id, hw, "cpu", "eager") is None

    store.record_baseline(task.id, task.source_hash, "cpu", "eager", 1.0, hardware_id=hw, min_ms=0.9)
    newer = store.record_baseline(
        task.id, task.source_hash, "cpu", BaselineKind.eager, 1.1, hardware_id=hw, ci=(1.0, 1.2)
    )
    store.record_baseline(task.id, task.source_hash, "cpu", "compile", 0.5, hardware_id=hw)
    store.record_baseline(task.id, "old-hash", "cpu", "eager", 7.0)

    latest = store.latest_baseline(task.id, hw, "cpu", "eager")
    assert latest is not None
    assert (latest.id, latest.median_ms, latest.min_ms, latest.ci, latest.kind) == (
        newer,
        1.1,
        None,
        (1.0, 1.2),
        BaselineKind.eager,
    )
    assert store.latest_baseline(task.id, hw, "cpu", "compile").median_ms == 0.5  # type: ignore[union-attr]
    assert store.latest_baseline(task.id, None, "cpu", "eager").median_ms == 7.0  # type: ignore[union-attr]
    assert store.latest_baseline(task.id, None, "cpu", "eager", task_hash=task.source_hash) is None
    assert store.latest_baseline(task.id, hw, "cpu", "eager", key=VerdictKey("0.0.1")) is None
    assert store.latest_baseline(task.id, hw, "cuda", "eager") is None
    with pytest.raises(NotFoundError):
        store.record_baseline("missing/task", "h", "cpu", "eager", 1.0)


def test_dataset_exports(store: Store) -> None:
    first = store.record_dataset_export("sft-jsonl", "/tmp/a.jsonl", 10, {"held_out": "excluded"})
    second = store.record_dataset_export("openai-jsonl", "/tmp/b.jsonl", 3)
    exports = store.list_dataset_exports()
    assert {e.id for e in exports} == {first, second}
    by_id = {e.id: e for e in exports}
    assert (by_id[first].format, by_id[first].record_count, by_id[first].config) == (
        "sft-jsonl",
        10,
        {"held_out": "excluded"},
    )
    assert by_id[second].config == {}


# --- migrations and concurrency ----------------------------------------------------------------------
