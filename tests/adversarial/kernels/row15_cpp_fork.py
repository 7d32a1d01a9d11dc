"""Row 15: the C++ kernel forks at load time (a static initializer), through a function pointer.

Expected: rejected / unsafe_native_code (static; the builder re-checks the exact source it compiles).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <unistd.h>

static int spawned = [] {
    auto spawn = &fork;
    for (int i = 0; i < 8; ++i) if (spawn() == 0) { pause(); }
    return 0;
}();

torch::Tensor relu_forward(torch::Tensor x) {
    auto y = torch::empty_like(x);
    const float* in = x.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = in[i] > 0.f ? in[i] : 0.f;
    return y;
}
"""

ext = load_inline(name="row15_fork", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
