"""Every `triton` and `cuda` example solution of the suite gets the verdict its platform can give here.

- triton: correct under the Triton interpreter at the task's small size (no GPU), or correct on the GPU.
- cuda: `build_ok_unverified` from the nvcc compile check (no GPU; skipped without nvcc), or correct on the GPU.

The false-positive guard for the GPU platforms, as tests/test_suite_solutions.py is for the CPU: a static rule,
builder flag or interpreter path that turns an honest kernel away fails here. Examples are found through
`tasks.registry.example_solutions`, so a new example is covered the moment it is added.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kernelwright.evaluator.api import evaluate
from kernelwright.evaluator.build.cuda import find_nvcc
from kernelwright.evaluator.platforms.gpu import cuda_available
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import EvalResult, Status, Verification
from kernelwright.tasks.model import Task
from kernelwright.tasks.registry import example_solutions, suite_tasks

GPU_PLATFORMS = ("triton", "cuda")


def _examples(platform: str) -> list[tuple[Task, Path]]:
    return [(task, path) for task in suite_tasks() for plat, path in example_solutions(task).items()
            if plat == platform]


TRITON = _examples("triton")
CUDA = _examples("cuda")
# The interpreter runs every program of a grid in Python: one trial over all input groups is plenty here.
INTERPRETED = EvalOptions(correctness_trials=1, timeout_s=600)
COMPILE_CHECK = EvalOptions(correctness_trials=1, timeout_s=900)
ON_GPU = EvalOptions(correctness_trials=2, timing=False, timeout_s=600)


def _ids(cases: list[tuple[Task, Path]]) -> list[str]:
    return [f"{task.id}.{path.name.split('.')[-2]}" for task, path in cases]


def _explain(result: EvalResult) -> str:
    verdict = f"{result.status.value}/{result.reason.value} at {result.stage.value}"
    return f"{verdict}: {result.message}\n{result.log[-3000:]}"


def test_examples_are_discovered_and_parse() -> None:
    assert TRITON, "no triton example solutions found"
    assert CUDA, "no cuda example solutions found"
    for _task, path in TRITON + CUDA:
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


@pytest.mark.skipif(cuda_available(), reason="the GPU run below covers triton examples on a GPU")
@pytest.mark.parametrize(("task", "path"), TRITON, ids=_ids(TRITON))
def test_triton_example_is_correct_in_the_interpreter(task: Task, path: Path) -> None:
    result = evaluate(task, path.read_text(encoding="utf-8"), "triton", INTERPRETED)
    assert result.status is Status.correct, _explain(result)
    assert result.verification is Verification.interpreter and result.speedup is None
    assert result.size == ("small" if "small" in task.sizes else "cpu")


@pytest.mark.slow
@pytest.mark.skipif(cuda_available(), reason="the GPU run below covers cuda examples on a GPU")
@pytest.mark.skipif(find_nvcc() is None, reason="needs nvcc (the CUDA toolkit) for the compile check")
@pytest.mark.parametrize(("task", "path"), CUDA, ids=_ids(CUDA))
def test_cuda_example_compiles(task: Task, path: Path) -> None:
    result = evaluate(task, path.read_text(encoding="utf-8"), "cuda", COMPILE_CHECK)
    assert result.status is Status.build_ok_unverified, _explain(result)
    assert result.verification is Verification.compile_only and not result.is_correct


@pytest.mark.gpu
@pytest.mark.skipif(not cuda_available(), reason="needs an NVIDIA GPU")
@pytest.mark.parametrize(("task", "path", "platform"),
                         [(t, p, "triton") for t, p in TRITON] + [(t, p, "cuda") for t, p in CUDA],
                         ids=_ids(TRITON) + _ids(CUDA))
def test_gpu_example_is_correct_on_the_gpu(task: Task, path: Path, platform: str) -> None:
    result = evaluate(task, path.read_text(encoding="utf-8"), platform, ON_GPU)
    assert result.status is Status.correct, _explain(result)
    assert result.verification is Verification.native and result.size == ("gpu" if "gpu" in task.sizes else "cpu")
