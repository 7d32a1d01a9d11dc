"""What the task probe reports back to the parent process."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kernelwright.tasks.errors import TaskProblem


class ProbeResult(BaseModel):
    ok: bool
    problem: str = ""
    kind: TaskProblem | None = Field(default=None, description="what kind of problem, when not ok")
    input_groups: int = 1
    inputs_vary: bool = True
    output_shapes: list[list[int]] = []
    input_shapes: list[list[int] | None] = []  # the first input group's, per argument (None: not a tensor)
    input_dtypes: list[str | None] = []
    eager_ms: float | None = None
    ops: list[str] = Field(default_factory=list, description="ATen operators the reference dispatched (the runner's "
                           "word: used only to name a category, never for a verdict)")
    reused: bool = Field(default=False, description="read back from an earlier probe of the same source (and, for a "
                         "refusal, the same limits) instead of run now")
