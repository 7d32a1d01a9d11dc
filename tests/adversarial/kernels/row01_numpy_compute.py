"""Row 1: calls a no-op kernel and computes with NumPy, which no dispatch recorder sees.

Expected: rejected / banned_import (static: array libraries are off the kernel track).
"""

import numpy as np
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor touch(torch::Tensor x) { return x; }
"""

ext = load_inline(name="row01_numpy", cpp_sources=cpp_source, functions=["touch"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ext.touch(x)
        return torch.from_numpy(np.maximum(x.numpy(), 0.0))
