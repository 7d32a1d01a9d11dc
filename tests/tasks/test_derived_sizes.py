"""Derived sizes (tasks/derived_sizes.py) and categories by rule (tasks/categories.py), without running anything."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from kernelwright.tasks.categories import category_from_name, category_from_ops, level_by_rule, normalized_name
from kernelwright.tasks.derived_sizes import (
    CPU_BUDGET_MS,
    Kind,
    constant_kind,
    last_resort_step,
    max_step,
    scalable_constants,
    scale_label,
    scaled_values,
    steps_for,
    with_derived_sizes,
)
from kernelwright.tasks.errors import TaskProblem
from kernelwright.tasks.importer import (
    Checker,
    ImportedTask,
    ImportFormat,
    ImportRegistry,
    Outcome,
    import_tasks,
    registry_file,
)
from kernelwright.tasks.loader import parse_task, task_at_size
from kernelwright.tasks.model import Category, Task
from kernelwright.tasks.probe_result import ProbeResult
from kernelwright.tasks.registry import resolve_task

CONV = '''import torch
import torch.nn as nn

batch_size = 16
in_channels = 64
out_channels = 128
kernel_size = 3
stride = 2
groups = 8
height = 256
width = 256
dim = 1


class Model(nn.Module):
    def forward(self, x):
        return x


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size]
'''


def test_scalable_constants_batch_then_spatial_then_model_dims_and_knobs_left_alone() -> None:
    constants = scalable_constants(CONV)
    assert [(c.name, c.kind) for c in constants] == [
        ("batch_size", Kind.batch), ("height", Kind.spatial), ("width", Kind.spatial),
        ("in_channels", Kind.other), ("out_channels", Kind.other)]
    assert constant_kind("seq_len") is constant_kind("D") is constant_kind("dim2") is Kind.spatial
    assert constant_kind("in_features") is constant_kind("dim") is constant_kind("N") is Kind.other


def test_steps_halve_batch_then_spatial_dims_and_model_dims_only_as_a_last_resort() -> None:
    constants = scalable_constants(CONV)
    written = {c.name: c.value for c in constants}
    assert scaled_values(constants, 3) == {**written, "batch_size": 2}  # 16 -> 2, never 1: BatchNorm needs two
    spatial_spent = scaled_values(constants, 13)  # height and width in turn, 256 -> 8 each
    assert last_resort_step(constants) == 13  # the import probes this step before any model dimension shrinks
    assert spatial_spent == {**written, "batch_size": 2, "height": 8, "width": 8}
    after = scaled_values(constants, 15)
    assert after["in_channels"] == 32 and after["out_channels"] == 64  # only now, one halving each
    last = scaled_values(constants, max_step(constants))
    assert all(v >= 8 for k, v in last.items() if k != "batch_size")
    assert last["in_channels"] % 8 == 0 and last["out_channels"] % 8 == 0  # still divisible by groups = 8
    assert scaled_values(constants, max_step(constants) + 5) == last
    assert scale_label(written, after) == ("derived: batch_size 16->2, height 256->8, width 256->8, last resort: "
                                           "in_channels 64->32, out_channels 128->64")


def test_model_dims_stay_divisible_by_the_files_group_and_head_counts() -> None:
    source = CONV.replace("groups = 8", "groups = 32").replace("in_channels = 64", "in_channels = 96")
    last = scaled_values(scalable_constants(source), 100)
    assert last["out_channels"] == 32 and last["in_channels"] == 96  # 96 / 2 = 48 is not a multiple of 32
    assert last["height"] == 8  # an extent is never divided by groups


def test_tuple_and_chained_constants_scale_and_are_rewritten() -> None:
    source = CONV.replace("height = 256\nwidth = 256", "depth = 16; height = width = 64\nD, H, W = 16, 32, 32")
    constants = scalable_constants(source)
    assert {c.name: c.aliases for c in constants if c.kind is Kind.spatial} == {
        "depth": [], "height": ["width"], "D": [], "H": [], "W": []}
    values = scaled_values(constants, 8)
    assert values["batch_size"] == 2 and values["height"] == 32 and values["D"] == 8 and values["W"] == 16
    written = {c.name: c.value for c in constants}
    rewritten = with_derived_sizes(source, values, values, written, "conv.py")
    assert "height = width = 32" in rewritten and "D, H, W = 8, 16, 16" in rewritten
    label = scale_label(written, values, {c.name: c.aliases for c in constants})
    assert "height=width 64->32" in label and "last resort" not in label


def test_jump_from_a_measured_time() -> None:
    assert steps_for(40.0) == 1 and steps_for(20_000.0) == 10


def test_derived_source_is_the_cpu_size_and_declares_the_others() -> None:
    constants = scalable_constants(CONV)
    gpu = {c.name: c.value for c in constants}
    source = with_derived_sizes(CONV, scaled_values(constants, 8), scaled_values(constants, 14), gpu, "conv.py")
    task = parse_task(source, "conv.py")
    assert task.sizes == ["cpu", "gpu", "small"] and "batch_size = 2\n" in source and "height = 32" in source
    assert "batch_size = 16\n" in task_at_size(task, "gpu").source
    assert "height = 256" in task_at_size(task, "gpu").source


def test_category_from_operators_and_names() -> None:
    assert category_from_ops(["relu"], 1) is Category.activation
    assert category_from_ops(["addmm", "mul"], 1) is Category.matmul  # a matmul followed by a scale
    assert category_from_ops(["convolution", "relu", "add"], 2) is Category.fuse
    assert category_from_ops(["native_layer_norm"], 1) is Category.normalization
    assert category_from_ops(["mm"], 3) is Category.arch
    assert category_from_ops(["empty", "view"], 1) is None
    assert category_from_name("23_Softmax", 1) is Category.activation
    assert category_from_name("54_conv_standard_3D", 1) is Category.convolution
    assert category_from_name("40_LayerNorm", 1) is Category.normalization
    assert category_from_name("12_Gemm_Multiply_LeakyReLU", 2) is Category.fuse
    assert category_from_name("99_Unknown", 1) is Category.uncategorized


def test_multikernelbench_level_rule() -> None:
    assert normalized_name("23_Softmax") == normalized_name("softmax") == "softmax"
    assert level_by_rule(Category.fuse) == 2 and level_by_rule(Category.arch) == 3
    assert level_by_rule(Category.activation) == 1


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_tasks_show_names_what_each_derived_size_scaled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kernelwright.commands.tasks import _derived_rows

    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path))
    constants = scalable_constants(CONV)
    gpu = {c.name: c.value for c in constants}
    task_id = "kernelbench/KernelBench/level2/1_Conv"
    entry = ImportedTask(id=task_id, path=str(tmp_path / "1_Conv.py"), category=Category.fuse, level=2,
                         format=ImportFormat.kernelbench, derived_sizes={
                             "cpu": scaled_values(constants, 5), "small": scaled_values(constants, 15), "gpu": gpu})
    registry_file().parent.mkdir(parents=True, exist_ok=True)
    registry_file().write_text(ImportRegistry(tasks={task_id: entry}).model_dump_json())
    rows = dict(_derived_rows(parse_task(CONV, "conv.py", task_id=task_id)))
    assert rows == {"cpu size": "derived: batch_size 16->2, height 256->128, width 256->128",
                    "small size": "derived: batch_size 16->2, height 256->8, width 256->8, last resort: "
                                  "in_channels 64->32, out_channels 128->64"}
    assert _derived_rows(parse_task(CONV, "conv.py", task_id="activation/relu")) == []


SOFTMAX = '''import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=1)


batch_size = 4
height = 32
dim = 4096


def get_inputs():
    return [torch.rand(batch_size, height, dim)]


def get_init_inputs():
    return []
'''


def _fits(limit: int) -> Checker:
    """A stand-in for the jailed probe: out of memory above `limit` input elements, fast below (runs nothing)."""
    def check(task: Task, slot: int, budget_ms: float | None = None) -> ProbeResult:
        found = dict(re.findall(r"^(batch_size|height|dim) = (\d+)$", task.source, re.MULTILINE))
        elements = math.prod(int(v) for v in found.values())
        if elements > limit:
            return ProbeResult(ok=False, kind=TaskProblem.out_of_memory, problem=f"{elements} elements")
        return ProbeResult(ok=True, eager_ms=5.0, ops=["_softmax"])
    return check


def test_import_scales_extents_before_model_dims_and_says_when_it_had_to(home: Path, tmp_path: Path) -> None:
    level1 = tmp_path / "KernelBench" / "level1"
    level1.mkdir(parents=True)
    (level1 / "23_Softmax.py").write_text(SOFTMAX)
    # 4 x 32 x 4096 elements as written; batch and height alone get it to 2 x 8 x 4096 = 65536.
    report = import_tasks(tmp_path / "KernelBench", ImportFormat.kernelbench, check=_fits(65536))
    [row] = report.outcomes
    assert row.outcome is Outcome.imported and row.size == "derived: batch_size 4->2, height 32->8" and not row.note
    # 16384 elements need the softmax's own width too: allowed as a last resort, and said wherever the task is.
    report = import_tasks(tmp_path / "KernelBench", ImportFormat.kernelbench, check=_fits(16384))
    [row] = report.outcomes
    assert row.size.startswith("derived: batch_size 4->2, height 32->8, last resort: dim 4096->")
    assert "scales the model's own dimensions (a last resort)" in row.note and "never probed" in row.note
    assert resolve_task("kernelbench/KernelBench/level1/23_Softmax").notes == [row.note]


def test_a_size_stopped_as_too_slow_is_jumped_from_its_time(home: Path, tmp_path: Path) -> None:
    """The probe stops a size far over the eager budget at its first calls (`too_slow`, with the time it saw): the
    importer asks for that with its budget, and jumps from that time as it does from a whole probe's."""
    level1 = tmp_path / "KernelBench" / "level1"
    level1.mkdir(parents=True)
    (level1 / "23_Softmax.py").write_text(SOFTMAX)
    seen: list[tuple[int, float | None, bool]] = []

    def check(task: Task, slot: int, budget_ms: float | None = None) -> ProbeResult:
        found = dict(re.findall(r"^(batch_size|height|dim) = (\d+)$", task.source, re.MULTILINE))
        elements = math.prod(int(v) for v in found.values())
        eager_ms = elements / 1000  # 524 ms as written
        stopped = budget_ms is not None and eager_ms > 2 * budget_ms
        seen.append((elements, budget_ms, stopped))
        if stopped:
            return ProbeResult(ok=False, kind=TaskProblem.too_slow, eager_ms=eager_ms, problem="too slow")
        return ProbeResult(ok=True, eager_ms=eager_ms, ops=["_softmax"])

    report = import_tasks(tmp_path / "KernelBench", ImportFormat.kernelbench, check=check)
    [row] = report.outcomes
    # 524 ms stopped early: a jump of steps_for(524) = 5 halvings, held at the last step before the model's own
    # width (3); 65.5 ms there is a whole probe over budget, and steps_for(65.5) = 2 more reach 16 ms.
    assert seen == [(4 * 32 * 4096, CPU_BUDGET_MS, True), (2 * 8 * 4096, CPU_BUDGET_MS, False),
                    (2 * 8 * 1024, CPU_BUDGET_MS, False)]
    assert row.outcome is Outcome.imported
    assert row.size == "derived: batch_size 4->2, height 32->8, last resort: dim 4096->1024"


def test_a_size_too_slow_even_at_its_smallest_says_its_time(home: Path, tmp_path: Path) -> None:
    level1 = tmp_path / "KernelBench" / "level1"
    level1.mkdir(parents=True)
    (level1 / "23_Softmax.py").write_text(SOFTMAX)

    def check(task: Task, slot: int, budget_ms: float | None = None) -> ProbeResult:
        return ProbeResult(ok=False, kind=TaskProblem.too_slow, eager_ms=900.0, problem="too slow")

    [row] = import_tasks(tmp_path / "KernelBench", ImportFormat.kernelbench, check=check).outcomes
    assert row.outcome is Outcome.too_large and row.reason.startswith("too large even at its smallest derived size")
    assert row.reason.endswith("eager 900 ms > 50 ms")
