"""Shared data of the store tests: a task, kernels, results and a row counter."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from kernelwright.db import Store
from kernelwright.db.models import Base
from kernelwright.evaluator.hashing import normalized_hash, sha256_text
from kernelwright.evaluator.result import (
    HARNESS_VERSION,
    CorrectnessStats,
    EvalResult,
    Reason,
    Stage,
    Status,
    TimingStats,
)
from kernelwright.tasks.model import Category, Task, Tolerance

TASK_SOURCE = """\
import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)


def get_inputs():
    return [torch.randn(16, 16)]


def get_init_inputs():
    return []
"""

KERNEL = '''\
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

CPP = """
torch::Tensor relu(torch::Tensor x) {
    return x.clamp_min(0);
}
"""


class ModelNew(nn.Module):
    def forward(self, x):
        return ext.relu(x)
'''

# The same kernel with other whitespace and a comment: must be recognised as the same candidate.
KERNEL_REFORMATTED = '''\
import torch
import torch.nn   as nn
from torch.utils.cpp_extension import load_inline
# a comment the normalizer drops

CPP = """
torch::Tensor relu(torch::Tensor x) {   return x.clamp_min(0); }
"""

class ModelNew(nn.Module):
    def forward(self, x):
        return ext.relu(x)   # trailing comment
'''

KERNEL_OTHER = KERNEL.replace("clamp_min(0)", "relu()")

ALL_TABLES = {
    "task",
    "hardware",
    "run",
    "trajectory",
    "turn",
    "candidate",
    "evaluation",
    "baseline_timing",
    "dataset_export",
    "api_token",
}


def make_task(task_id: str = "activation/relu", source: str = TASK_SOURCE) -> Task:
    return Task(
        id=task_id,
        name=task_id.split("/")[-1],
        category=Category.activation,
        level=1,
        source=source,
        source_hash=sha256_text(source),
        tolerance=Tolerance(atol=1e-5, rtol=1e-3),
    )


def make_result(task: Task, source: str = KERNEL, **overrides: Any) -> EvalResult:
    """A fully populated correct result, with the hashes the store derives, so it round-trips exactly."""
    fields: dict[str, Any] = {
        "status": Status.correct,
        "reason": Reason.ok,
        "message": "2.10x faster",
        "stage": Stage.done,
        "speedup": 2.1,
        "speedup_ci": (1.9, 2.3),
        "baseline_ms": 0.42,
        "candidate_ms": 0.2,
        "platform": "cpu",
        "hardware": "AMD EPYC 7B13 (2 threads)",
        "harness_version": HARNESS_VERSION,
        "allow_torch": False,
        "task_id": task.id,
        "task_hash": task.source_hash,
        "candidate_hash": normalized_hash(source),
        "correctness": CorrectnessStats(
            trials=5, input_groups=2, max_abs_error=1e-7, max_rel_error=2e-6, worst_index=[3, 4]
        ),
        "timing": TimingStats(
            buckets=3, runs_per_bucket=10, threads=2, bucket_ratios=[2.0, 2.1, 2.2], baseline_min_ms=0.4
        ),
        "achieved_gbps": 12.5,
        "achieved_gflops": None,
        "build_seconds": 3.25,
        "wall_seconds": 7.5,
        "log": "built in 3.25 s\n",
    }
    fields.update(overrides)
    return EvalResult(**fields)


def count(store: Store, model: type[Base]) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar_one()


# --- schema ------------------------------------------------------------------------------------------
