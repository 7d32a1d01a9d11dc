"""Row 10: returns float64 for an fp32 task (more precision than the reference, a different dtype).

Expected: incorrect / output_dtype (the output dtype must match the reference's).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    auto xs = x.to(torch::kFloat64);
    auto y = torch::empty_like(xs);
    const double* in = xs.data_ptr<double>();
    double* out = y.data_ptr<double>();
    for (int64_t i = 0; i < xs.numel(); ++i) out[i] = in[i] > double(0) ? in[i] : double(0);
    return y;
}
"""

ext = load_inline(name="row10_double", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
