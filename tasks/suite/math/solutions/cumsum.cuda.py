"""Prefix sum along the middle axis in CUDA: one thread per (outer, inner) column walks the scanned axis,
so neighbouring threads read neighbouring addresses."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#define CHECK_F32(t) TORCH_CHECK((t).is_cuda() && (t).scalar_type() == torch::kFloat32, #t " must be float32 on CUDA")

__global__ void cumsum_mid_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t outer, int64_t length,
                                  int64_t inner) {
    const int64_t col = blockIdx.x * (int64_t)blockDim.x + threadIdx.x;
    if (col >= outer * inner) return;
    const int64_t base = (col / inner) * length * inner + col % inner;
    float acc = 0.f;
    for (int64_t t = 0; t < length; ++t) {
        acc += x[base + t * inner];
        y[base + t * inner] = acc;
    }
}

torch::Tensor cumsum_forward(torch::Tensor x, int64_t dim) {
    CHECK_F32(x);
    auto xc = x.contiguous();
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < dim; ++d) outer *= xc.size(d);
    for (int64_t d = dim + 1; d < xc.dim(); ++d) inner *= xc.size(d);
    const int64_t length = xc.size(dim);
    auto y = torch::empty_like(xc);
    const int64_t cols = outer * inner;
    if (cols > 0 && length > 0) cumsum_mid_kernel<<<(unsigned)((cols + 255) / 256), 256>>>(
        xc.data_ptr<float>(), y.data_ptr<float>(), outer, length, inner);
    return y;
}
"""

cpp_source = "torch::Tensor cumsum_forward(torch::Tensor x, int64_t dim);"

cumsum_cuda = load_inline(
    name="cumsum_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["cumsum_forward"],
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return cumsum_cuda.cumsum_forward(x, self.dim)
