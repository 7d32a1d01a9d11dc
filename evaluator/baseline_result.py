"""What a baseline measurement returns: PyTorch eager and `torch.compile` times of one task, side by side.

Kept free of torch imports so the store can use these models without loading the evaluator.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field

from kernelwright.evaluator.result import HARNESS_VERSION, ToleranceMode


class BaselineStatus(str, Enum):
    """How far a baseline measurement got."""

    measured = "measured"  # eager and compiled both timed, intervals settled
    unstable = "unstable"  # timed, but the compiled-vs-eager interval never settled: no compile number
    compile_failed = "compile_failed"  # torch.compile raised; eager alone was timed
    mismatch = "mismatch"  # the compiled model disagreed with eager beyond the task's tolerance; eager alone
    not_timed = "not_timed"  # the platform times nothing on this machine (no GPU): nothing was run
    error = "error"  # the task itself failed to run (its verdict is in `message`)


class SideTiming(BaseModel):
    """One side's time: median over timing buckets, the fastest run, and a 95% interval of the median."""

    median_ms: float
    min_ms: float
    ci_ms: tuple[float, float]


class BaselineResult(BaseModel):
    """Eager and compiled times of one task version on one machine, measured with the evaluator's protocol."""

    status: BaselineStatus
    message: str = ""
    platform: str
    hardware: str = ""
    task_id: str | None = None
    task_hash: str | None = None
    size: str | None = None
    harness_version: str = HARNESS_VERSION
    jailed: bool = Field(default=True, description="False only under --unsafe-no-jail: the task ran without the "
                         "OS jail")
    tolerance: ToleranceMode = Field(default=ToleranceMode.task, description="the tolerance the compiled model's "
                                     "outputs were checked against eager's with")
    eager: SideTiming | None = None
    compiled: SideTiming | None = None
    compile_speedup: float | None = Field(default=None, description="eager time / compiled time: median of "
                                          "per-bucket ratios")
    compile_speedup_ci: tuple[float, float] | None = None
    compile_seconds: float | None = None
    wall_seconds: float | None = None
    log: str = ""
