"""Sum over a middle (strided) dimension. View x as (outer, R, inner); for each outer index and each
chunk of the contiguous inner axis, accumulate the R rows into a small L1-resident accumulator, so every
load is contiguous and the adds vectorize across `inner` (no horizontal reductions needed)."""

import math

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>

// x viewed as (outer, R, inner), contiguous; returns (outer, inner).
torch::Tensor sum_middle(torch::Tensor x, int64_t outer, int64_t R, int64_t inner) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32, "sum_middle expects float32");
    auto xc = x.contiguous();
    TORCH_CHECK(xc.numel() == outer * R * inner, "bad view sizes");
    auto y = torch::empty({outer, inner}, xc.options());
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();

    constexpr int64_t CHUNK = 256;  // 1 KiB of accumulators: stays in registers/L1
    const int64_t nchunks = (inner + CHUNK - 1) / CHUNK;

    #pragma omp parallel for collapse(2) schedule(static)
    for (int64_t o = 0; o < outer; ++o) {
        for (int64_t c = 0; c < nchunks; ++c) {
            const int64_t d0 = c * CHUNK;
            const int64_t len = std::min(CHUNK, inner - d0);
            const float* base = in + o * R * inner + d0;
            float acc[CHUNK];
            #pragma omp simd
            for (int64_t d = 0; d < len; ++d) acc[d] = 0.f;
            for (int64_t r = 0; r < R; ++r) {
                const float* row = base + r * inner;
                #pragma omp simd
                for (int64_t d = 0; d < len; ++d) acc[d] += row[d];
            }
            float* dst = out + o * inner + d0;
            #pragma omp simd
            for (int64_t d = 0; d < len; ++d) dst[d] = acc[d];
        }
    }
    return y;
}
"""

sum_ext = load_inline(
    name="sum_middle_ext",
    cpp_sources=cpp_source,
    functions=["sum_middle"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Shape bookkeeping only: collapse the axes before and after `dim`.
        dim = self.dim % x.dim()
        outer = math.prod(x.shape[:dim])
        inner = math.prod(x.shape[dim + 1:])
        y = sum_ext.sum_middle(x, outer, x.shape[dim], inner)
        return y.view(*x.shape[:dim], *x.shape[dim + 1:])
