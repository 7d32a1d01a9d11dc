"""Row 10: computes and returns fp16 for an fp32 task.

Expected: incorrect / output_dtype (the output dtype must match the reference's).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    auto xs = x.to(torch::kFloat16);
    auto y = torch::empty_like(xs);
    const at::Half* in = xs.data_ptr<at::Half>();
    at::Half* out = y.data_ptr<at::Half>();
    for (int64_t i = 0; i < xs.numel(); ++i) out[i] = in[i] > at::Half(0) ? in[i] : at::Half(0);
    return y;
}
"""

ext = load_inline(name="row10_half", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
