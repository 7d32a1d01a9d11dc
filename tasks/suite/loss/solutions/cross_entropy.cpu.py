"""Cross-entropy with one read of each logit row: a vectorized max, then a vectorized sum of exp with
a polynomial exp (std::exp would keep the loop scalar), then log and the target's logit."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <bit>
#include <cmath>
#include <limits>

// e^x for x <= 0 (the callers pass logit - row max). Range reduction x = n*ln2 + r with |r| <= ln2/2,
// a degree-6 polynomial for e^r (Cephes expf, ~1 ulp), and 2^n assembled from exponent bits.
// Branch-free, so loops that call it vectorize.
static inline float exp_nonpositive(float x) {
    x = x < -87.f ? -87.f : x;                    // e^-87 ~ 1.6e-38: still a normal float
    const float n = std::floor(x * 1.44269504088896341f + 0.5f);
    const float r = x - n * 0.693359375f + n * 2.12194440e-4f;   // two-step ln2 for accuracy
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.f;
    const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
    return p * std::bit_cast<float>(bits);
}

torch::Tensor cross_entropy_forward(torch::Tensor logits, torch::Tensor targets) {
    TORCH_CHECK(logits.scalar_type() == torch::kFloat32, "logits must be float32");
    TORCH_CHECK(targets.scalar_type() == torch::kInt64, "targets must be int64 class indices");
    TORCH_CHECK(logits.dim() == 2 && targets.dim() == 1 && targets.size(0) == logits.size(0),
                "expects logits (N, C) and targets (N,)");
    auto lc = logits.contiguous();
    auto tc = targets.contiguous();
    const float* x = lc.data_ptr<float>();
    const int64_t* tgt = tc.data_ptr<int64_t>();
    const int64_t N = lc.size(0), C = lc.size(1);
    for (int64_t i = 0; i < N; ++i)
        TORCH_CHECK(tgt[i] >= 0 && tgt[i] < C, "target index out of range");

    double total = 0.0;
    #pragma omp parallel for reduction(+ : total) schedule(static)
    for (int64_t i = 0; i < N; ++i) {
        const float* row = x + i * C;
        float m = -std::numeric_limits<float>::infinity();
        #pragma omp simd reduction(max : m)
        for (int64_t j = 0; j < C; ++j) m = std::max(m, row[j]);
        float s = 0.f;
        #pragma omp simd reduction(+ : s)
        for (int64_t j = 0; j < C; ++j) s += exp_nonpositive(row[j] - m);
        // -log softmax(row)[t] = log(sum exp(row - m)) + m - row[t]; s >= 1 since the max term is 1.
        total += static_cast<double>(std::log(s) + m - row[tgt[i]]);
    }
    auto out = torch::empty({}, lc.options());   // 0-dim, like the reference's mean
    out.data_ptr<float>()[0] = static_cast<float>(total / static_cast<double>(N));
    return out;
}
"""

cross_entropy_ext = load_inline(
    name="cross_entropy_ext",
    cpp_sources=cpp_source,
    functions=["cross_entropy_forward"],
    # Lets GCC if-convert the clamp in exp_nonpositive, so the exp-sum loop vectorizes.
    extra_cflags=["-O3", "-fno-trapping-math"],
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return cross_entropy_ext.cross_entropy_forward(logits, targets)
