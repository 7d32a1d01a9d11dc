"""Row 2: the C++ kernel queues its loop on PyTorch's inter-op thread pool (`at::launch`) and returns an
unfinished output; the timer stops before the work is done.

Expected: rejected / unsafe_native_code (static; the builder re-checks the exact source it compiles).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    auto y = torch::empty_like(x);
    at::launch([x, y]() mutable {
        const float* in = x.data_ptr<float>();
        float* out = y.data_ptr<float>();
        for (int64_t i = 0; i < x.numel(); ++i) out[i] = in[i] > 0.f ? in[i] : 0.f;
    });
    return y;
}
"""

ext = load_inline(name="row02_launch", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
