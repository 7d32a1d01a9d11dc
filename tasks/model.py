"""The `Task` model: what the rest of Kernelwright knows about a loaded task file."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, Field


class Category(str, Enum):
    """The operator families of the suite (MultiKernelBench's categories)."""

    activation = "activation"
    broadcast = "broadcast"
    convolution = "convolution"
    fuse = "fuse"
    loss = "loss"
    math = "math"
    matmul = "matmul"
    normalization = "normalization"
    optimizer = "optimizer"
    pooling = "pooling"
    # The member really does shadow `str.index` on Category values (`Category.math.index` is this member); the
    # name is the suite's folder and category name, looked up by name (`Category.__members__`), so it stays.
    index = "index"  # type: ignore[assignment]
    resize = "resize"
    reduce = "reduce"
    attention = "attention"
    arch = "arch"
    uncategorized = "uncategorized"


class Tolerance(BaseModel):
    """Absolute and relative tolerance for `allclose`-style comparison of fp32 outputs, and a bound on the whole
    output's relative L2 error (None: no such bound, as in KernelBench's check)."""

    atol: float = Field(default=1e-4, ge=0)
    rtol: float = Field(default=1e-4, ge=0)
    max_relative_l2: float | None = Field(default=1e-2, gt=0)


ToleranceFrom = Literal["default", "TOLERANCE", "TASK_CONFIG"]


class Task(BaseModel):
    """A KernelBench-format task file, loaded and validated.

    `source` is the full text of the file; the evaluator re-executes it inside its sandbox, so a task
    never carries live Python objects across process boundaries.
    """

    id: str
    name: str
    category: Category = Category.uncategorized
    level: int = Field(default=1, ge=1, le=3)
    source: str
    source_hash: str
    path: str | None = None
    tolerance: Tolerance = Field(default_factory=Tolerance)
    tolerance_from: ToleranceFrom = Field(
        default="default", description="where `tolerance` comes from: the defaults or the file's own key")
    notes: list[str] = Field(default_factory=list, description="what the file asks for that Kernelwright reads but "
                             "does not apply (e.g. a TASK_CONFIG comparison_mode), shown wherever the task is")
    input_groups: int = Field(default=1, ge=1, description="number of input groups the task defines")
    flops: float | None = Field(default=None, description="floating-point operations of one forward")
    bytes_moved: float | None = Field(default=None, description="minimum bytes read + written by one forward")
    description: str = ""
    size: str = Field(default="cpu", description="which problem size `source` is at (see tasks/sizes.py)")
    sizes: list[str] = Field(default_factory=lambda: ["cpu"], description="the sizes the task defines")
    held_out: bool = Field(
        default=False, description="benchmark-only: never used for training data or as a prompt example"
    )
