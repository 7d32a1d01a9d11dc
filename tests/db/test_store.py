"""The store on SQLite and PostgreSQL: schema, every method, dedupe, cache lookup, atomicity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from db import NotFoundError, Store, default_db_url
from db.models import (
    Base,
    BaselineKind,
    CandidateModel,
    EvaluationModel,
    RunKind,
    RunStatus,
    TaskModel,
    TurnOutcome,
)
from db.store import ENV_VAR, head_revision
from evaluator.hashing import normalized_hash, sha256_text
from evaluator.result import (
    HARNESS_VERSION,
    CorrectnessStats,
    EvalResult,
    Reason,
    Stage,
    Status,
    TimingStats,
)
from tasks.model import Category, Task, Tolerance

TASK_SOURCE = """\
import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)


def get_inputs():
    return [torch.randn(16, 16)]


def get_init_inputs():
    return []
"""

KERNEL = '''\
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

CPP = """
torch::Tensor relu(torch::Tensor x) {
    return x.clamp_min(0);
}
"""


class ModelNew(nn.Module):
    def forward(self, x):
        return ext.relu(x)
'''

# The same kernel with other whitespace and a comment: must be recognised as the same candidate.
KERNEL_REFORMATTED = '''\
import torch
import torch.nn   as nn
from torch.utils.cpp_extension import load_inline
# a comment the normalizer drops

CPP = """
torch::Tensor relu(torch::Tensor x) {   return x.clamp_min(0); }
"""

class ModelNew(nn.Module):
    def forward(self, x):
        return ext.relu(x)   # trailing comment
'''

KERNEL_OTHER = KERNEL.replace("clamp_min(0)", "relu()")

ALL_TABLES = {
    "task",
    "hardware",
    "run",
    "trajectory",
    "turn",
    "candidate",
    "evaluation",
    "baseline_timing",
    "dataset_export",
    "api_token",
}


def make_task(task_id: str = "activation/relu", source: str = TASK_SOURCE) -> Task:
    return Task(
        id=task_id,
        name=task_id.split("/")[-1],
        category=Category.activation,
        level=1,
        source=source,
        source_hash=sha256_text(source),
        tolerance=Tolerance(atol=1e-5, rtol=1e-3),
    )


def make_result(task: Task, source: str = KERNEL, **overrides: Any) -> EvalResult:
    """A fully populated correct result, with the hashes the store derives, so it round-trips exactly."""
    fields: dict[str, Any] = {
        "status": Status.correct,
        "reason": Reason.ok,
        "message": "2.10x faster",
        "stage": Stage.done,
        "speedup": 2.1,
        "speedup_ci": (1.9, 2.3),
        "baseline_ms": 0.42,
        "candidate_ms": 0.2,
        "platform": "cpu",
        "hardware": "AMD EPYC 7B13 (2 threads)",
        "harness_version": HARNESS_VERSION,
        "allow_torch": False,
        "task_id": task.id,
        "task_hash": task.source_hash,
        "candidate_hash": normalized_hash(source),
        "correctness": CorrectnessStats(
            trials=5, input_groups=2, max_abs_error=1e-7, max_rel_error=2e-6, worst_index=[3, 4]
        ),
        "timing": TimingStats(
            buckets=3, runs_per_bucket=10, threads=2, bucket_ratios=[2.0, 2.1, 2.2], baseline_min_ms=0.4
        ),
        "achieved_gbps": 12.5,
        "achieved_gflops": None,
        "build_seconds": 3.25,
        "wall_seconds": 7.5,
        "log": "built in 3.25 s\n",
    }
    fields.update(overrides)
    return EvalResult(**fields)


def count(store: Store, model: type[Base]) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


# --- schema ------------------------------------------------------------------------------------------


def test_open_creates_every_table_and_is_idempotent(db_url: str) -> None:
    with Store(db_url) as first:
        task = make_task()
        first.record_evaluation(task, KERNEL, make_result(task))
    # Opening again runs the upgrade again: nothing to do, nothing lost.
    with Store(db_url) as second:
        second.upgrade()
        tables = set(inspect(second.engine).get_table_names())
        assert ALL_TABLES | {"alembic_version"} <= tables
        assert len(second.evaluations_for_task(task.id)) == 1
        with second.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [head_revision()]


def test_migration_schema_matches_models(store: Store) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_schema_comparison_detects_drift(store: Store) -> None:
    # Guards the test above against passing vacuously: a model the migration lacks must show up.
    from sqlalchemy import Column, Integer, MetaData, Table

    drifted = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    Table("not_migrated", drifted, Column("id", Integer, primary_key=True))
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, drifted)
    assert [diff[0] for diff in diffs] == ["add_table"]


# --- configuration -----------------------------------------------------------------------------------


def test_sqlite_uses_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'deep' / 'er' / 'store.db'}") as store:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            busy_timeout_ms = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
            assert busy_timeout_ms is not None and busy_timeout_ms > 0
    assert (tmp_path / "deep" / "er" / "store.db").is_file()


def test_env_var_selects_the_database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, db_url)
    assert default_db_url() == db_url
    with Store() as store:
        store.upsert_task(make_task())
    with Store(db_url) as same:
        assert same.get_task("activation/relu") is not None


def test_default_url_is_sqlite_in_user_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    # platformdirs follows XDG_DATA_HOME on Linux.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    url = default_db_url()
    assert url == f"sqlite:///{tmp_path / 'xdg' / 'kernelwright' / 'kernelwright.db'}"
    assert (tmp_path / "xdg" / "kernelwright").is_dir()


def test_in_memory_sqlite_keeps_one_database() -> None:
    # Every connection to ':memory:' would be a new empty database; the store must share one.
    with Store("sqlite://") as store:
        store.upsert_task(make_task())
        assert store.get_task("activation/relu") is not None


def test_bare_postgresql_url_gets_psycopg_driver() -> None:
    from db.store import normalize_url

    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"


# --- tasks and hardware ------------------------------------------------------------------------------


def test_upsert_task_updates_source_and_keeps_held_out(store: Store) -> None:
    assert store.get_task("activation/relu") is None
    task = make_task()
    store.upsert_task(task)
    row = store.get_task(task.id)
    assert row is not None
    assert (row.name, row.category, row.level, row.source_hash, row.source) == (
        "relu",
        "activation",
        1,
        task.source_hash,
        TASK_SOURCE,
    )
    assert row.tolerance == {"atol": 1e-5, "rtol": 1e-3}
    assert row.held_out is False
    assert row.created_at.tzinfo is not None

    store.set_held_out(task.id, True)
    changed = make_task(source=TASK_SOURCE + "\n# v2\n")
    store.upsert_task(changed)
    row2 = store.get_task(task.id)
    assert row2 is not None
    assert row2.source_hash == changed.source_hash != task.source_hash
    assert row2.held_out is True
    assert [t.id for t in store.list_tasks(held_out=True)] == [task.id]
    assert store.list_tasks(held_out=False) == []
    store.set_held_out(task.id, False)
    assert store.get_task(task.id).held_out is False  # type: ignore[union-attr]


def test_set_held_out_unknown_task(store: Store) -> None:
    with pytest.raises(NotFoundError, match="upsert_task"):
        store.set_held_out("nope/nope", True)


def test_upsert_hardware_by_fingerprint(store: Store) -> None:
    details = {"cpu_name": "AMD EPYC", "cores": 2, "peak_gbps": float("inf")}
    first = store.upsert_hardware("fp-1", "cpu", "2-core EPYC", details)
    again = store.upsert_hardware("fp-1", "cpu", "2-core EPYC, new kernel", {**details, "cores": 4})
    other = store.upsert_hardware("fp-2", "cuda", "H100", {}, gpu_name="NVIDIA H100")
    assert first == again != other
    row = store.get_hardware(first)
    assert row is not None
    assert (row.description, row.cpu_name, row.gpu_name) == ("2-core EPYC, new kernel", "AMD EPYC", None)
    assert row.details == {"cpu_name": "AMD EPYC", "cores": 4, "peak_gbps": "Infinity"}
    assert store.get_hardware(other).gpu_name == "NVIDIA H100"  # type: ignore[union-attr]
    assert store.get_hardware(12345) is None


# --- candidates --------------------------------------------------------------------------------------


def test_candidate_dedupe_by_normalized_hash(store: Store) -> None:
    task = make_task()
    store.upsert_task(task)
    first = store.add_candidate(task.id, KERNEL, "cpu")
    assert store.add_candidate(task.id, KERNEL_REFORMATTED, "cpu") == first
    assert store.add_candidate(task.id, KERNEL, "cpu", parent_id=first) == first
    child = store.add_candidate(task.id, KERNEL_OTHER, "cpu", parent_id=first)
    other_platform = store.add_candidate(task.id, KERNEL, "cuda")
    assert len({first, child, other_platform}) == 3

    row = store.get_candidate(first)
    assert row is not None
    # The first submission's text and lineage are kept.
    assert (row.source, row.parent_id, row.normalized_hash) == (KERNEL, None, normalized_hash(KERNEL))
    assert store.get_candidate(child).parent_id == first  # type: ignore[union-attr]
    assert store.find_candidate(task.id, KERNEL_REFORMATTED, "cpu").id == first  # type: ignore[union-attr]
    assert store.find_candidate(task.id, KERNEL, "triton") is None
    assert [c.id for c in store.candidates_for_task(task.id, "cpu")] == [first, child]
    assert len(store.candidates_for_task(task.id)) == 3


def test_candidate_needs_a_stored_task(store: Store) -> None:
    with pytest.raises(NotFoundError, match="upsert_task"):
        store.add_candidate("missing/task", KERNEL, "cpu")


# --- evaluations -------------------------------------------------------------------------------------


def test_record_and_find_evaluation_round_trip(store: Store) -> None:
    task = make_task()
    hw = store.upsert_hardware("fp-1", "cpu", "2-core EPYC", {})
    result = make_result(task)
    evaluation_id = store.record_evaluation(task, KERNEL, result, hardware_id=hw, flags={"note": "x"})

    assert store.get_task(task.id) is not None
    found = store.find_evaluation(
        task.source_hash, normalized_hash(KERNEL_REFORMATTED), "cpu", HARNESS_VERSION
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
    assert store.find_evaluation(task.source_hash, digest, "cpu", HARNESS_VERSION, False) is not None
    assert store.find_evaluation(task.source_hash, digest, "cpu", "0.9.0", False) is None
    assert store.find_evaluation(task.source_hash, digest, "cuda", HARNESS_VERSION, False) is None
    assert store.find_evaluation(task.source_hash, digest, "cpu", HARNESS_VERSION, True) is None
    assert store.find_evaluation("other-task-hash", digest, "cpu", HARNESS_VERSION, False) is None
    assert store.find_evaluation(task.source_hash, normalized_hash(KERNEL_OTHER), "cpu") is None

    # Another harness version is stored side by side, and found only under its own version.
    store.record_evaluation(task, KERNEL, make_result(task, harness_version="2.0.0", speedup=3.0))
    assert store.find_evaluation(task.source_hash, digest, "cpu", "2.0.0").speedup == 3.0  # type: ignore[union-attr]
    assert store.find_evaluation(task.source_hash, digest, "cpu", HARNESS_VERSION).speedup == 2.1  # type: ignore[union-attr]

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
    monkeypatch.setattr(Store, "_insert_evaluation", fail)
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
    assert store.best_for_task(task.id, "cpu", harness_version="0.1") is None

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
    assert store.latest_baseline(task.id, hw, "cpu", "eager", harness_version="0.0.1") is None
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


def test_alembic_config_runs_without_a_store(db_url: str) -> None:
    # The path the `alembic` command line (or a future `kernelwright db` command) takes: URL, no connection.
    from alembic import command

    from db.store import alembic_config, make_engine

    cfg = alembic_config(db_url)
    command.upgrade(cfg, "head")
    engine = make_engine(db_url)
    try:
        assert ALL_TABLES <= set(inspect(engine).get_table_names())
        command.downgrade(cfg, "base")
        assert not ALL_TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_concurrent_writers_share_one_candidate(db_url: str) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    with Store(db_url) as setup:
        task = make_task()
        setup.upsert_task(task)
    # Separate stores (separate engines), as separate processes would have.
    stores = [Store(db_url) for _ in range(4)]
    start = threading.Barrier(len(stores))

    def write(store: Store) -> set[int]:
        start.wait()
        ids = {store.add_candidate(task.id, KERNEL, "cpu")}
        for _ in range(5):
            store.record_evaluation(task, KERNEL, make_result(task))
        return ids

    try:
        with ThreadPoolExecutor(max_workers=len(stores)) as pool:
            ids = set().union(*pool.map(write, stores))
        assert len(ids) == 1
        assert count(stores[0], CandidateModel) == 1
        assert count(stores[0], EvaluationModel) == 20
    finally:
        for opened in stores:
            opened.close()
