"""Row 1: C++ calls PyTorch's CPU kernel directly (`at::cpu::clamp_min`), around the dispatcher, so the
dispatch recorder never sees it.

Expected: rejected / unsafe_native_code (static; the builder repeats the check on what it compiles).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <ATen/CPUFunctions.h>

torch::Tensor relu_forward(torch::Tensor x) {
    return at::cpu::clamp_min(x, 0);
}
"""

ext = load_inline(name="row01_at_cpu", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
