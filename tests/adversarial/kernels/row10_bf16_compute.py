"""Row 10: a precision downgrade hidden behind the right dtype: the kernel rounds through bfloat16 and
converts back to float32.

Expected: incorrect / output_mismatch (fp32 tolerances catch the lost mantissa bits).
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
        const float v = static_cast<float>(c10::BFloat16(in[i]));
        out[i] = v > 0.f ? v : 0.f;
    }
    return y;
}
"""

ext = load_inline(name="row10_bf16", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
