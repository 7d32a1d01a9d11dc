"""Derived sizes (tasks/derived_sizes.py) and categories by rule (tasks/categories.py), without running anything."""

from __future__ import annotations

from tasks.categories import category_from_name, category_from_ops, level_by_rule, normalized_name
from tasks.derived_sizes import max_step, scalable_constants, scaled_values, steps_for, with_derived_sizes
from tasks.loader import parse_task, task_at_size
from tasks.model import Category

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


def test_scalable_constants_batch_first_and_knobs_left_alone() -> None:
    names = [c.name for c in scalable_constants(CONV)]
    assert names[0] == "batch_size"
    assert set(names) == {"batch_size", "in_channels", "out_channels", "height", "width"}


def test_steps_halve_batch_to_one_then_extents_in_turn_keeping_them_even() -> None:
    constants = scalable_constants(CONV)
    assert scaled_values(constants, 4)["batch_size"] == 1
    after = scaled_values(constants, 8)
    assert after["batch_size"] == 1 and after["in_channels"] == 32 and after["out_channels"] == 64
    assert after["height"] == 128 and after["width"] == 128
    last = scaled_values(constants, max_step(constants))
    assert all(v >= 8 for k, v in last.items() if k != "batch_size")
    assert last["in_channels"] % 8 == 0 and last["out_channels"] % 8 == 0  # still divisible by groups = 8
    assert scaled_values(constants, max_step(constants) + 5) == last


def test_jump_from_a_measured_time() -> None:
    assert steps_for(40.0) == 1 and steps_for(20_000.0) == 10


def test_derived_source_is_the_cpu_size_and_declares_the_others() -> None:
    constants = scalable_constants(CONV)
    gpu = {c.name: c.value for c in constants}
    source = with_derived_sizes(CONV, scaled_values(constants, 8), scaled_values(constants, 14), gpu, "conv.py")
    task = parse_task(source, "conv.py")
    assert task.sizes == ["cpu", "gpu", "small"] and "batch_size = 1\n" in source and "height = 128" in source
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
