"""Derived sizes for an imported task that has no `SIZES`: its integer constants, scaled down step by step.

KernelBench files are written at GPU sizes (`batch_size = 16`, `dim = 16384`, 3-D convolutions of 64 channels), far
too large for one CPU core or the Triton interpreter. `tasks import` derives two smaller sizes from the file's own
module-level integer constants, and the file as written stays the `gpu` size:

- Which constants scale: `NAME = <int>` at top level, where the name says batch (`batch_size`, `batch`, `bs`,
  `num_batches`; not `N`, which in KernelBench is as often a matrix extent) and the value is at least 2, or the
  value is at least `MIN_SCALED` and the name is not one of a convolution's or a layout's knobs (kernel size,
  stride, padding, dilation, groups, axis, layers, heads, seeds): those change what the model computes, not how
  much.
- One step halves one constant: the batch ones first, down to 1; then the others in turn, each only while it is
  even and stays at or above `FLOOR` (halving every scaled constant by powers of two keeps the divisibility a
  model needs between them, e.g. channels by groups or an embedding by its heads).
- `tasks import` probes step 0 (the file as written) and moves down, jumping by the measured eager time, until the
  probe passes with an eager time of at most `CPU_BUDGET_MS` on one core: that step is the `cpu` size; the `small`
  size is `SMALL_EXTRA_STEPS` steps further (not probed: the Triton interpreter's tasks are checked when run).

The scale is stored: the imported snapshot of the file has its constants at the `cpu` values and a
`SIZES = {"gpu": <as written>, "small": <derived>}` appended, so everything downstream treats it like a suite task.
"""

from __future__ import annotations

import ast
import math
import re

from pydantic import BaseModel

from tasks.sizes import rewrite_constants

MIN_SCALED = 16  # smaller non-batch integers are indices, counts or knobs rather than extents
FLOOR = 8  # a non-batch extent is never halved below this
CPU_BUDGET_MS = 50.0  # the suite's CPU size: eager 1-50 ms on one core
CPU_TARGET_MS = 20.0  # where a jump from a measured eager time aims, inside the budget
SMALL_EXTRA_STEPS = 6  # the small size does 1/64 of the CPU size's work, give or take
_BATCH = re.compile(r"^(batch(_?size)?|bs|num_batches)$", re.IGNORECASE)
_KNOBS = re.compile(r"kernel|stride|pad|dilation|group|axis|layer|head|seed",
                    re.IGNORECASE)


class Scalable(BaseModel):
    """One constant the derivation may halve."""

    name: str
    value: int
    batch: bool


def scalable_constants(source: str) -> list[Scalable]:
    """The file's constants that scale, batch ones first (the order steps halve them in)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: dict[str, Scalable] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            continue
        name = node.targets[0].id
        value = node.value
        if not (isinstance(value, ast.Constant) and type(value.value) is int):
            continue
        batch = bool(_BATCH.match(name))
        if (batch and value.value >= 2) or (not batch and value.value >= MIN_SCALED and not _KNOBS.search(name)):
            found[name] = Scalable(name=name, value=value.value, batch=batch)
    return sorted(found.values(), key=lambda c: not c.batch)


def scaled_values(constants: list[Scalable], step: int) -> dict[str, int]:
    """The constants' values after `step` halvings (fewer when they run out: see `max_step`)."""
    values = {c.name: c.value for c in constants}
    others = [c.name for c in constants if not c.batch]
    turn = 0
    for _ in range(step):
        batch = next((c.name for c in constants if c.batch and values[c.name] > 1), None)
        if batch is not None:
            values[batch] = max(1, values[batch] // 2)
            continue
        for offset in range(len(others)):
            name = others[(turn + offset) % len(others)]
            if values[name] % 2 == 0 and values[name] // 2 >= FLOOR:
                values[name] //= 2
                turn = (turn + offset + 1) % len(others)
                break
        else:
            break
    return values


def max_step(constants: list[Scalable]) -> int:
    """How many halvings the constants allow in all."""
    step = 0
    while scaled_values(constants, step + 1) != scaled_values(constants, step):
        step += 1
    return step


def steps_for(eager_ms: float) -> int:
    """Halvings that bring a measured eager time down to about `CPU_TARGET_MS` (each roughly halves the work)."""
    return max(1, math.ceil(math.log2(eager_ms / CPU_TARGET_MS)))


def with_derived_sizes(source: str, cpu: dict[str, int], small: dict[str, int], gpu: dict[str, int],
                       origin: str) -> str:
    """The file with its constants at the `cpu` values and the other two sizes declared in an appended `SIZES`."""
    body = rewrite_constants(source, cpu, origin, what="the derived cpu size")
    sizes = {"gpu": gpu, "small": small}
    note = ("# Derived by `kernelwright tasks import` (tasks/derived_sizes.py): the constants above are the cpu "
            "size,\n# `gpu` is the file as written.\n")
    return body.rstrip("\n") + "\n\n\n" + note + f"SIZES = {sizes!r}\n"
