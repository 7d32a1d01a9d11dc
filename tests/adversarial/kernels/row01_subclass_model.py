"""Row 1: ModelNew inherits the reference Model and adds a kernel it never needs.

Expected: rejected / reference_use (static).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor touch(torch::Tensor x) { return x; }
"""

ext = load_inline(name="row01_subclass", cpp_sources=cpp_source, functions=["touch"])


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


class ModelNew(Model):
    pass
