"""Sum over the middle dimension in CUDA C++: one thread per output column, walking down the reduced axis.

Neighbouring threads read neighbouring columns, so each step of the walk is one coalesced load per warp; a
second grid dimension covers the batch.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <c10/cuda/CUDAStream.h>

__global__ void sum_dim1_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t R, int64_t D) {
    const int64_t d = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const int64_t b = blockIdx.y;
    if (d >= D) return;
    const float* column = x + b * R * D + d;
    float acc = 0.f;
    for (int64_t r = 0; r < R; ++r) {
        acc += column[r * D];
    }
    y[b * D + d] = acc;
}

torch::Tensor sum_dim1(torch::Tensor x) {
    TORCH_CHECK(x.is_cuda() && x.dim() == 3 && x.scalar_type() == torch::kFloat32,
                "sum_dim1 expects a 3-D float32 CUDA tensor");
    auto xc = x.contiguous();
    const int64_t B = xc.size(0), R = xc.size(1), D = xc.size(2);
    auto y = torch::empty({B, D}, xc.options());
    if (B == 0 || D == 0) return y;
    const int threads = 128;
    const dim3 grid((unsigned)((D + threads - 1) / threads), (unsigned)B);
    sum_dim1_kernel<<<grid, threads, 0, c10::cuda::getCurrentCUDAStream()>>>(
        xc.data_ptr<float>(), y.data_ptr<float>(), R, D);
    return y;
}
"""

ext = load_inline(name="kw_sum_dim1_cuda", cpp_sources="torch::Tensor sum_dim1(torch::Tensor x);",
                  cuda_sources=cuda_source, functions=["sum_dim1"])


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.sum_dim1(x)
