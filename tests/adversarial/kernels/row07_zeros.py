"""Row 7: returns zeros, hoping the reference is near zero under a loose tolerance.

Expected (task `relu_loose_tolerance`): incorrect / output_mismatch. Tasks where zeros *would* pass are
refused when they load (see the degenerate task files).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    auto y = torch::empty_like(x);
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < y.numel(); ++i) out[i] = 0.f;
    return y;
}
"""

ext = load_inline(name="row07_zeros", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
