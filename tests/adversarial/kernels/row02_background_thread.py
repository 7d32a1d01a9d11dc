"""Row 2: forward hands the work to a background thread and returns at once, so the timer misses it.

Expected: rejected / banned_import (static: `threading`). With the static checks bypassed:
rejected / background_thread (run time: a thread is still running after forward returns).
"""

import threading
import time

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


def _fill(x: torch.Tensor, out: torch.Tensor) -> None:
    out.copy_(relu_ext.relu_forward(x))
    time.sleep(0.5)  # linger, as a worker pool thread would


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        threading.Thread(target=_fill, args=(x, out), daemon=True).start()
        return out
