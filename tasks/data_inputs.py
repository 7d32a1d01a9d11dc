"""Tasks whose input groups come from a data file (MultiKernelBench's npu set) instead of `get_inputs()`.

The jail holds no file of the checkout, so such a task cannot read its data file when it runs. `tasks import`
reads the file once, on the host, as plain JSON (never executing anything), checks it, and writes the groups into
the imported snapshot as `get_inputs()` / `get_input_groups()`. The file is found as `<stem>.json` beside the task,
or as a `.json` name the task's source mentions in a string, relative to the task's folder.

The form read (any other form is refused with a reason that says so):

    {"inputs": [[ARG, ...], ...]}   or   [[ARG, ...], ...]

one list per input group, the first one timed; an ARG is a number, or a tensor spec
`{"shape": [2, 3], "dtype": "float32"}` (random normal for float dtypes, random integers in `[0, high)` with `high`
default 10 for integer ones), or `{"value": [...], "dtype": ...}` for a tensor with those values.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from kernelwright.tasks.errors import TaskLoadError, TaskProblem
from kernelwright.tasks.parsing import parse

MAX_DATA_BYTES = 4 * 2**20  # a spec file, not data: generated tensors come from the shapes
MAX_ELEMENTS = 2**31
FloatDtype = Literal["float32", "float16", "bfloat16", "float64"]
IntDtype = Literal["int64", "int32", "int16", "int8", "uint8", "bool"]


class RandomTensor(BaseModel):
    """A tensor of this shape and dtype, drawn from the seeded generator."""

    shape: list[Annotated[int, Field(ge=0)]] = Field(max_length=8)
    dtype: FloatDtype | IntDtype = "float32"
    high: int = Field(default=10, ge=1)


class ValueTensor(BaseModel):
    """A tensor with exactly these values."""

    value: list[Any]
    dtype: FloatDtype | IntDtype = "float32"


Arg = RandomTensor | ValueTensor | int | float | bool
_GROUPS: TypeAdapter[list[list[Arg]]] = TypeAdapter(list[Annotated[list[Arg], Field(max_length=64)]])


def _mentioned_json(source: str) -> list[str]:
    try:
        tree = parse(source)
    except SyntaxError:
        return []
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and n.value.endswith(".json") and "\n" not in n.value]


def data_file(path: Path, source: str) -> Path | None:
    """The data file a task without `get_inputs` takes its inputs from, if it has one."""
    beside = path.with_suffix(".json")
    if beside.is_file():
        return beside
    for name in _mentioned_json(source):
        candidate = (path.parent / name).resolve()
        if candidate.is_file() and path.parent.resolve() in candidate.parents:
            return candidate
    return None


def _groups(file: Path) -> list[list[Arg]]:
    origin = str(file)
    try:
        if file.stat().st_size > MAX_DATA_BYTES:
            raise TaskLoadError(origin, f"its input groups come from this data file, which is over "
                                f"{MAX_DATA_BYTES // 2**20} MiB (a spec file is expected)", TaskProblem.data_file)
        raw = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TaskLoadError(origin, f"its input groups come from this data file, which cannot be read as JSON "
                            f"({exc})", TaskProblem.data_file) from exc
    if isinstance(raw, dict):
        raw = raw.get("inputs")
    try:
        groups = _GROUPS.validate_python(raw)
    except ValidationError as exc:
        raise TaskLoadError(origin, "its input groups come from this data file, whose form is not one Kernelwright "
                            "reads (see tasks/data_inputs.py): " + str(exc).splitlines()[0], TaskProblem.data_file
                            ) from exc
    if not groups or not groups[0]:
        raise TaskLoadError(origin, "its input groups come from this data file, which holds no input group",
                            TaskProblem.data_file)
    for group in groups:
        for arg in group:
            if isinstance(arg, RandomTensor) and _numel(arg.shape) > MAX_ELEMENTS:
                raise TaskLoadError(origin, f"its input groups come from this data file, which asks for a tensor of "
                                    f"shape {arg.shape} (over {MAX_ELEMENTS} elements)", TaskProblem.data_file)
    return groups


def _numel(shape: list[int]) -> int:
    total = 1
    for extent in shape:
        total *= extent
    return total


def _arg_code(arg: Arg) -> str:
    if isinstance(arg, RandomTensor):
        if arg.dtype in get_args(FloatDtype):
            return f"torch.randn({arg.shape!r}).to(torch.{arg.dtype})"
        if arg.dtype == "bool":
            return f"torch.randint(0, 2, {arg.shape!r}).bool()"
        return f"torch.randint(0, {arg.high}, {arg.shape!r}).to(torch.{arg.dtype})"
    if isinstance(arg, ValueTensor):
        return f"torch.tensor({arg.value!r}, dtype=torch.{arg.dtype})"
    return repr(arg)


def with_data_inputs(source: str, path: Path, defined: set[str]) -> str:
    """The task's source with `get_inputs()` / `get_input_groups()` (and `get_init_inputs()` when it has none) made
    from its data file; `TaskLoadError` (kind `data_file`) when there is no usable file."""
    file = data_file(path, source)
    if file is None:
        raise TaskLoadError(str(path), "it defines no get_inputs and no data file of input groups was found (looked "
                            f"for {path.with_suffix('.json').name} and the .json names in its source)",
                            TaskProblem.data_file)
    groups = _groups(file)
    lines = [f"\n\n# Input groups read by `kernelwright tasks import` from {file.name} (tasks/data_inputs.py): the "
             "jail holds no data file.", "import torch as _kw_torch  # noqa: E402", ""]
    code = [[_arg_code(a).replace("torch.", "_kw_torch.") for a in g] for g in groups]
    lines.append("def get_inputs():")
    lines.append(f"    return [{', '.join(code[0])}]")
    if len(code) > 1:
        lines += ["", "", "def get_input_groups():",
                  "    return [" + ", ".join("[" + ", ".join(g) + "]" for g in code[1:]) + "]"]
    if "get_init_inputs" not in defined:
        lines += ["", "", "def get_init_inputs():", "    return []"]
    return source.rstrip("\n") + "\n".join(lines) + "\n"
