"""Row 9: a shortcut valid only for the default distribution: inputs are assumed to lie in [-8, 8] (true
for randn), and the kernel saturates there, like a lookup table would.

Expected (activation/relu): incorrect / output_mismatch on input group 3 (heavy-tailed randn**3).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    auto y = torch::empty_like(x);
    const float* in = x.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < x.numel(); ++i) {
        const float v = in[i] > 8.f ? 8.f : in[i];
        out[i] = v > 0.f ? v : 0.f;
    }
    return y;
}
"""

ext = load_inline(name="row09_range", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
