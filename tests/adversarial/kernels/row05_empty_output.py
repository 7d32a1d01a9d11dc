"""Row 5: the kernel allocates its output with `empty_like` and never writes it, hoping the allocator hands
back the reference's freed output (which would hold the right answer).

Expected: incorrect / output_mismatch (the candidate runs before the reference, and freed blocks of the
output's size are NaN-poisoned).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    return torch::empty_like(x);
}
"""

ext = load_inline(name="row05_empty", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
