"""A fused relu(2x + 1): one pass over the input, vectorized, on the threads the harness gives it."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_2x1(torch::Tensor x) {
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    const int64_t n = xc.numel();
    #pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        const float v = 2.f * in[i] + 1.f;
        out[i] = v > 0.f ? v : 0.f;
    }
    return y;
}
"""

ext = load_inline(name="relu_2x1", cpp_sources=cpp_source, functions=["relu_2x1"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_2x1(x)
