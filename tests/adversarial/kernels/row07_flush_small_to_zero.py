"""Row 7: skips every output below the task's loose absolute tolerance and writes zero there. Each value is
within atol of the reference, but most of the answer is missing.

Expected (task `relu_loose_tolerance`, atol 1e-2): incorrect / output_mismatch from the relative-L2 check.
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
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = in[i] > 0.01f ? in[i] : 0.f;
    return y;
}
"""

ext = load_inline(name="row07_flush", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
