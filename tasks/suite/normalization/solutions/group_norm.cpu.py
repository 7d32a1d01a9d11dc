"""GroupNorm, one (sample, group) per task. A group's channels are one contiguous block of
channels_per_group * H * W floats: a two-pass mean/variance over it (32 independent fp32 partial
sums of shifted values: accurate, and not bound by add latency), then each channel is normalized
with a single fused multiply-add, y = x * scale[c] + shift[c]."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <cmath>

constexpr int64_t LANES = 32;

// sum_i (x[i] - c) and sum_i (x[i] - c)^2. Shifting by c (a value of the group, then its mean) keeps
// the terms small, so fp32 partial sums stay accurate even when the data has a large common offset.
static inline float shifted_sum(const float* __restrict x, int64_t n, float c) {
    float part[LANES] = {};
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int64_t k = 0; k < LANES; ++k) part[k] += x[i + k] - c;
    float s = 0.f;
    for (; i < n; ++i) s += x[i] - c;
    for (int64_t k = 0; k < LANES; ++k) s += part[k];
    return s;
}

static inline float shifted_sum_sq(const float* __restrict x, int64_t n, float c) {
    float part[LANES] = {};
    int64_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int64_t k = 0; k < LANES; ++k) {
            const float d = x[i + k] - c;
            part[k] += d * d;
        }
    float s = 0.f;
    for (; i < n; ++i) s += (x[i] - c) * (x[i] - c);
    for (int64_t k = 0; k < LANES; ++k) s += part[k];
    return s;
}

torch::Tensor group_norm_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias,
                                 int64_t groups, double eps) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32 &&
                bias.scalar_type() == torch::kFloat32, "group_norm_forward expects float32");
    TORCH_CHECK(x.dim() >= 2, "expects (N, C, ...)");
    const int64_t N = x.size(0), C = x.size(1);
    TORCH_CHECK(groups > 0 && C % groups == 0, "channels must divide into groups");
    TORCH_CHECK(weight.numel() == C && bias.numel() == C, "one weight and bias per channel");
    auto xc = x.contiguous();
    auto wc = weight.contiguous();
    auto bc = bias.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    const float* w = wc.data_ptr<float>();
    const float* b = bc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    const int64_t HW = N * C > 0 ? xc.numel() / (N * C) : 0;   // spatial size (any number of dims)
    const int64_t cpg = C / groups;                              // channels per group
    const int64_t gsize = cpg * HW;                              // elements per (sample, group)
    if (gsize == 0) return y;

    #pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < N * groups; ++t) {
        const float* src = in + t * gsize;   // (n, g) block: channels g*cpg .. g*cpg+cpg-1 of sample n
        float* dst = out + t * gsize;
        const float mean = src[0] + shifted_sum(src, gsize, src[0]) / gsize;
        const float var = shifted_sum_sq(src, gsize, mean) / gsize;          // biased variance
        const float rstd = 1.f / std::sqrt(var + static_cast<float>(eps));
        const int64_t c0 = (t % groups) * cpg;
        for (int64_t k = 0; k < cpg; ++k) {
            // (x - mean) * rstd * w + b  ==  x * scale + shift
            const float sc = rstd * w[c0 + k];
            const float sh = b[c0 + k] - mean * sc;
            const float* cs = src + k * HW;
            float* cd = dst + k * HW;
            #pragma omp simd
            for (int64_t i = 0; i < HW; ++i) cd[i] = cs[i] * sc + sh;
        }
    }
    return y;
}
"""

group_norm_ext = load_inline(
    name="group_norm_ext",
    cpp_sources=cpp_source,
    functions=["group_norm_forward"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, num_groups: int, num_channels: int):
        super().__init__()
        # Same parameters, created and initialized like the reference (norm.weight, norm.bias);
        # nn.GroupNorm's forward is never used.
        self.norm = nn.GroupNorm(num_groups, num_channels)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = self.norm
        return group_norm_ext.group_norm_forward(x, n.weight, n.bias, n.num_groups, n.eps)
