"""The task probe, in the jail: every kind of broken or degenerate task is refused with a readable reason, a task
that hangs is stopped, and a hostile one gets a refusal that carries nothing of the host."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from kernelwright.evaluator.api import checked_task, probe
from kernelwright.evaluator.request import EvalOptions
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.loader import load_task, parse_task

GOOD = '''
"""Scale by two."""
import torch
import torch.nn as nn

N = 1000


class Model(nn.Module):
    def forward(self, x):
        return x * 2.0


def get_inputs():
    return [torch.randn(N)]


def get_init_inputs():
    return []
'''


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / f"task_{uuid.uuid4().hex[:8]}.py"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (GOOD.replace("import torch\n", "import torch\nimport not_a_real_module\n"),
         "import failed at line 4: ModuleNotFoundError"),
        (GOOD.replace("class Model(nn.Module)", "class Model"), "Model must be a torch.nn.Module subclass"),
        (GOOD.replace("return [torch.randn(N)]", "return torch.randn(N)"), "get_inputs() must return a list"),
        (GOOD.replace("return []", "return {}"), "get_init_inputs() must return a list"),
        (GOOD.replace("return x * 2.0", "return 3"), "Model.forward must return tensors"),
        (GOOD.replace("return x * 2.0", "return x @ x.new_ones(3, 3)"), "running the reference failed"),
        (GOOD.replace("return x * 2.0", "return torch.zeros_like(x)"), "output is near zero"),
        (GOOD.replace("return x * 2.0", "return torch.ones_like(x) * 3"), "output is constant"),
        (GOOD.replace("return x * 2.0", "return x * 2e-6"), "within tolerance of all zeros"),
        (GOOD.replace("return x * 2.0", "return torch.arange(x.numel(), dtype=x.dtype)"),
         "independent of its inputs"),
        (GOOD.replace("return x * 2.0", "return x / 0.0"), "contains NaN or Inf"),
    ],
)
def test_probe_problems(tmp_path: Path, text: str, problem: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(TaskLoadError) as info:
        checked_task(load_task(path))
    assert str(path) in str(info.value)
    assert problem in str(info.value)


def test_a_good_task_passes_with_its_facts(tmp_path: Path) -> None:
    task = checked_task(load_task(_write(tmp_path, GOOD)))
    result = probe(task)
    assert result.ok and result.input_groups == 1 and result.inputs_vary
    assert result.output_shapes == [[1000]] and result.eager_ms is not None and result.eager_ms > 0


def test_task_that_hangs_at_import_times_out(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("import torch\n", "import torch\nwhile True:\n    pass\n"))
    result = probe(parse_task(path.read_text(), str(path), path=path), timeout_s=5)
    assert not result.ok and "timed out after 5 s" in result.problem


def test_task_that_eats_memory_is_refused_not_the_machine(tmp_path: Path) -> None:
    hog = GOOD.replace("N = 1000", "N = 1000\nHOG = [bytearray(2**28) for _ in range(64)]")
    result = probe(parse_task(hog, "hog.py"), options=EvalOptions(memory_mb=1024))
    assert not result.ok and ("MemoryError" in result.problem or "memory" in result.problem), result.problem
