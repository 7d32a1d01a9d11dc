"""Verdict provenance (db/provenance.py): whether a verdict was jailed and which tolerance judged it are columns,
the harness version a plain version, and every reader reuses only verdicts made as its request's would be.

Each bug the suffixed harness version caused has a test here, on SQLite and PostgreSQL: GRPO rollouts and the
exemplar pool under KernelBench's tolerance never found their own verdicts, an unjailed KernelBench-tolerance
verdict overflowed PostgreSQL's column, and unjailed baselines were recorded as jailed.
"""

from __future__ import annotations

import asyncio
from typing import Any, NoReturn

import pytest
from store_data import KERNEL, KERNEL_OTHER, make_result, make_task

from kernelwright.agent.bench.runner import record_baselines
from kernelwright.agent.exemplars import exemplar_pool
from kernelwright.db import Store
from kernelwright.db.enums import BaselineKind, RunKind
from kernelwright.evaluator.baseline_result import BaselineResult, BaselineStatus, SideTiming
from kernelwright.evaluator.hashing import normalized_hash
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import HARNESS_VERSION, EvalResult, ToleranceMode
from kernelwright.rl.prompts import TrainingPrompts
from kernelwright.rl.rollouts import RolloutJudge
from kernelwright.tasks.model import Task

KERNELBENCH = EvalOptions(tolerance=ToleranceMode.kernelbench)
UNJAILED_KERNELBENCH = EvalOptions(tolerance=ToleranceMode.kernelbench, unsafe_no_jail=True)


class NoEvaluator:
    """A cluster that must not be asked: every verdict a test wants is in the store already."""

    platform = "cpu"

    async def evaluate(self, task: Task, source: str, options: EvalOptions) -> NoReturn:
        raise AssertionError(f"judged again although a {options.tolerance.value}-tolerance verdict was stored")


def _rollout(store: Store, task: Task, options: EvalOptions, source: str) -> EvalResult | None:
    run_id = store.create_run(RunKind.train, {})
    judge = RolloutJudge(store, NoEvaluator(), run_id, {task.id: task}, options, "test-model")  # type: ignore[arg-type]
    reply = f"```python\n{source}\n```"
    return asyncio.run(judge([[{"role": "user", "content": "p"}]], [reply], [task.id]))[0]


def test_grpo_rollouts_find_their_own_kernelbench_tolerance_verdicts(store: Store) -> None:
    task = make_task()
    store.record_evaluation(task, KERNEL, make_result(task, tolerance=ToleranceMode.kernelbench, speedup=3.0))
    found = _rollout(store, task, KERNELBENCH, KERNEL)
    assert found is not None and found.tolerance is ToleranceMode.kernelbench and found.speedup == 3.0


def test_grpo_rollouts_never_take_a_strict_verdict_for_a_kernelbench_one(store: Store) -> None:
    task = make_task()
    store.record_evaluation(task, KERNEL, make_result(task))  # strict tolerance
    with pytest.raises(AssertionError, match="judged again"):
        _rollout(store, task, KERNELBENCH, KERNEL)


def test_exemplars_of_a_kernelbench_tolerance_run(store: Store) -> None:
    task = make_task()
    store.record_evaluation(task, KERNEL, make_result(task, tolerance=ToleranceMode.kernelbench, speedup=3.0))
    store.record_evaluation(task, KERNEL_OTHER, make_result(task, KERNEL_OTHER, speedup=1.5))  # strict
    # The GRPO prompts show it (and bench's, through the same pool)...
    prompts = TrainingPrompts(store, "cpu", KERNELBENCH, None, None, exemplars=2)
    assert "clamp_min(0)" in prompts.messages(task)[-1].content
    # ...and only it: the strict verdict's kernel is another run's kind of evidence.
    pool = exemplar_pool(store, task.source_hash, "cpu", KERNELBENCH)
    assert [(e.source, e.speedup) for e in pool] == [(KERNEL, 3.0)]
    assert [e.source for e in exemplar_pool(store, task.source_hash, "cpu", EvalOptions())] == [KERNEL_OTHER]


def test_an_unjailed_kernelbench_tolerance_verdict_is_stored_and_found(store: Store) -> None:
    # Its old suffixed version ("2.2.0+kernelbench-tolerance+unjailed", 36 characters) overflowed PostgreSQL's
    # String(32) column (StringDataRightTruncation); now the version stays plain and the rest are columns.
    task = make_task()
    result = make_result(task, jailed=False, tolerance=ToleranceMode.kernelbench)
    store.record_evaluation(task, KERNEL, result)
    [stored] = store.evaluations_for_task(task.id)
    assert stored.result == result and stored.result.harness_version == HARNESS_VERSION
    assert _rollout(store, task, UNJAILED_KERNELBENCH, KERNEL) == result
    for jailed_options in (KERNELBENCH, EvalOptions(unsafe_no_jail=True)):
        with pytest.raises(AssertionError, match="judged again"):
            _rollout(store, task, jailed_options, KERNEL)


