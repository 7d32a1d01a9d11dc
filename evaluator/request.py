"""What the parent sends the sandboxed child: one evaluation, fully described."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field

from evaluator.platforms.base import Peaks
from evaluator.result import Verification
from tasks.model import Task


class EvalOptions(BaseModel):
    """Knobs of one evaluation; defaults are what `kernelwright eval` uses."""

    allow_torch: bool = False
    correctness_trials: int = Field(default=3, ge=1)
    timing: bool = True
    buckets: int = Field(default=12, ge=3)
    min_bucket_ms: float = Field(default=10.0, gt=0)
    threads: int | None = Field(default=None, ge=1, description="threads for both sides; default half the cores")
    timeout_s: float = Field(default=300.0, gt=0)
    memory_mb: int = Field(default=8192, ge=512)
    max_processes: int = Field(default=256, ge=8)
    max_file_mb: int = Field(default=1024, ge=1)
    seed: int = 0
    size: str | None = Field(default=None, description="problem size (tasks/sizes.py); default: the platform's")
    compile_baseline: bool = Field(default=True, description="baseline measurements also time torch.compile")


class RequestMode(str, Enum):
    """What the child is asked to do."""

    candidate = "candidate"  # judge a candidate kernel (build, correctness, timing, sanity)
    baselines = "baselines"  # time the task's PyTorch eager model against torch.compile of it
    probe = "probe"  # import and run a submitted (untrusted) task file, under the candidate's sandbox guard


class EvalRequest(BaseModel):
    """One evaluation as the sandboxed child receives it."""

    mode: RequestMode = RequestMode.candidate

    task: Task
    candidate_source: str
    platform: str
    options: EvalOptions
    peaks: Peaks | None = None
    verification: Verification = Verification.native
    nonce: str
    private_dir: str
    cache_dir: str
    timing_lock: str | None = Field(default=None, description="file locked while timing, so timed runs on one "
                                    "device never overlap while builds and correctness checks run in parallel")
