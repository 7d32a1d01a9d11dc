"""Exact GELU with a branch-free rational erf approximation, so the OpenMP loop vectorizes."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>

// erf(x) as an odd rational polynomial x * P(x^2) / Q(x^2) on [-4, 4] (|error| < 5e-7; erf is +-1
// in fp32 beyond that). Calling std::erf instead would stop the loop from vectorizing.
static inline float erf_approx(float x) {
    x = std::min(std::max(x, -4.f), 4.f);
    const float x2 = x * x;
    float p = -2.72614225801306e-10f;
    p = p * x2 + 2.77068142495902e-08f;
    p = p * x2 - 2.10102402082508e-06f;
    p = p * x2 - 5.69250639462346e-05f;
    p = p * x2 - 7.34990630326855e-04f;
    p = p * x2 - 2.95459980854025e-03f;
    p = p * x2 - 1.60960333262415e-02f;
    float q = -1.45660718464996e-05f;
    q = q * x2 - 2.13374055278905e-04f;
    q = q * x2 - 1.68282697438203e-03f;
    q = q * x2 - 7.37332916720468e-03f;
    q = q * x2 - 1.42647390514189e-02f;
    return x * p / q;
}

torch::Tensor gelu_forward(torch::Tensor x) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32, "gelu_forward expects float32");
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    const int64_t n = xc.numel();
    constexpr float kInvSqrt2 = 0.70710678118654752f;
    #pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        const float v = in[i];
        out[i] = 0.5f * v * (1.f + erf_approx(v * kInvSqrt2));
    }
    return y;
}
"""

gelu_ext = load_inline(
    name="gelu_ext",
    cpp_sources=cpp_source,
    functions=["gelu_forward"],
    # Without -fno-trapping-math GCC refuses to if-convert the clamp in erf_approx (it may not
    # speculate FP ops that could trap), and the loop silently stays scalar.
    extra_cflags=["-O3", "-fno-trapping-math"],
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return gelu_ext.gelu_forward(x)
