"""Row means in CUDA: one block per row, a shared-memory tree reduction."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#define CHECK_F32(t) TORCH_CHECK((t).is_cuda() && (t).scalar_type() == torch::kFloat32, #t " must be float32 on CUDA")

__global__ void row_mean_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t dim) {
    __shared__ float partial[256];
    const float* row = x + blockIdx.x * dim;
    float acc = 0.f;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) acc += row[i];
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
        __syncthreads();
    }
    if (threadIdx.x == 0) y[blockIdx.x] = partial[0] / (float)dim;
}

torch::Tensor mean_lastdim_forward(torch::Tensor x) {
    CHECK_F32(x);
    auto xc = x.contiguous();
    const int64_t dim = xc.size(-1);
    auto sizes = xc.sizes().vec();
    sizes.pop_back();
    auto y = torch::empty(sizes, xc.options());
    const int64_t rows = dim > 0 ? xc.numel() / dim : 0;
    if (rows > 0) row_mean_kernel<<<(unsigned)rows, 256>>>(xc.data_ptr<float>(), y.data_ptr<float>(), dim);
    return y;
}
"""

cpp_source = "torch::Tensor mean_lastdim_forward(torch::Tensor x);"

mean_lastdim_cuda = load_inline(
    name="mean_lastdim_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["mean_lastdim_forward"],
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return mean_lastdim_cuda.mean_lastdim_forward(x)
