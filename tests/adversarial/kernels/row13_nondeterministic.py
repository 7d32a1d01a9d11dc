"""Row 13: right on its first call, then drifts (a call counter perturbs later results), the way a kernel
with a race or uninitialized accumulator passes once.

Expected: incorrect / nondeterministic (the first input group is run twice and must agree with itself).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

static int64_t calls = 0;

torch::Tensor relu_forward(torch::Tensor x) {
    const float drift = (calls++ % 2) * 1e-2f;
    auto y = torch::empty_like(x);
    const float* in = x.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = (in[i] > 0.f ? in[i] : 0.f) + drift;
    return y;
}
"""

ext = load_inline(name="row13_drift", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
