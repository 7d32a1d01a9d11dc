"""Per-channel scaling: one contiguous, vectorized inner loop per (n, c) plane, the scale hoisted."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor channel_mul_forward(torch::Tensor x, torch::Tensor s) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && s.scalar_type() == torch::kFloat32,
                "channel_mul_forward expects float32");
    TORCH_CHECK(x.dim() == 4 && s.numel() == x.size(1), "expects x (N, C, H, W) and s (1, C, 1, 1)");
    auto xc = x.contiguous();
    auto sc = s.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    const float* scale = sc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    const int64_t C = xc.size(1);
    const int64_t planes = xc.size(0) * C;       // one (n, c) plane = H * W contiguous floats
    const int64_t hw = xc.size(2) * xc.size(3);

    if (hw >= 64) {
        // Big planes: parallelize over planes; each plane is a plain vector loop with one scale.
        #pragma omp parallel for schedule(static)
        for (int64_t p = 0; p < planes; ++p) {
            const float sv = scale[p % C];
            const float* src = in + p * hw;
            float* dst = out + p * hw;
            #pragma omp simd
            for (int64_t i = 0; i < hw; ++i) dst[i] = src[i] * sv;
        }
    } else {
        // Tiny planes (e.g. 1x1 maps): a flat loop over all elements balances threads better.
        const int64_t n = planes * hw;
        #pragma omp parallel for simd schedule(static)
        for (int64_t i = 0; i < n; ++i) out[i] = in[i] * scale[(i / hw) % C];
    }
    return y;
}
"""

channel_mul_ext = load_inline(
    name="channel_mul_ext",
    cpp_sources=cpp_source,
    functions=["channel_mul_forward"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        return channel_mul_ext.channel_mul_forward(x, s)
