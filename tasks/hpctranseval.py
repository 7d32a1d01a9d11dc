"""HPCTransEval checkouts as tasks: each CUDA-to-CPU operator pair whose operator has a known PyTorch reference.

HPCTransEval (github.com/jiaqiLv/HPCTransEval) keeps its pairs as JSON lists, one per split, in `benchmark/`
(`IndependentOperator.json`, `ComputationGraph.json`, `ModelBuildingBlock.json`). A record names the operator
(`op_name`), its TVM-generated CUDA kernel (`cuda_code`) and C code (`c_code`), the input and output shapes and
their parameter names; it has no PyTorch model. So a pair becomes a task only where this module knows the
operator's PyTorch reference (`REFERENCES`): the import writes the task file (a `Model` computing it on inputs of
the pair's shapes) and keeps the CUDA kernel beside it as the starting point of a port (`kernelwright port`,
`bench --port-from cuda`). A pair that cannot be expressed is listed as unsupported with a `Refusal`: an operator
without a reference (sorts, convolutions, whole computation graphs whose wiring the record does not give), several
outputs, tensors other than float32, a shape the reference would not produce, no kernel, a malformed record.
The C code is not imported: it is TVM's CPU code for the same operator, not a kernel to start from.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from kernelwright.tasks.import_layouts import Candidate
from kernelwright.tasks.import_registry import Outcome, Refusal, TaskOutcome

SOURCE_PLATFORM = "cuda"  # every HPCTransEval pair's kernel is CUDA C (its `cuda_code`)
KERNEL_SUFFIX = ".cu"
FIELDS = ("op_name", "cuda_code", "input_shape", "output_shape")
# Bounded, as the kernel text is the record's: an unclosed parameter list costs a scan of at most this much.
_PARAMS = re.compile(r"__global__\s+void\s+(?:__launch_bounds__\(\d+\)\s+)?\w+\s*\(([^)]{0,4096})\)")
MAX_KERNEL_CHARS = 1_000_000  # TVM's largest kernels in the benchmark are a few kB


class Shape(str, Enum):
    """What the reference's output shape is, given its inputs'."""

    same = "same"  # elementwise: the first input's
    scalar = "scalar"  # a reduction of every element: a 0-d tensor
    declared = "declared"  # a reshape: the pair's own output shape (same element count)


class Domain(str, Enum):
    """The inputs an operator is defined on (so the reference's outputs are finite)."""

    real = "real"
    unit = "unit"  # open interval (-1, 1): acos, asin, atanh
    positive = "positive"  # log, sqrt, rsqrt


@dataclass(frozen=True)
class Reference:
    """The PyTorch reference of one HPCTransEval operator: an expression of `x0`, `x1`, ... ."""

    expr: str
    inputs: int = 1
    shape: Shape = Shape.same
    domain: Domain = Domain.real


def _unary(fn: str, domain: Domain = Domain.real) -> Reference:
    return Reference(f"torch.{fn}(x0)", domain=domain)


# TVM's fast_* are approximations of the exact function, within the task's float32 tolerance.
REFERENCES: dict[str, Reference] = {
    **{op: _unary(op) for op in ("abs", "asinh", "atan", "ceil", "cos", "cosh", "erf", "exp", "floor", "relu",
                                 "round", "sigmoid", "sign", "sin", "sinh", "tan", "tanh")},
    **{op: _unary(op, Domain.unit) for op in ("acos", "asin", "atanh")},
    **{op: _unary(op, Domain.positive) for op in ("log", "log10", "log2", "sqrt", "rsqrt")},
    "negative": _unary("neg"), "fast_erf": _unary("erf"), "fast_exp": _unary("exp"), "fast_tanh": _unary("tanh"),
    "add": Reference("x0 + x1", inputs=2),
    # HPCTransEval's fmax, fmin, sum and prod reduce every element to one (their output shape is []).
    "fmax": Reference("torch.amax(x0)", shape=Shape.scalar), "fmin": Reference("torch.amin(x0)", shape=Shape.scalar),
    "sum": Reference("torch.sum(x0)", shape=Shape.scalar),
    "reshape": Reference("torch.reshape(x0, OUT_SHAPE)", shape=Shape.declared),
    "flatten": Reference("torch.reshape(x0, OUT_SHAPE)", shape=Shape.declared),
}

_INPUTS = {Domain.real: "torch.randn({shape})", Domain.unit: "torch.rand({shape}) * 1.8 - 0.9",
           Domain.positive: "torch.rand({shape}) + 0.5"}

_TASK = '''"""HPCTransEval {split} `{op}`: {doc}

Written by `kernelwright tasks import --format hpctranseval`: the operator's PyTorch reference on inputs of the
pair's shapes; the pair's CUDA kernel is kept beside this file as the starting point of a port.
"""

import torch
import torch.nn as nn

OUT_SHAPE = {out}


class Model(nn.Module):
    def forward(self, {args}):
        return {expr}


def get_inputs():
    return [{inputs}]


def get_init_inputs():
    return []
'''


class Unsupported(ValueError):
    """A pair the task format cannot express; `refusal` says which kind of reason."""

    def __init__(self, refusal: Refusal, reason: str) -> None:
        super().__init__(reason)
        self.refusal = refusal


def _shape(value: object, what: str) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0
                                              for d in value):
        raise Unsupported(Refusal.malformed, f"{what} is not a list of positive integers: {value!r}")
    return value


