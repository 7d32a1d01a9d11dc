"""What the task probe reports back to the parent process."""

from __future__ import annotations

from pydantic import BaseModel


class ProbeResult(BaseModel):
    ok: bool
    problem: str = ""
    input_groups: int = 1
    inputs_vary: bool = True
    output_shapes: list[list[int]] = []
    eager_ms: float | None = None
