"""LayerNorm, one row per task: a two-pass mean/variance (numerically safe for rows with a large
offset, unlike E[x^2] - E[x]^2), then one fused normalize + affine pass. A 4096-float row is 16 KiB,
so the second and third passes read it from L1. The sums use 32 independent partial sums (4 AVX2
registers) so they are not bound by the latency of one chain of adds."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <cmath>

constexpr int64_t LANES = 32;

// sum_j (x[j] - c) and sum_j (x[j] - c)^2. Shifting by c (a value of the row, then its mean) keeps
// the terms small, so fp32 partial sums stay accurate even when the row has a large common offset.
static inline float shifted_sum(const float* __restrict x, int64_t n, float c) {
    float part[LANES] = {};
    int64_t j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int64_t k = 0; k < LANES; ++k) part[k] += x[j + k] - c;
    float s = 0.f;
    for (; j < n; ++j) s += x[j] - c;
    for (int64_t k = 0; k < LANES; ++k) s += part[k];
    return s;
}

static inline float shifted_sum_sq(const float* __restrict x, int64_t n, float c) {
    float part[LANES] = {};
    int64_t j = 0;
    for (; j + LANES <= n; j += LANES)
        for (int64_t k = 0; k < LANES; ++k) {
            const float d = x[j + k] - c;
            part[k] += d * d;
        }
    float s = 0.f;
    for (; j < n; ++j) s += (x[j] - c) * (x[j] - c);
    for (int64_t k = 0; k < LANES; ++k) s += part[k];
    return s;
}

torch::Tensor layer_norm_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, double eps) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32 &&
                bias.scalar_type() == torch::kFloat32, "layer_norm_forward expects float32");
    const int64_t D = weight.numel();
    TORCH_CHECK(D > 0 && x.dim() >= 1 && x.size(-1) == D && bias.numel() == D, "normalized shape mismatch");
    auto xc = x.contiguous();
    auto wc = weight.contiguous();
    auto bc = bias.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    const float* w = wc.data_ptr<float>();
    const float* b = bc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    const int64_t rows = xc.numel() / D;

    #pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
        const float* row = in + r * D;
        float* dst = out + r * D;
        const float mean = row[0] + shifted_sum(row, D, row[0]) / D;
        const float var = shifted_sum_sq(row, D, mean) / D;               // biased variance
        const float rstd = 1.f / std::sqrt(var + static_cast<float>(eps));
        #pragma omp simd
        for (int64_t j = 0; j < D; ++j) dst[j] = (row[j] - mean) * rstd * w[j] + b[j];
    }
    return y;
}
"""

layer_norm_ext = load_inline(
    name="layer_norm_ext",
    cpp_sources=cpp_source,
    functions=["layer_norm_forward"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        # Same parameters, created and initialized like the reference (norm.weight, norm.bias);
        # nn.LayerNorm's forward is never used.
        self.norm = nn.LayerNorm(dim)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return layer_norm_ext.layer_norm_forward(x, self.norm.weight, self.norm.bias, self.norm.eps)
