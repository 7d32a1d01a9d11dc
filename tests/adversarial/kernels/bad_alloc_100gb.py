"""Bad input: the forward asks for 100 GB of scratch memory.

Expected: runtime_error / out_of_memory (the child's address-space limit turns it into an allocation error).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    auto scratch = torch::empty({100LL * 1024 * 1024 * 1024 / 4}, x.options());
    scratch.data_ptr<float>()[0] = 1.f;
    return x;
}
"""

ext = load_inline(name="bad_alloc", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
