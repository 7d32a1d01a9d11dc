"""Row 6: the kernel computes ReLU in place on its input and returns it, so a reference run on the same
tensor afterwards would see (and return) the candidate's answer.

Expected: rejected / input_mutation (inputs are cloned per side and checked after the candidate runs).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    float* p = x.data_ptr<float>();
    for (int64_t i = 0; i < x.numel(); ++i) p[i] = p[i] > 0.f ? p[i] : 0.f;
    return x;
}
"""

ext = load_inline(name="row06_inplace", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
