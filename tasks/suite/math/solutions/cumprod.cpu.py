"""Prefix product along the last dimension. Each row is a serial chain of multiplies, so the kernel
advances RB rows in lockstep: RB independent chains hide the multiply latency of each one."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>

constexpr int64_t RB = 8;   // rows scanned together (independent dependency chains)

torch::Tensor cumprod_forward(torch::Tensor x, int64_t dim) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32, "cumprod_forward expects float32");
    TORCH_CHECK(x.dim() > 0, "cumprod_forward expects at least one dimension");
    if (dim < 0) dim += x.dim();
    TORCH_CHECK(dim == x.dim() - 1, "this kernel scans the last dimension");
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    const int64_t L = xc.size(-1);
    if (L == 0) return y;
    const int64_t rows = xc.numel() / L;

    // Running products are kept in double, like PyTorch's CPU cumprod.
    const int64_t blocks = (rows + RB - 1) / RB;
    #pragma omp parallel for schedule(static)
    for (int64_t blk = 0; blk < blocks; ++blk) {
        const int64_t r0 = blk * RB;
        const float* src = in + r0 * L;
        float* dst = out + r0 * L;
        if (r0 + RB <= rows) {
            double acc[RB];
            for (int64_t r = 0; r < RB; ++r) acc[r] = 1.0;
            for (int64_t j = 0; j < L; ++j) {
                for (int64_t r = 0; r < RB; ++r) {        // fully unrolled: RB chains in flight
                    acc[r] *= static_cast<double>(src[r * L + j]);
                    dst[r * L + j] = static_cast<float>(acc[r]);
                }
            }
        } else {                                          // the last, partial block: one row at a time
            for (int64_t r = 0; r < rows - r0; ++r) {
                double acc = 1.0;
                for (int64_t j = 0; j < L; ++j) {
                    acc *= static_cast<double>(src[r * L + j]);
                    dst[r * L + j] = static_cast<float>(acc);
                }
            }
        }
    }
    return y;
}
"""

cumprod_ext = load_inline(
    name="cumprod_ext",
    cpp_sources=cpp_source,
    functions=["cumprod_forward"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return cumprod_ext.cumprod_forward(x, self.dim)
