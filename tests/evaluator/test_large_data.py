"""Tasks whose data is large for the judge's bounds (found on an H200, where the `gpu` sizes are hundreds of MB):
outputs written past the scratch file-size limit."""

from __future__ import annotations

from kernelwright.evaluator.api import evaluate
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import Status
from kernelwright.tasks.registry import example_solutions, resolve_task


def _relu_verdict(**options: object) -> Status:
    task = resolve_task("activation/relu")
    source = example_solutions(task)["cpu"].read_text()
    result = evaluate(task, source, "cpu", EvalOptions.model_validate({"correctness_trials": 2, "timing": False,
                                                                       **options}))
    assert result.status is Status.correct, f"{result.status.value}/{result.reason.value}: {result.message}"
    return result.status


def test_outputs_larger_than_the_scratch_file_limit() -> None:
    """The runner writes its data into the judge's arena, which is a file: RLIMIT_FSIZE must not cut it at the
    scratch folder's limit (1 MiB here; relu's inputs and outputs are larger)."""
    _relu_verdict(max_file_mb=1)
