"""The knobs of one evaluation (`EvalOptions`): what the CLI, the agents and the service pass to the evaluator."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kernelwright.evaluator.result import ToleranceMode


class EvalOptions(BaseModel):
    """Knobs of one evaluation; defaults are what `kernelwright eval` uses."""

    allow_torch: bool = False
    correctness_trials: int = Field(default=3, ge=1)
    timing: bool = True
    buckets: int = Field(default=8, ge=3, description="timing buckets at least (each: one round per side)")
    max_buckets: int = Field(default=60, ge=3, description="timing buckets at most")
    target_width: float = Field(default=0.15, gt=0, description="timing stops once the interval is this narrow, "
                                "as a fraction of the speedup")
    early_stop: bool = Field(default=True, description="timing stops at the first planned look whose interval decides "
                             "(faster, slower, or indistinguishable); off: only when narrow or out of budget")
    timing_budget_s: float = Field(default=10.0, gt=0, description="judge wall time for timing, at most")
    min_bucket_ms: float = Field(default=10.0, gt=0, description="a timed round lasts at least this long")
    threads: int | None = Field(default=None, ge=1, description="threads for both sides; default half the cores")
    timeout_s: float = Field(default=300.0, gt=0)
    memory_mb: int = Field(default=8192, ge=512)
    max_processes: int = Field(default=256, ge=8)
    max_file_mb: int = Field(default=1024, ge=1)
    seed: int = 0
    size: str | None = Field(default=None, description="problem size (tasks/sizes.py); default: the platform's")
    compile_baseline: bool = Field(default=True, description="baseline measurements also time torch.compile")
    unsafe_no_jail: bool = Field(default=False, description="run untrusted code without the OS jail: only for a "
                                 "trusted local user on their own code; every result says so")
    tolerance: ToleranceMode = Field(default=ToleranceMode.task, description="the task's own tolerance (strict) or "
                                     "KernelBench's (atol=rtol=1e-2), for scores comparable with its numbers")

