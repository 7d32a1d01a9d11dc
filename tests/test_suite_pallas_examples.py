"""Every `pallas` example solution of the suite is judged `correct` through the jailed evaluator, in interpret mode
on this CPU (never timed); a wrong Pallas kernel is `incorrect`.

The false-positive guard for the `pallas` platform, as tests/test_suite_gpu_examples.py is for Triton: a static
rule, a jail mount or a runner tripwire that turns an honest JAX Pallas kernel away fails here. Examples are found
through `tasks.registry.example_solutions`, so a new example is covered the moment it is added. The adversarial
Pallas kernels (PyTorch or jax.numpy doing the work) are in tests/adversarial/test_reward_hacks.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kernelwright.evaluator.api import evaluate
from kernelwright.evaluator.platforms.pallas import jax_cuda_available
from kernelwright.evaluator.request import EvalOptions
from kernelwright.evaluator.result import EvalResult, Reason, Status, Verification
from kernelwright.tasks.loader import load_task_source
from kernelwright.tasks.model import Task
from kernelwright.tasks.registry import example_solutions, resolve_task, suite_tasks

pytest.importorskip("jax", reason="the pallas platform needs jax: pip install 'kernelwright[pallas]'")

PALLAS = [(task, path) for task in suite_tasks() for plat, path in example_solutions(task).items()
          if plat == "pallas"]
# Interpret mode runs each kernel as plain XLA ops on the CPU: one trial over all input groups is plenty here.
INTERPRETED = EvalOptions(correctness_trials=1, timeout_s=600)
pytestmark = pytest.mark.skipif(jax_cuda_available(), reason="these check interpret mode, on a machine with no GPU")

WRONG_RELU = '''
import jax
import jax.numpy as jnp
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def leaky_kernel(x_ref, o_ref):
    x = x_ref[...]
    o_ref[...] = jnp.where(x > 0, x, 0.01 * x)  # leaky ReLU: wrong for every negative input


class ModelNew(nn.Module):
    def forward(self, x):
        xj = jax.dlpack.from_dlpack(x.contiguous())
        return torch.from_dlpack(pl.pallas_call(leaky_kernel, out_shape=jax.ShapeDtypeStruct(xj.shape, xj.dtype))(xj))
'''

JITTED_RELU = '''
import jax
import jax.numpy as jnp
import torch
import torch.nn as nn
from jax.experimental import pallas as pl


def relu_kernel(x_ref, o_ref):
    o_ref[...] = jnp.maximum(x_ref[...], 0.0)


@jax.jit
def relu(x):  # traced once: later calls run the compiled function without entering pallas_call from Python
    return pl.pallas_call(relu_kernel, out_shape=jax.ShapeDtypeStruct(x.shape, x.dtype))(x)


class ModelNew(nn.Module):
    def forward(self, x):
        return torch.from_dlpack(relu(jax.dlpack.from_dlpack(x.contiguous())))
'''


def _explain(result: EvalResult) -> str:
    verdict = f"{result.status.value}/{result.reason.value} at {result.stage.value}"
    return f"{verdict}: {result.message}\n{result.log[-3000:]}"


def test_every_category_has_a_pallas_example() -> None:
    categories = {task.category for task in suite_tasks()}
    assert {task.category for task, _ in PALLAS} == categories


@pytest.mark.slow
@pytest.mark.parametrize(("task", "path"), PALLAS, ids=[task.id for task, _ in PALLAS])
def test_pallas_example_is_correct_in_interpret_mode(task: Task, path: Path) -> None:
    result = evaluate(task, path.read_text(encoding="utf-8"), "pallas", INTERPRETED)
    assert result.status is Status.correct, _explain(result)
    assert result.jailed and result.verification is Verification.interpreter
    assert result.speedup is None and result.timing is None
    assert result.size == ("small" if "small" in task.sizes else "cpu")


@pytest.mark.slow
def test_a_wrong_pallas_kernel_is_incorrect() -> None:
    result = evaluate(resolve_task("activation/relu"), WRONG_RELU, "pallas", INTERPRETED)
    assert (result.status, result.reason) == (Status.incorrect, Reason.output_mismatch), _explain(result)
    assert result.verification is Verification.interpreter


@pytest.mark.slow
def test_a_jitted_pallas_kernel_counts_as_launched_on_every_call() -> None:
    result = evaluate(resolve_task("activation/relu"), JITTED_RELU, "pallas", INTERPRETED)
    assert result.status is Status.correct, _explain(result)


# The reference runs only the task's PyTorch Model: its output says whether JAX was started in its runner.
REFERENCE_SEES_JAX = '''
import sys

import torch
import torch.nn as nn

CATEGORY = "activation"


class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x) + float("jax" in sys.modules)


def get_inputs():
    return [torch.randn(4, 256)]


def get_init_inputs():
    return []
'''


@pytest.mark.slow
def test_only_the_candidate_runner_starts_jax() -> None:
    """JAX is the candidate's kernel runtime: the reference runner never runs a kernel, so it must not pay JAX's
    start-up (seconds of import and memory). With JAX loaded there, the reference answers relu(x) + 1 and the
    honest relu kernel is judged incorrect."""
    task = load_task_source(REFERENCE_SEES_JAX, "reference_sees_jax.py", task_id="test/reference_sees_jax")
    relu = example_solutions(resolve_task("activation/relu"))["pallas"].read_text(encoding="utf-8")
    result = evaluate(task, relu, "pallas", INTERPRETED)
    assert result.status is Status.correct, _explain(result)
