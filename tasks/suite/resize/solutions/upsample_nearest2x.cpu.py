"""Nearest upsampling by an integer factor: build each output row once by repeating every input value,
then copy that row for the remaining (scale - 1) output rows. Planes go to threads."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <cstring>

torch::Tensor upsample_nearest(torch::Tensor x, int64_t s) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && x.dim() == 4, "expects a float32 (N, C, H, W) tensor");
    TORCH_CHECK(s >= 1, "scale must be a positive integer");
    auto xc = x.contiguous();
    const int64_t N = xc.size(0), C = xc.size(1), H = xc.size(2), W = xc.size(3);
    const int64_t OH = H * s, OW = W * s;
    auto y = torch::empty({N, C, OH, OW}, xc.options());
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();

    // For an integer scale, PyTorch's source index floor(dst * (1/s)) is exactly dst / s.
    #pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < N * C * H; ++r) {  // r enumerates input rows of all planes
        const float* src = in + r * W;
        float* dst = out + r * s * OW;        // input row r produces output rows r*s .. r*s+s-1
        if (s == 2) {
            #pragma omp simd
            for (int64_t w = 0; w < W; ++w) {
                dst[2 * w] = src[w];
                dst[2 * w + 1] = src[w];
            }
        } else {
            for (int64_t w = 0; w < OW; ++w) dst[w] = src[w / s];
        }
        for (int64_t k = 1; k < s; ++k) std::memcpy(dst + k * OW, dst, sizeof(float) * OW);
    }
    return y;
}
"""

nearest_ext = load_inline(
    name="upsample_nearest_ext",
    cpp_sources=cpp_source,
    functions=["upsample_nearest"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, scale: int):
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nearest_ext.upsample_nearest(x, self.scale)
