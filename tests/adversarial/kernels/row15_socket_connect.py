"""Row 15: opens a TCP connection at import (to send data out, or fetch an answer).
The test replaces the port 54321 with that of a server it listens on.

Expected: rejected / banned_import (static: `socket`). With the static checks bypassed: rejected /
sandbox_violation, and the server sees no connection (audit hook, and a network namespace without routes).
"""

import socket

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
with socket.create_connection(("127.0.0.1", 54321), timeout=2) as conn:
    conn.sendall(b"kernelwright candidate says hello")


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return relu_ext.relu_forward(x)
