"""Row 8: special-cases the prompt's shape: the output is always (192, 16384), filled for that shape only.

Expected (activation/relu): incorrect / output_shape on input group 1 (shape (7, 1001)); group 0, the
prompt's shape, passes.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    auto y = torch::zeros({192, 16384}, x.options());
    const float* in = x.data_ptr<float>();
    float* out = y.data_ptr<float>();
    const int64_t n = std::min<int64_t>(x.numel(), 192 * 16384);
    for (int64_t i = 0; i < n; ++i) out[i] = in[i] > 0.f ? in[i] : 0.f;
    return y;
}
"""

ext = load_inline(name="row08_fixed_shape", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
