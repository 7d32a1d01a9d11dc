"""What the task probe reports back to the parent process."""

from __future__ import annotations

from pydantic import BaseModel


class ProbeResult(BaseModel):
    ok: bool
    problem: str = ""
    input_groups: int = 1
    inputs_vary: bool = True
    output_shapes: list[list[int]] = []
    input_shapes: list[list[int] | None] = []  # the first input group's, per argument (None: not a tensor)
    input_dtypes: list[str | None] = []
    eager_ms: float | None = None
