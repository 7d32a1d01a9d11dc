"""Evaluations in the store: round trips, the cache lookup, atomicity, best kernels, the exemplar pool."""

from __future__ import annotations

from typing import Any

import pytest
from store_data import KERNEL, KERNEL_OTHER, KERNEL_REFORMATTED, TASK_SOURCE, count, make_result, make_task

import kernelwright.db.queries.evaluations as evaluation_queries
from kernelwright.db import Store
from kernelwright.db.enums import BaselineKind
from kernelwright.db.models import CandidateModel, EvaluationModel, TaskModel
from kernelwright.db.provenance import VerdictKey
from kernelwright.evaluator.hashing import normalized_hash
from kernelwright.evaluator.result import (
    CorrectnessStats,
    Reason,
    Stage,
    Status,
)


def test_record_and_find_evaluation_round_trip(store: Store) -> None:
    task = make_task()
    hw = store.upsert_hardware("fp-1", "cpu", "2-core EPYC", {})
    result = make_result(task)
    evaluation_id = store.record_evaluation(task, KERNEL, result, hardware_id=hw, flags={"note": "x"})

    assert store.get_task(task.id) is not None
    found = store.find_evaluation(
        task.source_hash, normalized_hash(KERNEL_REFORMATTED), "cpu", VerdictKey()
    )
    assert found == result

    row = store.get_evaluation(evaluation_id)
    assert row is not None
    assert (row.hardware_id, row.baseline_kind, row.flags, row.result) == (
        hw,
        BaselineKind.eager,
        {"note": "x"},
        result,
    )
    assert store.get_evaluation(evaluation_id + 1000) is None


def test_non_finite_numbers_round_trip(store: Store) -> None:
    # A NaN-filled output makes the error stats NaN/inf; PostgreSQL's JSON has no literal for those.
    task = make_task()
    result = make_result(
        task,
        status=Status.incorrect,
        reason=Reason.output_mismatch,
        stage=Stage.correctness,
        speedup=None,
        speedup_ci=None,
        correctness=CorrectnessStats(trials=1, max_abs_error=float("nan"), max_rel_error=float("inf")),
        timing=None,
    )
    store.record_evaluation(task, KERNEL, result)
    found = store.find_evaluation(task.source_hash, normalized_hash(KERNEL), "cpu")
    assert found is not None and found.correctness is not None
    assert found.correctness.max_abs_error != found.correctness.max_abs_error  # NaN
    assert found.correctness.max_rel_error == float("inf")
    assert found.timing is None and found.speedup_ci is None


def test_cache_lookup_respects_version_platform_task_hash_and_allow_torch(store: Store) -> None:
    task = make_task()
    digest = normalized_hash(KERNEL)
    store.record_evaluation(task, KERNEL, make_result(task))
    assert store.find_evaluation(task.source_hash, digest, "cpu", VerdictKey(), False) is not None
    assert store.find_evaluation(task.source_hash, digest, "cpu", VerdictKey("0.9.0"), False) is None
    assert store.find_evaluation(task.source_hash, digest, "cuda", VerdictKey(), False) is None
    assert store.find_evaluation(task.source_hash, digest, "cpu", VerdictKey(), True) is None
    assert store.find_evaluation("other-task-hash", digest, "cpu", VerdictKey(), False) is None
    assert store.find_evaluation(task.source_hash, normalized_hash(KERNEL_OTHER), "cpu") is None

    # Another harness version is stored side by side, and found only under its own version.
    store.record_evaluation(task, KERNEL, make_result(task, harness_version="9.0.0", speedup=3.0))
    assert store.find_evaluation(task.source_hash, digest, "cpu", VerdictKey("9.0.0")).speedup == 3.0  # type: ignore[union-attr]
    assert store.find_evaluation(task.source_hash, digest, "cpu", VerdictKey()).speedup == 2.1  # type: ignore[union-attr]

    # The newest result wins; harness errors and unsettled timings are never served from the cache.
    store.record_evaluation(task, KERNEL, make_result(task, speedup=2.5))
    store.record_evaluation(
        task,
        KERNEL,
        make_result(task, status=Status.runtime_error, reason=Reason.harness_error, stage=Stage.build),
    )
    store.record_evaluation(
        task, KERNEL, make_result(task, status=Status.unstable, reason=Reason.unstable_timing, speedup=None)
    )
    assert store.find_evaluation(task.source_hash, digest, "cpu").speedup == 2.5  # type: ignore[union-attr]


