"""Bad input: the C++ kernel never returns.

Expected: timeout / wall_timeout once the evaluation's timeout_s has passed.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    volatile int64_t spins = 0;
    while (spins >= 0) spins = spins + 1;
    return x;
}
"""

ext = load_inline(name="bad_loop_forward", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
