"""Row-wise log-sum-exp in two vectorized passes per row: a max reduction, then a sum of exp(x - max)
using a polynomial exp that the compiler can vectorize (libm's expf is scalar). Rows go to threads."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

// exp(x) to ~1e-7 relative error, branch-free so `omp simd` loops vectorize it:
// x = n*ln2 + r with |r| <= ln2/2, exp(r) by a degree-6 polynomial (Cephes expf), 2^n via the exponent bits.
static inline float fast_exp(float x) {
    x = std::min(std::max(x, -87.0f), 88.0f);
    const float n = std::floor(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f;          // ln2 split in two parts for an exact reduction
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
    return p * std::bit_cast<float>(bits);
}

torch::Tensor logsumexp_rows(torch::Tensor x) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && x.dim() >= 1, "logsumexp_rows expects float32");
    auto xc = x.contiguous();
    const int64_t D = xc.size(-1);
    const int64_t rows = D > 0 ? xc.numel() / D : 0;
    auto sizes = xc.sizes().vec();
    sizes.pop_back();
    auto y = torch::empty(sizes, xc.options());
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();

    #pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < rows; ++b) {
        const float* row = in + b * D;
        float m = -std::numeric_limits<float>::infinity();
        #pragma omp simd reduction(max : m)
        for (int64_t j = 0; j < D; ++j) m = std::max(m, row[j]);
        // Like PyTorch, do not shift by an infinite max (that would produce inf - inf = NaN).
        const float shift = std::isinf(m) ? 0.f : m;
        float s = 0.f;
        #pragma omp simd reduction(+ : s)
        for (int64_t j = 0; j < D; ++j) s += fast_exp(row[j] - shift);
        out[b] = std::log(s) + shift;
    }
    return y;
}
"""

lse_ext = load_inline(
    name="logsumexp_rows_ext",
    cpp_sources=cpp_source,
    functions=["logsumexp_rows"],
    # Lets GCC vectorize the float->int conversion inside fast_exp; it changes no results.
    extra_cflags=["-O3", "-fno-trapping-math"],
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return lse_ext.logsumexp_rows(x)
