"""Row 15: forks repeatedly at import (bounded here so a failing sandbox cannot take the machine down); each
child becomes a `sleep` whose argv[0] is a marker the test looks for afterwards.

Expected: rejected / banned_import (static: `os`). With the static checks bypassed: rejected /
sandbox_violation, and no marked process left behind.
"""

import os

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32, "relu_forward expects float32");
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    const int64_t n = xc.numel();
    #pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        out[i] = in[i] > 0.f ? in[i] : 0.f;
    }
    return y;
}
"""

relu_ext = load_inline(
    name="relu_ext",
    cpp_sources=cpp_source,
    functions=["relu_forward"],
    extra_cflags=["-O3"],
)
for _ in range(64):
    if os.fork() == 0:
        os.execv("/bin/sleep", ["kw-fork-marker", "60"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return relu_ext.relu_forward(x)