def test_record_evaluation_is_atomic(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    task = make_task()

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full while inserting the evaluation")

    # Fails after the task upsert and the candidate insert were flushed in the same transaction.
    monkeypatch.setattr(evaluation_queries, "evaluation_columns", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        store.record_evaluation(task, KERNEL, make_result(task))
    assert store.get_task(task.id) is None
    assert count(store, CandidateModel) == 0
    assert count(store, TaskModel) == 0
    assert count(store, EvaluationModel) == 0

    # An existing task is left exactly as it was, too.
    store.upsert_task(task)
    with pytest.raises(RuntimeError):
        store.record_evaluation(make_task(source=TASK_SOURCE + "# v2\n"), KERNEL, make_result(task))
    assert store.get_task(task.id).source_hash == task.source_hash  # type: ignore[union-attr]
    assert count(store, CandidateModel) == 0

    monkeypatch.undo()
    store.record_evaluation(task, KERNEL, make_result(task))
    assert count(store, CandidateModel) == 1


def test_record_evaluation_rejects_result_for_another_task(store: Store) -> None:
    task = make_task()
    with pytest.raises(ValueError, match="other/task"):
        store.record_evaluation(task, KERNEL, make_result(task, task_id="other/task"))
    assert store.get_task(task.id) is None


def test_evaluations_and_best_for_task(store: Store) -> None:
    task = make_task()
    assert store.best_for_task(task.id, "cpu") is None
    slow = make_result(task, speedup=1.2)
    fast = make_result(task, source=KERNEL_OTHER, speedup=3.4, candidate_hash=normalized_hash(KERNEL_OTHER))
    wrong = make_result(
        task,
        source="print('x')",
        status=Status.incorrect,
        reason=Reason.output_mismatch,
        stage=Stage.correctness,
        speedup=9.9,
        candidate_hash=normalized_hash("print('x')"),
    )
    store.record_evaluation(task, KERNEL, slow)
    store.record_evaluation(task, KERNEL_OTHER, fast)
    store.record_evaluation(task, "print('x')", wrong)
    store.record_evaluation(task, KERNEL, make_result(task, platform="cuda", speedup=50.0))

    rows = store.evaluations_for_task(task.id)
    assert [r.result.speedup for r in rows] == [1.2, 3.4, 9.9, 50.0]
    assert [r.result for r in store.evaluations_for_task(task.id, "cpu")] == [slow, fast, wrong]
    assert store.evaluations_for_task("nope/nope") == []

    best = store.best_for_task(task.id, "cpu")
    assert best == (KERNEL_OTHER, fast)
    assert store.best_for_task(task.id, "cuda") == (KERNEL, make_result(task, platform="cuda", speedup=50.0))
    assert store.best_for_task(task.id, "cpu", key=VerdictKey("0.1")) is None

    # After the task changes, results against the old version no longer count as its best.
    store.upsert_task(make_task(source=TASK_SOURCE + "# v2\n"))
    assert store.best_for_task(task.id, "cpu") is None
    assert len(store.evaluations_for_task(task.id)) == 4


def test_best_for_task_filters_hardware(store: Store) -> None:
    task = make_task()
    hw1 = store.upsert_hardware("fp-1", "cpu", "one", {})
    hw2 = store.upsert_hardware("fp-2", "cpu", "two", {})
    store.record_evaluation(task, KERNEL, make_result(task, speedup=1.5), hardware_id=hw1)
    store.record_evaluation(
        task, KERNEL_OTHER, make_result(task, source=KERNEL_OTHER, speedup=2.5), hardware_id=hw2
    )
    assert store.best_for_task(task.id, "cpu", hardware_id=hw1)[1].speedup == 1.5  # type: ignore[index]
    assert store.best_for_task(task.id, "cpu")[1].speedup == 2.5  # type: ignore[index]


# --- runs, trajectories, turns -----------------------------------------------------------------------


def test_scored_candidates_fastest_first_newest_result(store: Store) -> None:
    task = make_task()
    store.record_evaluation(task, KERNEL, make_result(task, speedup=1.2))
    store.record_evaluation(task, KERNEL, make_result(task, speedup=1.4))  # newer result of the same kernel
    store.record_evaluation(task, KERNEL_OTHER, make_result(task, KERNEL_OTHER, speedup=3.0))
    wrong = KERNEL.replace("clamp_min(0)", "abs()")
    store.record_evaluation(task, wrong, make_result(task, wrong, status=Status.incorrect, speedup=None,
                                                     speedup_ci=None, reason=Reason.output_mismatch))
    scored = store.scored_candidates(task.source_hash, "cpu")
    assert [(c.source, r.speedup) for c, r in scored] == [(KERNEL_OTHER, 3.0), (KERNEL, 1.4)]
    assert store.scored_candidates(task.source_hash, "cuda") == []
    found = store.find_evaluation_row(task.source_hash, normalized_hash(KERNEL), "cpu")
    assert found is not None and found.result.speedup == 1.4