def task_source(split: str, record: dict[str, object]) -> str:
    """The task file of one pair; `Unsupported` when the task format cannot express it. Of the record only the
    shapes (positive integers) reach the text; the operator's name does once it is a key of `REFERENCES`, and the
    split's name as the caller cleaned it (letters, digits, `_`)."""
    missing = [name for name in FIELDS if name not in record]
    if missing:
        raise Unsupported(Refusal.malformed, f"the record lacks {', '.join(missing)}")
    op, kernel = record["op_name"], record["cuda_code"]
    if not isinstance(op, str) or not isinstance(kernel, str):
        raise Unsupported(Refusal.malformed, "op_name and cuda_code must be text")
    if len(kernel) > MAX_KERNEL_CHARS:
        raise Unsupported(Refusal.malformed, f"cuda_code is {len(kernel):,} characters (at most {MAX_KERNEL_CHARS:,})")
    ins, outs = record["input_shape"], record["output_shape"]
    if not isinstance(ins, list) or not isinstance(outs, list):
        raise Unsupported(Refusal.malformed, "input_shape and output_shape must be lists of shapes")
    ref = REFERENCES.get(op)
    if ref is None:
        raise Unsupported(Refusal.no_reference, f"no PyTorch reference is known for {op!r} (tasks/hpctranseval.py "
                          "lists the operators it can express)")
    if len(outs) != 1:
        raise Unsupported(Refusal.multiple_outputs, f"{len(outs)} outputs; a task's forward returns one tensor")
    if not kernel.strip():
        raise Unsupported(Refusal.no_kernel, "the pair has no CUDA kernel")
    params = [p for m in _PARAMS.finditer(kernel) for p in m.group(1).split(",") if p.strip()]
    if not params:
        raise Unsupported(Refusal.no_kernel, "no __global__ kernel found in cuda_code")
    if odd := sorted({p.split("*")[0].strip() for p in params if not p.strip().startswith("float*")}):
        raise Unsupported(Refusal.not_float, f"the kernel takes {', '.join(odd)} tensors; the reference is float32")
    if len(ins) != ref.inputs:
        raise Unsupported(Refusal.malformed, f"{op} takes {ref.inputs} input(s), the record gives {len(ins)}")
    shapes = [_shape(s, f"input {i}") for i, s in enumerate(ins)]
    declared = _shape(outs[0], "the output")
    expected = {Shape.same: shapes[0], Shape.scalar: [], Shape.declared: declared}[ref.shape]
    if ref.shape is Shape.declared and math.prod(_shape(declared, "the output")) != math.prod(shapes[0]):
        raise Unsupported(Refusal.shape_mismatch, f"cannot reshape {shapes[0]} to {declared}")
    if declared != expected or len({tuple(s) for s in shapes}) != 1:
        raise Unsupported(Refusal.shape_mismatch, f"the reference gives {expected} from {shapes}, the pair "
                          f"declares {declared}")
    args = ", ".join(f"x{i}" for i in range(ref.inputs))
    inputs = ", ".join(_INPUTS[ref.domain].format(shape=", ".join(map(str, s))) for s in shapes)
    return _TASK.format(split=split, op=op, doc=f"{ref.expr} on {shapes}", out=tuple(declared), args=args,
                        expr=ref.expr, inputs=inputs)


def _records(path: Path) -> list[object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError("not a JSON list of records")
    return data


def discover_pairs(root: Path) -> tuple[list[Candidate], list[TaskOutcome]]:
    """The expressible pairs of an HPCTransEval checkout (its `benchmark/*.json`, or `*.json` when `root` is that
    folder) as candidates with their written task and CUDA kernel; every other pair or file as a row saying why."""
    folder = root / "benchmark" if (root / "benchmark").is_dir() else root
    found: list[Candidate] = []
    rows: list[TaskOutcome] = []
    # Across files too: two files whose cleaned names agree (`a-b.json`, `a_b.json`) must not share task ids.
    seen: dict[str, int] = {}
    for path in sorted(folder.glob("*.json")):
        rel = path.relative_to(root).as_posix()
        try:
            records = _records(path)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            rows.append(TaskOutcome(path=rel, outcome=Outcome.skipped, reason=f"not an HPCTransEval split: {exc}"))
            continue
        split = re.sub(r"[^A-Za-z0-9_]", "_", path.stem)  # goes into the written task's text and its id
        for index, record in enumerate(records):
            op = record.get("op_name") if isinstance(record, dict) else None
            name = re.sub(r"[^A-Za-z0-9_]", "_", op) if isinstance(op, str) and op else f"record_{index}"
            base = f"{split}/{name}"
            seen[base] = seen.get(base, 0) + 1
            tail = base + (f"_{seen[base]}" if seen[base] > 1 else "")
            where = f"{rel}#{index} ({op or '?'})"
            try:
                if not isinstance(record, dict):
                    raise Unsupported(Refusal.malformed, "the record is not a JSON object")
                source = task_source(split, record)
            except Unsupported as exc:
                rows.append(TaskOutcome(path=where, outcome=Outcome.unsupported, refusal=exc.refusal,
                                        reason=f"{exc.refusal.value}: {exc}"))
                continue
            found.append(Candidate(path=path, rel=where, tail=tail, level=None, folder_category=None,
                                   data_inputs=False, source=source,
                                   kernels={SOURCE_PLATFORM: str(record["cuda_code"])}))
    return found, rows
