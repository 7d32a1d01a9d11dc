"""Row 9: strided subsampling: looks at every 256th input, and when almost none of the sample is positive,
skips the work and returns zeros (for randn inputs about half are positive, so the shortcut never fires).

Expected (activation/relu): incorrect / output_mismatch on input group 2 (randn - 3, mostly negative).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    const float* in = x.data_ptr<float>();
    const int64_t n = x.numel();
    int64_t sampled = 0, positive = 0;
    for (int64_t i = 0; i < n; i += 256) { ++sampled; positive += in[i] > 0.f; }
    if (positive * 100 < sampled) return torch::zeros_like(x);
    auto y = torch::empty_like(x);
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < n; ++i) out[i] = in[i] > 0.f ? in[i] : 0.f;
    return y;
}
"""

ext = load_inline(name="row09_sampled", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
