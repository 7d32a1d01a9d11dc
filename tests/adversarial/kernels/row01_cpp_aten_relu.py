"""Row 1: the "kernel" is C++ that calls `at::relu`, so PyTorch computes the result.

Expected: rejected / torch_compute (run time: the dispatch recorder sees ATen calls made from C++ too).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    return at::relu(x);
}
"""

ext = load_inline(name="row01_aten_relu", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