def _baseline(**provenance: Any) -> BaselineResult:
    side = SideTiming(median_ms=1.0, min_ms=0.9, ci_ms=(0.95, 1.05))
    return BaselineResult(status=BaselineStatus.measured, platform="cpu", eager=side, **provenance)


def test_unjailed_baselines_are_recorded_as_unjailed(store: Store) -> None:
    task = make_task()
    store.upsert_task(task)
    record_baselines(store, task, _baseline(jailed=False), None)
    row = store.latest_baseline(task.id, None, "cpu", BaselineKind.eager)
    assert row is not None and row.jailed is False and row.harness_version == HARNESS_VERSION


def test_baselines_are_reused_only_as_they_were_measured(store: Store) -> None:
    from kernelwright.db.provenance import VerdictKey

    task = make_task()
    store.upsert_task(task)
    record_baselines(store, task, _baseline(jailed=False), None)
    record_baselines(store, task, _baseline(tolerance=ToleranceMode.kernelbench), None)

    def found(options: EvalOptions) -> ToleranceMode | None:
        row = store.latest_baseline(task.id, None, "cpu", BaselineKind.eager, key=VerdictKey.of_options(options))
        return None if row is None else row.tolerance

    assert found(EvalOptions()) is None  # neither was measured jailed at the task's tolerance
    assert found(KERNELBENCH) is ToleranceMode.kernelbench
    assert found(EvalOptions(unsafe_no_jail=True)) is ToleranceMode.task
    assert found(UNJAILED_KERNELBENCH) is None


def test_the_key_admits_only_verdicts_made_the_same_way(store: Store) -> None:
    from kernelwright.db.provenance import VerdictKey

    task = make_task()
    digest = normalized_hash(KERNEL)
    kinds = [(jailed, tolerance) for jailed in (True, False) for tolerance in ToleranceMode]
    for i, (jailed, tolerance) in enumerate(kinds):
        store.record_evaluation(task, KERNEL, make_result(task, jailed=jailed, tolerance=tolerance, speedup=i + 1.0))
    for i, (jailed, tolerance) in enumerate(kinds):
        key = VerdictKey(HARNESS_VERSION, jailed, tolerance)
        found = store.find_evaluation(task.source_hash, digest, "cpu", key)
        assert found is not None and found.speedup == i + 1.0 and key.admits(found)
        assert [r.speedup for _, r in store.scored_candidates(task.source_hash, "cpu", key)] == [i + 1.0]
        assert store.best_for_task(task.id, "cpu", key=key)[1].speedup == i + 1.0  # type: ignore[index]
    assert store.find_evaluation(task.source_hash, digest, "cpu", VerdictKey("2.1.0")) is None
    assert VerdictKey(jailed=False, tolerance=ToleranceMode.kernelbench).label == (
        f"{HARNESS_VERSION}, unjailed, kernelbench tolerance")


def test_the_migration_converts_suffixed_versions_into_columns(db_url: str) -> None:
    from alembic import command
    from sqlalchemy import text

    from kernelwright.db.engine import alembic_config, make_engine

    task = make_task()
    kernelbench = make_result(task, tolerance=ToleranceMode.kernelbench)
    unjailed = make_result(task, KERNEL_OTHER, jailed=False)
    with Store(db_url) as store:
        store.record_evaluation(task, KERNEL, kernelbench)
        store.record_evaluation(task, KERNEL_OTHER, unjailed)
    # The revision before this one kept provenance as suffixes: that is what rows written then look like.
    command.downgrade(alembic_config(db_url), "0006_node_hardware")
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            old = conn.execute(text("SELECT harness_version FROM evaluation ORDER BY id")).scalars().all()
    finally:
        engine.dispose()
    assert old == [f"{HARNESS_VERSION}+kernelbench-tolerance", f"{HARNESS_VERSION}+unjailed"]
    with Store(db_url) as store:  # opening upgrades
        assert [row.result for row in store.evaluations_for_task(task.id)] == [kernelbench, unjailed]
        assert _rollout(store, task, KERNELBENCH, KERNEL) == kernelbench
