"""Row 1: calls a no-op kernel, then switches off the harness's dispatch recorder and lets PyTorch compute.

Expected: rejected / harness_introspection (static: private torch internals are off limits).
"""

import torch
import torch.nn as nn
from torch.utils._python_dispatch import _disable_current_modes
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor touch(torch::Tensor x) { return x; }
"""

ext = load_inline(name="row01_disable_modes", cpp_sources=cpp_source, functions=["touch"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ext.touch(x)
        with _disable_current_modes():
            return torch.relu(x)
