"""Re-score a stored run: re-evaluate its candidates under the current harness and say what changed.

The new evaluations are stored next to the old ones (nothing is overwritten); a run of kind `eval` records the
mapping old -> new, which `bench` metrics (leaderboard, report) then use for the re-scored run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from pydantic import BaseModel

from kernelwright.agent.bench.metrics import rescore_map
from kernelwright.agent.evaluators import EvaluatorPool
from kernelwright.agent.verdicts import VerdictRecorder
from kernelwright.db import Store
from kernelwright.db.enums import RunKind, RunStatus
from kernelwright.db.provenance import VerdictKey
from kernelwright.evaluator import EvalOptions, EvalResult
from kernelwright.evaluator.result import HARNESS_VERSION, Status
from kernelwright.tasks.loader import load_task_source


class Change(BaseModel):
    """One candidate's verdict before and after."""

    task_id: str
    candidate_id: int
    old_evaluation_id: int
    new_evaluation_id: int
    old_harness: str
    old_status: Status
    new_status: Status
    old_speedup: float | None
    new_speedup: float | None
    new_speedup_ci: tuple[float, float] | None
    changed: bool
    note: str = ""


class RescoreReport(BaseModel):
    """What a re-score did."""

    run_id: str
    rescore_run_id: str | None = None  # None when nothing needed re-scoring (no run is stored then)
    harness_version: str
    candidates: int
    skipped_current: int
    changes: list[Change]

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.changed]


def run_settings(config: dict[str, object]) -> tuple[str, EvalOptions]:
    """The platform and evaluation options a bench or optimize run was stored with."""
    inner = config.get("bench") or config.get("optimize")
    if not isinstance(inner, dict):
        raise LookupError("this run has no bench or optimize config to re-score with")
    return str(inner.get("platform", "cpu")), EvalOptions.model_validate(inner.get("eval", {}))


def verdict_changed(old: EvalResult, new: EvalResult) -> str:
    """Why two verdicts of one candidate differ in a way a leaderboard would show ('' when they don't)."""
    if old.status is not new.status:
        return f"{old.status.value} -> {new.status.value} ({new.reason.value})"
    if old.speedup_ci is not None and new.speedup is not None and not (
            old.speedup_ci[0] <= new.speedup <= old.speedup_ci[1]):
        return f"speedup {old.speedup:.2f}x -> {new.speedup:.2f}x, outside the old interval"
    return ""


async def rescore_run(store: Store, cluster: EvaluatorPool, run_id: str, force: bool = False,
                      on_done: Callable[[Change], None] | None = None) -> RescoreReport:
    """Re-evaluate every candidate the run judged under an older harness (all of them with `force`)."""
    run = store.get_run(run_id)
    if run is None:
        raise LookupError(f"no run {run_id!r} in the store (see `kernelwright runs list`)")
    platform, options = run_settings(run.config or {})
    evaluation_ids: list[int] = []
    for traj in store.trajectories_for_run(run_id):
        for turn in store.turns_for_trajectory(traj.id):
            if turn.evaluation_id is not None and turn.evaluation_id not in evaluation_ids:
                evaluation_ids.append(turn.evaluation_id)
    # Judge each turn's newest verdict: an earlier re-score's, where there was one.
    remap = rescore_map(store, run_id)
    originals = {remap.get(i, i): i for i in evaluation_ids}  # the verdict judged now -> the turn's own
    rows = [row for row_id in originals if (row := store.get_evaluation(row_id)) is not None]
    current = VerdictKey.of_options(options)  # how a result judged now under the run's options is made
    todo = [row for row in rows if force or not current.admits(row.result)]
    if not todo:
        return RescoreReport(run_id=run_id, rescore_run_id=None, harness_version=HARNESS_VERSION,
                             candidates=len(rows), skipped_current=len(rows), changes=[])
    rescore_id = store.create_run(RunKind.eval, {"rescore_of": run_id, "harness_version": HARNESS_VERSION,
                                                 "force": force, "evaluations": {}})
    recorder = VerdictRecorder(store, platform)

    async def one(row_id: int) -> Change:
        row = store.get_evaluation(row_id)
        assert row is not None
        candidate = store.get_candidate(row.candidate_id)
        task_row = store.get_task(row.result.task_id or "")
        if candidate is None or task_row is None:
            raise LookupError(f"evaluation {row_id} lost its candidate or task")
        task = load_task_source(task_row.source, task_row.id, task_id=task_row.id)
        judged = await cluster.evaluate(task, candidate.source, options)
        new, site = judged.result, judged.site
        new_id = recorder.record(task, candidate.source, new, site.hardware, node_id=site.node_id,
                                 node_address=site.node_address).evaluation_id
        why = verdict_changed(row.result, new)
        note = why if task_row.source_hash == row.result.task_hash else f"{why} (the task changed since)".strip()
        change = Change(task_id=task.id, candidate_id=candidate.id, old_evaluation_id=row.id,
                        new_evaluation_id=new_id, old_harness=row.result.provenance, old_status=row.result.status,
                        new_status=new.status, old_speedup=row.result.speedup, new_speedup=new.speedup,
                        new_speedup_ci=new.speedup_ci, changed=bool(why), note=note)
        if on_done is not None:
            on_done(change)
        return change

    try:
        changes = list(await asyncio.gather(*(one(row.id) for row in todo)))
    except BaseException:
        store.finish_run(rescore_id, RunStatus.failed)
        raise
    store.set_run_config(rescore_id, {"rescore_of": run_id, "harness_version": HARNESS_VERSION, "force": force,
                                      "evaluations": {str(originals[c.old_evaluation_id]): c.new_evaluation_id
                                                      for c in changes}})
    store.finish_run(rescore_id, RunStatus.finished)
    return RescoreReport(run_id=run_id, rescore_run_id=rescore_id, harness_version=HARNESS_VERSION,
                         candidates=len(rows), skipped_current=len(rows) - len(todo), changes=changes)
