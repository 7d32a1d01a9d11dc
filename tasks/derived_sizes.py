"""Derived sizes for an imported task that has no `SIZES`: its integer constants, scaled down step by step.

KernelBench files are written at GPU sizes (`batch_size = 16`, `dim = 16384`, 3-D convolutions of 64 channels), far
too large for one CPU core or the Triton interpreter. `tasks import` derives two smaller sizes from the file's own
module-level integer constants, and the file as written stays the `gpu` size:

- Which constants scale: `NAME = <int>` at top level (also `D, H, W = 16, 32, 32` and `height = width = 128`),
  where the name says batch (`batch_size`, `batch`, `bs`, `num_batches`; not `N`, which in KernelBench is as often
  a matrix extent) and the value is at least 2, or the value is at least `MIN_SCALED` and the name is not one of a
  convolution's or a layout's knobs (kernel size, stride, padding, dilation, groups, axis, layers, heads, seeds):
  those change what the model computes, not how much.
- Each constant is of one kind, from its name: `batch`; `spatial` (height, width, depth, length, sequence, time,
  frames, image size, their one-letter `H`/`W`/`D`, and KernelBench's numbered trailing extents `dim1`, `dim2`);
  or `other`: the model's own dimensions (channels, features, hidden and embedding sizes, matrix extents `M`/`N`/`K`,
  a softmax's `dim`), where a smaller value is a smaller model, not the same model on less data.
- One step halves one constant, in that order of kinds: the batch ones first, down to `BATCH_FLOOR`; then the
  spatial ones in turn; only when both are spent, the others in turn, as a last resort (a 4096-square matmul has
  nothing else to scale). A non-batch constant is halved only while it is even, stays at or above `FLOOR`, and
  stays divisible by every group or head count of the file that divided it as written; halving by powers of two
  keeps the divisibility a model needs between constants (channels by groups, an embedding by its heads).
- `tasks import` probes step 0 (the file as written) and moves down, jumping by the measured eager time, until the
  probe passes with an eager time of at most `CPU_BUDGET_MS` on one core: that step is the `cpu` size; the `small`
  size is `SMALL_EXTRA_STEPS` steps further (not probed: the Triton interpreter's tasks are checked when run). A
  jump never passes `last_resort_step` in one go: the step before the first model dimension is halved is probed
  first, so a model is made smaller only when less data alone does not fit.

The scale is stored: the imported snapshot of the file has its constants at the `cpu` values and a
`SIZES = {"gpu": <as written>, "small": <derived>}` appended, so everything downstream treats it like a suite task.
`scale_label` says what changed, the model's own dimensions marked as the last resort they are.
"""

from __future__ import annotations

import ast
import math
import re
from enum import Enum

from pydantic import BaseModel, Field

from kernelwright.tasks.parsing import parse
from kernelwright.tasks.sizes import rewrite_constants

MIN_SCALED = 16  # smaller non-batch integers are indices, counts or knobs rather than extents
FLOOR = 8  # a non-batch extent is never halved below this
BATCH_FLOOR = 2  # a BatchNorm in training mode needs more than one value per channel
CPU_BUDGET_MS = 50.0  # the suite's CPU size: eager 1-50 ms on one core
CPU_TARGET_MS = 20.0  # where a jump from a measured eager time aims, inside the budget
SMALL_EXTRA_STEPS = 6  # the small size does 1/64 of the CPU size's work, give or take
_BATCH = re.compile(r"^(batch(_?size)?|bs|num_batches)$", re.IGNORECASE)
_KNOBS = re.compile(r"kernel|stride|pad|dilation|group|axis|layer|head|seed",
                    re.IGNORECASE)
_DIVISORS = re.compile(r"group|head", re.IGNORECASE)  # counts a model divides other constants by
_SPATIAL_WORDS = {"height", "width", "depth", "length", "len", "seq", "sequence", "time", "timesteps", "frames",
                  "spatial", "image", "img", "pixels", "h", "w", "d"}
_NUMBERED_EXTENT = re.compile(r"^dim_?\d+$", re.IGNORECASE)  # KernelBench's dim1, dim2: trailing axes of an input


class Kind(str, Enum):
    """What a scaled constant is, in the order the steps halve them."""

    batch = "batch"
    spatial = "spatial"
    other = "other"  # the model's own dimensions: scaled only as a last resort


class Scalable(BaseModel):
    """One constant the derivation may halve."""

    name: str
    value: int
    kind: Kind
    aliases: list[str] = Field(default_factory=list, description="names assigned the same value (`h = w = 128`)")
    divisors: list[int] = Field(default_factory=list, description="group/head counts it must stay divisible by")


def constant_kind(name: str) -> Kind:
    """The kind of a constant, from its name alone (see the module's docstring)."""
    if _BATCH.match(name):
        return Kind.batch
    words = {w for w in re.split(r"[_\d]+", name.lower()) if w}
    if words & _SPATIAL_WORDS or _NUMBERED_EXTENT.match(name):
        return Kind.spatial
    return Kind.other


