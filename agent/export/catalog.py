"""`kernelwright kernels list`: the stored kernels a user can sweep and ship, found without knowing a run id.

One entry per kernel: its task and platform, its newest verdict with speedup and interval, how many sweep points
it was judged at (and passed), and whether an export can take it as it is. The store keeps no record of the
packages written from a kernel, so `export` says what an export would do: ship it, sweep it first, or refuse it
(it passed at no point of its sweep).
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel

from kernelwright.db.store import Store
from kernelwright.evaluator.result import Status

CORRECT = (Status.correct, Status.unstable)  # unstable: correct, its timing unsettled


class Exportable(str, Enum):
    """What `kernelwright export KERNEL_ID` would do with the kernel now."""

    ready = "ready"  # swept, and correct at some point: it ships with that envelope
    sweep_first = "sweep first"  # never swept: the export sweeps it first
    nowhere = "nowhere"  # swept and correct at no point: refused


class KernelEntry(BaseModel):
    """One stored kernel as `kernels list` shows it."""

    kernel_id: int
    task_id: str
    platform: str
    status: Status
    speedup: float | None = None
    speedup_ci: tuple[float, float] | None = None
    swept: int = 0
    passed: int = 0
    export: Exportable


def list_kernels(store: Store, task_id: str | None = None, platform: str | None = None,
                 include_failed: bool = False, limit: int = 50) -> list[KernelEntry]:
    """The newest `limit` kernels (newest first), by their newest verdict: correct ones only unless
    `include_failed`, of one task or platform when given."""
    tasks = [task_id] if task_id is not None else [t.id for t in store.list_tasks()]
    newest: dict[int, KernelEntry] = {}
    for task in tasks:
        for e in store.evaluations_for_task(task, platform):  # oldest first: a later verdict replaces an earlier
            r = e.result
            newest[e.candidate_id] = KernelEntry(kernel_id=e.candidate_id, task_id=task, platform=r.platform,
                                                 status=r.status, speedup=r.speedup, speedup_ci=r.speedup_ci,
                                                 export=Exportable.sweep_first)
    shown = [k for k in newest.values() if include_failed or k.status in CORRECT]
    shown = sorted(shown, key=lambda k: -k.kernel_id)[:limit]
    for entry in shown:
        rows = store.sweep_for_kernel(entry.kernel_id, entry.platform)
        entry.swept = len(rows)
        entry.passed = sum(1 for r in rows if r.result.status in CORRECT)
        if rows:
            entry.export = Exportable.ready if entry.passed else Exportable.nowhere
    return shown
