"""Shape sweeps: the problem sizes a kernel is checked at beyond the task's own.

A sweep point is a set of overrides of the task's size knobs, so `get_inputs()` follows without any change to the
file, as with named sizes. Where the knobs come from, in order:

- `SWEEP = [{"BATCH": 3, "DIM": 17}, ...]`: the task's own points, as listed;
- `SIZES`: the integer constants it overrides;
- neither (most operators users bring, every KernelBench file): the constants the importer would scale
  (tasks/derived_sizes.py: batch names, then spatial/sequence extents, the model's own dimensions last) that
  size the task's inputs, i.e. whose value is an extent of a probed input shape.

From the knobs the grid is derived: the task as written, odd and prime sizes, tiny, and each knob halved and
doubled (batch first for derived knobs). Each point says which rule made it, and `sweep_note` why a sweep has as
many points as it has.
"""

from __future__ import annotations

from pydantic import BaseModel

from kernelwright.tasks.derived_sizes import Kind, Scalable, scalable_constants
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.loader import parse_task
from kernelwright.tasks.model import Task
from kernelwright.tasks.parsing import parse
from kernelwright.tasks.sizes import literal_assignment, rewrite_constants, size_knobs

TASK_POINT = "task"
_KIND_WORDS = {Kind.batch: "batch", Kind.spatial: "extent", Kind.other: "model dimension"}


class SweepPoint(BaseModel):
    """One problem size of a sweep: a label, the size knobs it overrides (none: the task as written) and the rule
    that made it."""

    label: str
    constants: dict[str, int] = {}
    rule: str = ""


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
    points = [SweepPoint(label=",".join(f"{k}={v}" for k, v in point.items()), constants=point,
                         rule="listed in the task's SWEEP") for point in value]
    return [SweepPoint(label=TASK_POINT, rule="the task as written"), *points]


def derived_knobs(source: str, input_shapes: list[list[int] | None] | None) -> list[Scalable]:
    """The constants a task without `SIZES` is swept over: those the importer's rules would scale, batch first,
    kept only when their value is an extent of one of the probed `input_shapes` (all of them when not probed)."""
    constants = scalable_constants(source)
    if input_shapes is None:
        return constants
    extents = {d for shape in input_shapes if shape for d in shape}
    return [c for c in constants if c.value in extents]


def _grid(knobs: dict[str, int], kinds: dict[str, str], fixed: set[str]) -> list[SweepPoint]:
    """The task, odd, prime, tiny, then each knob halved and doubled; `fixed` knobs (a model dimension that group or
    head counts divide) move only when halved or doubled, which keeps that divisibility."""
    def each(change: dict[str, int]) -> dict[str, int]:
        return {k: v if k in fixed else change[k] for k, v in knobs.items()}

    points = [SweepPoint(label=TASK_POINT, constants=dict(knobs), rule="the task as written")]
    if not knobs:
        return points
    points += [SweepPoint(label="odd", constants=each({k: v + 1 if v % 2 == 0 else v + 2 for k, v in knobs.items()}),
                          rule="odd: every knob to an odd value above it"),
               SweepPoint(label="prime", constants=each({k: _next_prime(max(2, v // 2) + 1) for k, v in knobs.items()}),
                          rule="prime: every knob to the prime just above its half"),
               SweepPoint(label="tiny", constants=each(dict.fromkeys(knobs, 1)), rule="tiny: every knob 1")]
    for name, value in knobs.items():
        if value > 1:
            points.append(SweepPoint(label=f"{name}/2", constants={**knobs, name: value // 2},
                                     rule=f"{name} ({kinds[name]}) halved"))
        points.append(SweepPoint(label=f"{name}x2", constants={**knobs, name: value * 2},
                                 rule=f"{name} ({kinds[name]}) doubled"))
    return points


def sweep_points(task: Task, limit: int = 8, input_shapes: list[list[int] | None] | None = None) -> list[SweepPoint]:
    """Up to `limit` points around `task` at its size (a platform's default size, say), most telling first; the
    task at that size is always the first. Every derived point gives every knob's value, so it names the same
    shapes whichever size its source is rewritten from. `input_shapes` (the task's probed ones) pick the derived
    knobs of a task without `SIZES` (see `derived_knobs`)."""
    origin = task.path or task.id
    declared = _declared_points(task.source, origin)
    if declared is not None:
        return declared[:limit]
    knobs = size_knobs(task.source, origin)
    if knobs:
        points = _grid(knobs, dict.fromkeys(knobs, "SIZES knob"), set())
    else:
        derived = derived_knobs(task.source, input_shapes)
        points = _grid({c.name: c.value for c in derived}, {c.name: _KIND_WORDS[c.kind] for c in derived},
                       {c.name for c in derived if c.kind is Kind.other and c.divisors})
    unique: dict[tuple[tuple[str, int], ...], SweepPoint] = {}
    for point in points:
        unique.setdefault(tuple(sorted(point.constants.items())), point)
    return list(unique.values())[:limit]


def sweep_note(task: Task, points: list[SweepPoint], limit: int,
               input_shapes: list[list[int] | None] | None = None) -> str:
    """Where the points' knobs came from, and why there are no more of them than there are."""
    origin = task.path or task.id
    more = "" if len(points) < limit else f" (the first {limit}: --shapes takes more)"
    if _declared_points(task.source, origin) is not None:
        return f"{len(points)} points: the task's SWEEP{more}"
    knobs = size_knobs(task.source, origin)
    if knobs:
        return f"{len(points)} points from the knobs SIZES overrides: {', '.join(knobs)}{more}"
    derived = derived_knobs(task.source, input_shapes)
    if not derived:
        return ("1 point (the task as written): it has no SIZES or SWEEP, and none of its top-level integer "
                "constants sizes its inputs the way the importer scales sizes (a batch name, or an extent of at least "
                "16 that is no kernel/stride/group/head knob); add SWEEP = [{...}] to the task to sweep it")
    named = ", ".join(f"{c.name} ({_KIND_WORDS[c.kind]})" for c in derived)
    return (f"{len(points)} points: no SIZES or SWEEP, so the knobs are the constants that size its inputs, by the "
            f"importer's rules (batch first, then extents, model dimensions last): {named}{more}")


def task_at_point(task: Task, point: SweepPoint) -> Task:
    """The task with the point's constants substituted (metadata and hash recomputed); `size` names the point."""
    if not point.constants:
        return task
    origin = task.path or task.id
    source = rewrite_constants(task.source, point.constants, origin, what=f"sweep point {point.label!r}")
    moved = parse_task(source, origin, task_id=task.id)
    return moved.model_copy(update={"size": f"sweep:{point.label}", "sizes": task.sizes,
                                    "input_groups": task.input_groups, "path": task.path})
