"""Prefix sum along one dimension. Viewing x as (outer, L, inner) with inner contiguous, the scan runs
over l while a whole chunk of inner columns is updated by one vectorized loop per step."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>

constexpr int64_t CHUNK = 256;   // inner columns per task: the running sums (2 KiB of doubles) stay in L1

torch::Tensor cumsum_forward(torch::Tensor x, int64_t dim) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32, "cumsum_forward expects float32");
    auto xc = x.contiguous();
    const int64_t nd = xc.dim();
    TORCH_CHECK(nd > 0, "cumsum_forward expects at least one dimension");
    if (dim < 0) dim += nd;
    TORCH_CHECK(dim >= 0 && dim < nd, "dim out of range");
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < dim; ++i) outer *= xc.size(i);
    for (int64_t i = dim + 1; i < nd; ++i) inner *= xc.size(i);
    const int64_t L = xc.size(dim);
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();

    // A task is one outer index and one chunk of inner columns. The running sums are kept in double,
    // like PyTorch's CPU cumsum, so long scans do not drift.
    const int64_t chunks = (inner + CHUNK - 1) / CHUNK;
    #pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < outer * chunks; ++t) {
        const int64_t o = t / chunks;
        const int64_t d0 = (t % chunks) * CHUNK;
        const int64_t w = std::min(CHUNK, inner - d0);
        const float* src = in + o * L * inner + d0;
        float* dst = out + o * L * inner + d0;
        double acc[CHUNK] = {};
        for (int64_t l = 0; l < L; ++l) {
            #pragma omp simd
            for (int64_t d = 0; d < w; ++d) {
                acc[d] += static_cast<double>(src[l * inner + d]);
                dst[l * inner + d] = static_cast<float>(acc[d]);
            }
        }
    }
    return y;
}
"""

cumsum_ext = load_inline(
    name="cumsum_ext",
    cpp_sources=cpp_source,
    functions=["cumsum_forward"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return cumsum_ext.cumsum_forward(x, self.dim)
