"""Row 1: the kernel is called, but PyTorch does the real work in forward (`torch.clamp`).

Expected: rejected / torch_compute (run time: the dispatch recorder sees aten::clamp).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor touch(torch::Tensor x) { return x; }
"""

ext = load_inline(name="row01_torch_fwd", cpp_sources=cpp_source, functions=["touch"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(ext.touch(x), min=0.0)
