"""A KernelBench file's own `TASK_CONFIG`: the tolerance it asks for, and what of it Kernelwright does not apply.

Some KernelBench forks give each task a `TASK_CONFIG = {'atol': ..., 'rtol': ..., 'comparison_mode': ...}`, written
for the outputs the task has (a softmax over 393216 columns asks for atol 1e-5). Its `atol` and `rtol` become the
task's own tolerance, as a `TOLERANCE` would (a file's `TOLERANCE`, Kernelwright's own key, wins when it has both);
the relative-L2 bound on the whole output stays as for every task. Nothing else in it is applied: a
`comparison_mode` other than `default` (plain `allclose`, which is what Kernelwright does) and any other key are
named in the task's notes, shown by `tasks import` and `tasks show`, so a task is never judged by a rule other than
the one its author wrote without saying so.

The dict is read as a literal from the parsed file (`tasks.sizes.literal_assignment`), never by running the file:
an imported task is untrusted until its probe has run in the jail.
"""

from __future__ import annotations

import ast
from typing import Any

from pydantic import BaseModel, Field

from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.sizes import literal_assignment

NAME = "TASK_CONFIG"
APPLIED_KEYS = ("atol", "rtol")
DEFAULT_MODE = "default"  # KernelBench's plain allclose: the comparison Kernelwright makes


class TaskConfig(BaseModel):
    """What a file's `TASK_CONFIG` sets that Kernelwright applies, and notes on what it does not."""

    tolerance: dict[str, float] = Field(default_factory=dict, description="atol/rtol it sets, for `Tolerance`")
    notes: list[str] = Field(default_factory=list, description="keys or values read but not applied, and why")


def _number(value: Any) -> float | None:
    """A tolerance value, or None when it is not a finite non-negative number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if number >= 0 and number != float("inf") else None


def read_task_config(tree: ast.Module, origin: str, has_tolerance: bool = False) -> TaskConfig:
    """The `TASK_CONFIG` of a parsed task file (empty when it has none).

    `has_tolerance`: the file also sets `TOLERANCE`, which wins over the config's atol/rtol (said in a note).
    """
    try:
        value = literal_assignment(tree, NAME, origin, "dict")
    except TaskLoadError:
        return TaskConfig(notes=[f"{NAME} is not a literal dict; ignored (the task is judged at its default "
                                 "tolerance)"])
    if value is None:
        return TaskConfig()
    if not isinstance(value, dict):
        return TaskConfig(notes=[f"{NAME} is not a dict; ignored"])
    config = TaskConfig()
    for key in APPLIED_KEYS:
        if key not in value:
            continue
        number = _number(value[key])
        if number is None:
            config.notes.append(f"{NAME} {key} {value[key]!r} is not a non-negative number; ignored")
        else:
            config.tolerance[key] = number
    if config.tolerance and has_tolerance:
        config.notes.append(f"{NAME} atol/rtol ignored: the file's TOLERANCE sets the tolerance")
        config.tolerance = {}
    mode = value.get("comparison_mode", DEFAULT_MODE)
    if mode != DEFAULT_MODE:
        config.notes.append(f"{NAME} comparison_mode {mode!r} is not implemented: outputs are compared with "
                            "allclose at its atol/rtol and the relative-L2 bound, as in the default mode")
    unknown = sorted(repr(k) for k in value if k not in (*APPLIED_KEYS, "comparison_mode"))
    if unknown:
        config.notes.append(f"{NAME} keys not implemented (ignored): {', '.join(unknown)}")
    return config
