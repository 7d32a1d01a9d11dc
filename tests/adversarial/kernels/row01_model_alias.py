"""Row 1: builds a kernel for show, then `ModelNew = Model` (the reference, copied in).

Expected: rejected / reference_use (static).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor touch(torch::Tensor x) { return x; }
"""

ext = load_inline(name="row01_alias", cpp_sources=cpp_source, functions=["touch"])


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


ModelNew = Model
