"""Task loading: the static parse and every kind of statically bad task file (probes: tests/evaluator)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.loader import load_task, load_task_source
from kernelwright.tasks.model import Category

GOOD = '''
"""Scale by two."""
import torch
import torch.nn as nn

CATEGORY = "math"
LEVEL = 1
N = 1000
FLOPS = float(N)
BYTES_MOVED = 2 * 4 * N
TOLERANCE = {"atol": 1e-5, "rtol": 1e-5}


class Model(nn.Module):
    def forward(self, x):
        return x * 2.0


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
'''


def write(tmp_path: Path, text: str, name: str = "task.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_task_parses_metadata(tmp_path: Path) -> None:
    task = load_task(write(tmp_path, GOOD))
    assert task.category is Category.math
    assert task.level == 1
    assert task.flops == 1000.0 and task.bytes_moved == 8000
    assert task.tolerance.atol == 1e-5
    assert task.description == "Scale by two."
    assert task.id.startswith("user/task-")
    assert len(task.source_hash) == 64


def test_same_source_same_hash_and_from_text() -> None:
    a = load_task_source(GOOD)
    b = load_task_source(GOOD + "\n")
    assert a.source_hash != b.source_hash
    assert a.source_hash == load_task_source(GOOD).source_hash


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("class Model(:\n", "syntax error at line 1"),
        (GOOD.replace("def get_inputs", "def get_inputz"), "missing get_inputs"),
        (GOOD.replace('CATEGORY = "math"', 'CATEGORY = "nonsense"'), "unknown CATEGORY 'nonsense'"),
        (GOOD.replace("LEVEL = 1", "LEVEL = 7"), "invalid task metadata"),
        (GOOD.replace("FLOPS = float(N)", "FLOPS = compute_flops()"), "FLOPS must be a constant expression"),
    ],
)
def test_static_problems_name_file_and_problem(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(TaskLoadError) as info:
        load_task(path)
    assert str(path) in str(info.value)
    assert problem in str(info.value)


def test_missing_file() -> None:
    with pytest.raises(TaskLoadError, match="no such file"):
        load_task("/nonexistent/task.py")
