"""`kernelwright sweep`: one stored kernel judged at every point of its task's shape sweep.

Each point is a full evaluation (the same evaluator, jail and judge as every other), preceded by the task's
probe at that size, which records the input shapes the export's dispatch needs. The verdicts are stored per
point, replacing an earlier sweep of the same kernel.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from kernelwright.agent.export.envelope import Envelope, PointVerdict, envelope_of
from kernelwright.db.rows import SweepPointRow
from kernelwright.db.store import Store
from kernelwright.evaluator.api import evaluate, probe, resolve_size
from kernelwright.evaluator.platforms import get_platform
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status
from kernelwright.tasks.loader import load_task_source
from kernelwright.tasks.model import Task
from kernelwright.tasks.sweep import SweepPoint, sweep_note, sweep_points, task_at_point


class SweepError(Exception):
    """A sweep that cannot start (no such kernel, its task is gone, a bad `SWEEP`)."""


class KernelToSweep(BaseModel):
    """A stored kernel with its task, as the sweep and the export load it."""

    candidate_id: int
    platform: str
    source: str
    task: Task
    allow_torch: bool = False


def load_kernel(store: Store, candidate_id: int) -> KernelToSweep:
    """The stored kernel `candidate_id` with its task; `SweepError` when either is missing."""
    candidate = store.get_candidate(candidate_id)
    if candidate is None:
        raise SweepError(f"no kernel {candidate_id} in the store (see `kernelwright runs show RUN_ID`)")
    row = store.get_task(candidate.task_id)
    if row is None:
        raise SweepError(f"kernel {candidate_id}'s task {candidate.task_id!r} is not in the store")
    task = load_task_source(row.source, row.id, task_id=row.id)
    judged = [e for e in store.evaluations_for_task(row.id, candidate.platform) if e.candidate_id == candidate_id]
    allow_torch = judged[-1].result.allow_torch if judged else False
    return KernelToSweep(candidate_id=candidate_id, platform=candidate.platform, source=candidate.source,
                         task=task, allow_torch=allow_torch)


def at_platform_size(kernel: KernelToSweep) -> KernelToSweep:
    """The kernel with its task at the size its platform judges at (a GPU's, say): the sweep's centre."""
    return kernel.model_copy(update={"task": resolve_size(kernel.task, None, kernel.platform)})


class SweepPlan(BaseModel):
    """The points a sweep will judge, and where they came from (`tasks.sweep.sweep_note`)."""

    points: list[SweepPoint]
    note: str


def sweep_plan(kernel: KernelToSweep, limit: int = 8, options: EvalOptions | None = None) -> SweepPlan:
    """The sweep points of `kernel` around its platform's size, with why there are as many as there are;
    `TaskLoadError` for a bad `SWEEP`. The task is probed first (a jailed run, remembered by source hash, so the
    sweep's own first point reuses it): its input shapes pick the knobs of a task without `SIZES`."""
    task = at_platform_size(kernel).task
    probed = probe(task, kernel.platform, options=options)
    shapes = probed.input_shapes if probed.ok else None
    points = sweep_points(task, limit, shapes)
    return SweepPlan(points=points, note=sweep_note(task, points, limit, shapes))


def planned_points(kernel: KernelToSweep, limit: int = 8, options: EvalOptions | None = None) -> list[SweepPoint]:
    """The sweep points of `kernel` (see `sweep_plan`)."""
    return sweep_plan(kernel, limit, options).points


def _judged_at(kernel: KernelToSweep, point: SweepPoint,
               options: EvalOptions) -> tuple[EvalResult, list[list[int] | None], list[str | None]]:
    """The verdict at one point, with the input shapes and dtypes the task's probe saw there."""
    task = task_at_point(kernel.task, point)
    probed = probe(task, kernel.platform, options=options)
    if not probed.ok:
        result = EvalResult(status=Status.runtime_error, reason=Reason.task_error, stage=Stage.correctness,
                            message=f"the reference cannot run at this size: {probed.problem}",
                            platform=kernel.platform, task_id=task.id, task_hash=task.source_hash, size=task.size)
        return result, [], []
    result = evaluate(task.model_copy(update={"input_groups": probed.input_groups}), kernel.source,
                      kernel.platform, options)
    return result, probed.input_shapes, probed.input_dtypes


def run_sweep(store: Store, candidate_id: int, *, limit: int = 8, options: EvalOptions | None = None,
              on_point: Callable[[SweepPoint, EvalResult], None] | None = None,
              points: list[SweepPoint] | None = None) -> list[SweepPointRow]:
    """Judge the kernel at each sweep point (`points`, or its task's first `limit`) and store every verdict."""
    kernel = load_kernel(store, candidate_id)
    opts = (options or EvalOptions()).model_copy(update={"allow_torch": kernel.allow_torch})
    todo = points if points is not None else planned_points(kernel, limit, opts)
    kernel = at_platform_size(kernel)
    for point in todo:
        result, shapes, dtypes = _judged_at(kernel, point, opts)
        store.record_sweep_point(candidate_id, kernel.platform, point.label, point.constants, result,
                                 input_shapes=shapes, input_dtypes=dtypes)
        if on_point is not None:
            on_point(point, result)
    return store.sweep_for_kernel(candidate_id, kernel.platform)


def point_verdicts(rows: list[SweepPointRow]) -> list[PointVerdict]:
    """What the envelope reads of stored sweep rows (points whose reference could not run are left out)."""
    return [PointVerdict(label=r.label, constants=r.constants, input_shapes=r.input_shapes or [],
                         input_dtypes=r.input_dtypes or [], status=r.result.status,
                         reason=r.result.reason.value if r.result.reason else None, speedup=r.result.speedup,
                         speedup_ci=r.result.speedup_ci)
            for r in rows if r.input_shapes]


def stored_envelope(store: Store, candidate_id: int, platform: str) -> Envelope:
    """The envelope of a kernel's stored sweep on `platform` (empty when it was never swept)."""
    return envelope_of(point_verdicts(store.sweep_for_kernel(candidate_id, platform)),
                       get_platform(platform).device.type)