def _int_assignments(tree: ast.Module) -> list[tuple[list[str], int]]:
    """Top-level integer constants: `([names...], value)`, one entry per value (`a = b = 8` names two)."""
    found: list[tuple[list[str], int]] = []
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        if all(isinstance(t, ast.Name) for t in node.targets):
            if isinstance(node.value, ast.Constant) and type(node.value.value) is int:
                found.append(([t.id for t in node.targets if isinstance(t, ast.Name)], node.value.value))
        elif (len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple) and isinstance(node.value, ast.Tuple)
              and len(node.targets[0].elts) == len(node.value.elts)):
            for target, value in zip(node.targets[0].elts, node.value.elts):
                if isinstance(target, ast.Name) and isinstance(value, ast.Constant) and type(value.value) is int:
                    found.append(([target.id], value.value))
    return found


def scalable_constants(source: str) -> list[Scalable]:
    """The file's constants that scale, in the order steps halve them: batch, spatial, then the others."""
    try:
        tree = parse(source)
    except SyntaxError:
        return []
    assignments = _int_assignments(tree)
    divisors = sorted({value for names, value in assignments
                       if value > 1 and any(_DIVISORS.search(n) for n in names)})
    found: dict[str, Scalable] = {}
    for names, value in assignments:
        name = names[0]
        kind = constant_kind(name)
        if kind is Kind.batch and value >= 2 or kind is not Kind.batch and value >= MIN_SCALED and not any(
                _KNOBS.search(n) for n in names):
            for other in names:
                found.pop(other, None)  # a later assignment of the same name is the one that counts
            # Groups divide channels and heads divide embeddings (the model's own dimensions), never an extent.
            needs = [d for d in divisors if value % d == 0] if kind is Kind.other else []
            found[name] = Scalable(name=name, value=value, kind=kind, aliases=names[1:], divisors=needs)
    order = list(Kind)
    return sorted(found.values(), key=lambda c: order.index(c.kind))


def _halved(constant: Scalable, value: int) -> int | None:
    """The constant's next value, or None when it may not be halved again."""
    if constant.kind is Kind.batch:
        return value // 2 if value // 2 >= BATCH_FLOOR else None
    if value % 2 or value // 2 < FLOOR or any((value // 2) % d for d in constant.divisors):
        return None
    return value // 2


def scaled_values(constants: list[Scalable], step: int) -> dict[str, int]:
    """The constants' values after `step` halvings (fewer when they run out: see `max_step`)."""
    values = {c.name: c.value for c in constants}
    turns = dict.fromkeys(Kind, 0)
    for _ in range(step):
        for kind in Kind:
            group = [c for c in constants if c.kind is kind]
            # Batch constants go down one after another; the others take turns, so no extent alone goes to its floor.
            start = 0 if kind is Kind.batch else turns[kind]
            for offset in range(len(group)):
                constant = group[(start + offset) % len(group)]
                new = _halved(constant, values[constant.name])
                if new is not None:
                    values[constant.name] = new
                    turns[kind] = (start + offset + 1) % len(group)
                    break
            else:
                continue  # nothing of this kind can be halved: the next kind
            break
        else:
            break  # nothing can be halved at all
    return values


def max_step(constants: list[Scalable]) -> int:
    """How many halvings the constants allow in all."""
    step = 0
    while scaled_values(constants, step + 1) != scaled_values(constants, step):
        step += 1
    return step


def last_resort_step(constants: list[Scalable]) -> int:
    """The last step that leaves the model's own dimensions as written (batch and extents spent by then)."""
    written = {c.name: c.value for c in constants if c.kind is Kind.other}
    step = 0
    while step < max_step(constants) and all(scaled_values(constants, step + 1)[n] == v for n, v in written.items()):
        step += 1
    return step


def steps_for(eager_ms: float) -> int:
    """Halvings that bring a measured eager time down to about `CPU_TARGET_MS` (each roughly halves the work)."""
    return max(1, math.ceil(math.log2(eager_ms / CPU_TARGET_MS)))


def scale_label(written: dict[str, int], values: dict[str, int], aliases: dict[str, list[str]] | None = None) -> str:
    """What a derived size changed, e.g. `derived: batch_size 128->2, depth 16->8, last resort: in_channels 64->32`.

    `written` holds the constants as the file has them (the `gpu` size), `values` the derived size's; the model's own
    dimensions (`Kind.other`) are listed after `last resort:`, so nobody mistakes a smaller model for less data.
    """
    def part(name: str) -> str:
        shown = "=".join([name, *(aliases or {}).get(name, [])])
        return f"{shown} {written[name]}->{values[name]}"

    changed = [n for n in written if values.get(n, written[n]) != written[n]]
    plain = [part(n) for n in changed if constant_kind(n) is not Kind.other]
    model = [part(n) for n in changed if constant_kind(n) is Kind.other]
    if not changed:
        return "as written"
    return "derived: " + ", ".join(plain + (["last resort: " + ", ".join(model)] if model else []))


def with_derived_sizes(source: str, cpu: dict[str, int], small: dict[str, int], gpu: dict[str, int],
                       origin: str) -> str:
    """The file with its constants at the `cpu` values and the other two sizes declared in an appended `SIZES`."""
    body = rewrite_constants(source, cpu, origin, what="the derived cpu size")
    sizes = {"gpu": gpu, "small": small}
    note = ("# Derived by `kernelwright tasks import` (tasks/derived_sizes.py): the constants above are the cpu "
            "size,\n# `gpu` is the file as written.\n")
    return body.rstrip("\n") + "\n\n\n" + note + f"SIZES = {sizes!r}\n"
