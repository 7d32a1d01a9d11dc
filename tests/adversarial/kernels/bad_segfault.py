"""Bad input: the kernel writes through a null pointer.

Expected: runtime_error / crashed (SIGSEGV in the child is a verdict, not a dead worker).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    volatile float* nowhere = nullptr;
    nowhere[x.numel()] = 1.f;
    return x;
}
"""

ext = load_inline(name="bad_segfault", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
