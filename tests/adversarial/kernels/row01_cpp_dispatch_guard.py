"""Row 1: C++ excludes the Python dispatch key, then calls `at::relu`: PyTorch computes, unrecorded.

Expected: rejected / unsafe_native_code (static).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    c10::impl::ExcludeDispatchKeyGuard guard(c10::DispatchKeySet(c10::DispatchKey::Python));
    return at::relu(x);
}
"""

ext = load_inline(name="row01_dispatch_guard", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
