"""Row 3: returns a torch.Tensor subclass instead of a plain, finished tensor. A subclass runs its own
code whenever the harness touches it (`__torch_function__`), which is how a lazy output computes only
when compared.

Expected: rejected / output_type (run time: outputs must be exactly torch.Tensor).
"""

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


class LazyResult(torch.Tensor):
    """Pretends to be the answer; computes it only when someone looks."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        # A real cheat would finish (or fake) the computation here, on first inspection.
        return super().__torch_function__(func, types, args, kwargs or {})


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return relu_ext.relu_forward(x).as_subclass(LazyResult)
