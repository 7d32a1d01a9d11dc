"""The task probe, in the jail: every kind of broken or degenerate task is refused with a readable reason, a task
that hangs is stopped, and a hostile one gets a refusal that carries nothing of the host."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from kernelwright.evaluator.api import checked_task, probe
from kernelwright.evaluator.request import EvalOptions
from kernelwright.tasks.errors import TaskLoadError, TaskProblem
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


def test_a_size_far_over_its_budget_stops_at_its_first_calls_and_is_never_taken_for_checked(tmp_path: Path) -> None:
    """A sizing probe (`size_budget_ms`) stops a size far over the budget after its first calls: `too_slow` with the
    time seen, nothing remembered as passed, so the whole probe of the same source still runs every check."""
    task = parse_task(GOOD + f"# {uuid.uuid4()}\n", "good.py")  # a source no earlier probe has passed
    stopped = probe(task, size_budget_ms=1e-6)
    assert not stopped.ok and stopped.kind is TaskProblem.too_slow and "over the budget" in stopped.problem
    assert stopped.eager_ms is not None and stopped.eager_ms > 0 and stopped.output_shapes == []
    whole = probe(task)
    assert whole.ok and not whole.reused and whole.output_shapes == [[1000]]
    assert probe(task, size_budget_ms=1e3).ok  # within the budget: the whole probe, the same facts


def test_a_sizing_probe_of_a_broken_task_says_what_the_whole_probe_says(tmp_path: Path) -> None:
    broken = GOOD.replace("return x * 2.0", "return x @ x.new_ones(3, 3)") + f"# {uuid.uuid4()}\n"
    sized, whole = probe(parse_task(broken, "a.py"), size_budget_ms=1e-6), probe(parse_task(broken, "b.py"))
    assert not sized.ok and sized.kind is whole.kind and "running the reference failed" in sized.problem
    assert sized.problem == whole.problem
