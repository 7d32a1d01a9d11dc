"""Sweep grids, envelopes and the native sources an export compiles: pure functions, no process started."""

from __future__ import annotations

import pytest

from kernelwright.agent.export.envelope import PointVerdict, envelope_of
from kernelwright.agent.export.sources import ExportError, binding_source, native_builds
from kernelwright.evaluator.result import Status
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.loader import load_task, load_task_source
from kernelwright.tasks.sweep import sweep_note, sweep_points, task_at_point

RELU = "tasks/suite/activation/relu.py"


def test_the_grid_starts_with_the_task_and_covers_odd_prime_tiny_and_each_knob() -> None:
    task = load_task(RELU)
    points = sweep_points(task, limit=20)
    labels = [p.label for p in points]
    assert labels[:4] == ["task", "odd", "prime", "tiny"]
    assert {"BATCH/2", "BATCHx2", "DIM/2", "DIMx2"} <= set(labels)
    odd = points[1].constants
    assert all(v % 2 == 1 for v in odd.values())
    prime = points[2].constants
    assert all(all(v % d for d in range(2, v)) for v in prime.values())
    assert len(sweep_points(task, limit=3)) == 3


def test_a_point_rewrites_the_constants_and_names_its_size() -> None:
    task = load_task(RELU)
    point = next(p for p in sweep_points(task, 20) if p.label == "DIMx2")
    moved = task_at_point(task, point)
    assert "BATCH, DIM = 192, 32768" in moved.source
    assert moved.size == "sweep:DIMx2" and moved.source_hash != task.source_hash


def test_a_task_may_declare_its_own_sweep() -> None:
    source = open(RELU).read().replace("CATEGORY =", 'SWEEP = [{"BATCH": 3, "DIM": 17}]\nCATEGORY =')
    task = load_task_source(source, "relu.py")
    assert [p.label for p in sweep_points(task)] == ["task", "BATCH=3,DIM=17"]
    with pytest.raises(TaskLoadError, match="SWEEP"):
        sweep_points(load_task_source(source.replace('[{"BATCH": 3, "DIM": 17}]', "make()"), "relu.py"))


def _point(label: str, shape: list[int], status: Status = Status.correct,
           ci: tuple[float, float] | None = (1.5, 2.0)) -> PointVerdict:
    return PointVerdict(label=label, constants={}, input_shapes=[shape], input_dtypes=["float32"], status=status,
                        speedup=None if ci is None else sum(ci) / 2, speedup_ci=ci)


def test_failures_at_odd_sizes_make_the_envelope_ask_for_even_sizes() -> None:
    envelope = envelope_of([_point("task", [64, 1024]), _point("a", [32, 2048]), _point("b", [128, 512]),
                            _point("odd", [65, 1025], Status.incorrect, None)], "cpu")
    assert envelope.dim_low == [[32, 512]] and envelope.dim_high == [[128, 2048]]
    assert envelope.multiple_of == [[2, 2]]
    assert envelope.exact_shapes is None


def test_a_failure_no_alignment_explains_leaves_only_the_exact_shapes() -> None:
    envelope = envelope_of([_point("task", [64, 1024]), _point("b", [128, 512]),
                            _point("both-large", [128, 1024], Status.incorrect, None)], "cpu")
    assert envelope.exact_shapes == [[[64, 1024]], [[128, 512]]]


def test_the_kernel_is_used_only_where_it_was_verified_faster() -> None:
    envelope = envelope_of([_point("small", [4, 4], ci=(0.5, 0.9)), _point("big", [1024, 1024])], "cpu")
    small, big = envelope.buckets
    assert not small.use_kernel and big.use_kernel
    assert small.high < big.low
    assert envelope_of([_point("x", [1], Status.incorrect, None)], "cpu").empty


KERNEL = '''
from torch.utils.cpp_extension import load_inline
HEADER = "#include <cmath>\\n"
cpp_source = HEADER + r"""
torch::Tensor f(torch::Tensor x) { return x; }
"""
ext = load_inline(name="my ext", cpp_sources=[cpp_source], functions=["f"], extra_cflags=["-O2"])
'''


def test_load_inline_arguments_are_read_as_constants() -> None:
    (build,) = native_builds(KERNEL)
    assert build.name == "my ext" and build.module == "_ext_my_ext"
    assert build.cpp_sources[0].startswith("#include <cmath>") and build.functions == ["f"]
    text = binding_source(build)
    assert text.startswith("#include <torch/extension.h>")
    assert 'm.def("f", torch::wrap_pybind_function(f), "f");' in text


def test_sources_built_at_run_time_are_refused_with_the_reason() -> None:
    built_later = KERNEL.replace('cpp_sources=[cpp_source]', "cpp_sources=[open('k.cpp').read()]")
    with pytest.raises(ExportError, match="built at run time"):
        native_builds(built_later)


DOUBLINGS = "S0\n" + "\n".join(f"S{i} = S{i - 1} + S{i - 1}" for i in range(1, 40)) + "\nHUGE = S39"


@pytest.mark.parametrize("blowup", ['"x" * 3_000_000_000', '3_000_000_000 * ["x"]', DOUBLINGS])
def test_a_kernel_cannot_make_the_exporter_build_huge_constants(blowup: str) -> None:
    source = KERNEL.replace('HEADER = "#include <cmath>\\n"', f"S0 = 'ab'\nHUGE = {blowup}\nHEADER = '#x'")
    source = source.replace("cpp_sources=[cpp_source]", "cpp_sources=[HUGE]")
    with pytest.raises(ExportError, match="limit|built at run time"):
        native_builds(source)


SWISH = '''"""y = x * sigmoid(x) + bias: a user's operator, no SIZES."""
import torch
import torch.nn as nn

batch_size = 256
dim = 8192
num_classes = 1000  # sizes nothing the op is given


class Model(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        return x * torch.sigmoid(x) + self.bias


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return [dim]
'''


def test_an_operator_without_sizes_is_swept_over_the_constants_that_size_its_inputs() -> None:
    task = load_task_source(SWISH, "swish.py")
    points = sweep_points(task, 8, input_shapes=[[256, 8192]])
    labels = [p.label for p in points]
    assert labels[:6] == ["task", "odd", "prime", "tiny", "batch_size/2", "batch_sizex2"], labels
    assert all("num_classes" not in p.constants for p in points)  # not an extent of any input
    assert points[1].constants == {"batch_size": 257, "dim": 8193} and all(p.rule for p in points)
    assert points[4].rule == "batch_size (batch) halved" and points[6].rule == "dim (model dimension) halved"
    moved = task_at_point(task, points[5])
    assert "batch_size = 512" in moved.source and "dim = 8192" in moved.source
    note = sweep_note(task, points, 8, [[256, 8192]])
    assert "no SIZES or SWEEP" in note and "batch_size (batch), dim (model dimension)" in note
    assert "--shapes" in note  # 8 of more possible points


def test_a_sweep_of_one_point_says_why() -> None:
    source = SWISH.replace("torch.randn(batch_size, dim)", "torch.randn(4, 3)")
    task = load_task_source(source, "fixed.py")
    points = sweep_points(task, 8, input_shapes=[[4, 3]])
    assert [p.label for p in points] == ["task"]
    assert sweep_note(task, points, 8, [[4, 3]]).startswith("1 point (the task as written): it has no SIZES or SWEEP")
    relu = load_task(RELU)
    assert "SIZES overrides: BATCH, DIM" in sweep_note(relu, sweep_points(relu, 3), 3)
