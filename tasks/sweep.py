"""Shape sweeps: the problem sizes a kernel is checked at beyond the task's own.

A sweep point is a set of overrides of the task's size knobs (the integer constants its `SIZES` overrides), so
`get_inputs()` follows without any change to the file, as with named sizes. A task may list its own points in
`SWEEP = [{"BATCH": 3, "DIM": 17}, ...]`; otherwise the grid is derived: the task as written, odd and prime
sizes, tiny, and each knob halved and doubled.
"""

from __future__ import annotations

from pydantic import BaseModel

from tasks.errors import TaskLoadError
from tasks.loader import parse_task
from tasks.model import Task
from tasks.parsing import parse
from tasks.sizes import literal_assignment, rewrite_constants, size_knobs

TASK_POINT = "task"


class SweepPoint(BaseModel):
    """One problem size of a sweep: a label and the size knobs it overrides (none: the task as written)."""

    label: str
    constants: dict[str, int] = {}


def _next_prime(n: int) -> int:
    candidate = max(2, n)
    while any(candidate % d == 0 for d in range(2, int(candidate ** 0.5) + 1)):
        candidate += 1
    return candidate


def _declared_points(source: str, origin: str) -> list[SweepPoint] | None:
    """The task's own `SWEEP` list, or None when it declares none."""
    value = literal_assignment(parse(source), "SWEEP", origin, "list of dicts")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise TaskLoadError(origin, "SWEEP must be a list of dicts of constant overrides")
    points = [SweepPoint(label=",".join(f"{k}={v}" for k, v in point.items()), constants=point) for point in value]
    return [SweepPoint(label=TASK_POINT), *points]


def sweep_points(task: Task, limit: int = 8) -> list[SweepPoint]:
    """Up to `limit` points around `task` at its size (a platform's default size, say), most telling first; the
    task at that size is always the first. Every derived point gives every knob's value, so it names the same
    shapes whichever size its source is rewritten from."""
    origin = task.path or task.id
    declared = _declared_points(task.source, origin)
    if declared is not None:
        return declared[:limit]
    knobs = size_knobs(task.source, origin)
    points = [SweepPoint(label=TASK_POINT, constants=dict(knobs))]
    if knobs:
        points.append(SweepPoint(label="odd", constants={k: v + 1 if v % 2 == 0 else v + 2 for k, v in knobs.items()}))
        points.append(SweepPoint(label="prime", constants={k: _next_prime(max(2, v // 2) + 1)
                                                           for k, v in knobs.items()}))
        points.append(SweepPoint(label="tiny", constants={k: 1 for k in knobs}))
        for name, value in knobs.items():
            if value > 1:
                points.append(SweepPoint(label=f"{name}/2", constants={**knobs, name: value // 2}))
            points.append(SweepPoint(label=f"{name}x2", constants={**knobs, name: value * 2}))
    unique: dict[tuple[tuple[str, int], ...], SweepPoint] = {}
    for point in points:
        unique.setdefault(tuple(sorted(point.constants.items())), point)
    return list(unique.values())[:limit]


def task_at_point(task: Task, point: SweepPoint) -> Task:
    """The task with the point's constants substituted (metadata and hash recomputed); `size` names the point."""
    if not point.constants:
        return task
    origin = task.path or task.id
    source = rewrite_constants(task.source, point.constants, origin, what=f"sweep point {point.label!r}")
    moved = parse_task(source, origin, task_id=task.id)
    return moved.model_copy(update={"size": f"sweep:{point.label}", "sizes": task.sizes,
                                    "input_groups": task.input_groups, "path": task.path})
