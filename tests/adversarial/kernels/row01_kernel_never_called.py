"""Row 1: a kernel is built (so the static check is satisfied) but forward never calls it.

Expected: rejected / kernel_not_called (run time: the builder's call counter did not move).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) { return x; }
"""

ext = load_inline(name="row01_never_called", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clone()
