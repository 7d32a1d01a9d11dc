"""Problem sizes: SIZES overrides rewrite a task's constants; derived metadata follows."""

from __future__ import annotations

import pytest

from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.loader import parse_task, task_at_size
from kernelwright.tasks.sizes import sized_source

SOURCE = '''"""doc"""
import torch
import torch.nn as nn

BATCH, DIM = 64, 128  # the CPU size
SCALE = 2.0
FLOPS = float(BATCH * DIM)
SIZES = {"gpu": {"BATCH": 1024, "DIM": 4096}, "small": {"DIM": 8}}


class Model(nn.Module):
    def forward(self, x):
        return x * SCALE


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []
'''


def test_cpu_size_is_the_file_itself() -> None:
    task = parse_task(SOURCE, "t.py", task_id="x/t")
    assert task.sizes == ["cpu", "gpu", "small"]
    assert task.size == "cpu"
    assert task_at_size(task, "cpu") is task
    assert sized_source(SOURCE, "cpu") == SOURCE


def test_other_sizes_rewrite_constants_and_metadata() -> None:
    task = parse_task(SOURCE, "t.py", task_id="x/t")
    gpu = task_at_size(task, "gpu")
    assert "BATCH, DIM = 1024, 4096  # the CPU size" in gpu.source
    assert gpu.flops == 1024 * 4096
    assert gpu.size == "gpu" and gpu.id == task.id and gpu.source_hash != task.source_hash
    small = task_at_size(task, "small")
    assert "BATCH, DIM = 64, 8" in small.source
    namespace: dict = {}
    exec(compile(small.source, "small", "exec"), namespace)
    assert tuple(namespace["get_inputs"]()[0].shape) == (64, 8)


@pytest.mark.parametrize(
    ("sizes", "problem"),
    [
        ('{"gpu": {"NOPE": 3}}', "not assigned at top level"),
        ('{"huge": {"DIM": 3}}', "SIZES may name"),
        ('{"gpu": [1]}', "dict of constant overrides"),
    ],
)
def test_bad_sizes_are_refused(sizes: str, problem: str) -> None:
    source = SOURCE.replace('{"gpu": {"BATCH": 1024, "DIM": 4096}, "small": {"DIM": 8}}', sizes)
    with pytest.raises(TaskLoadError, match=problem):
        task = parse_task(source, "t.py", task_id="x/t")
        task_at_size(task, "gpu")


def test_unknown_size_names_what_exists() -> None:
    task = parse_task(SOURCE.replace(', "small": {"DIM": 8}', ""), "t.py", task_id="x/t")
    with pytest.raises(TaskLoadError, match="defines: cpu, gpu"):
        task_at_size(task, "small")
