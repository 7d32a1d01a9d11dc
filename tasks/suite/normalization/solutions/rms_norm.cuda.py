"""RMS norm in CUDA: one block per row; a block reduction of the squares, then the scaled write."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#define CHECK_F32(t) TORCH_CHECK((t).is_cuda() && (t).scalar_type() == torch::kFloat32, #t " must be float32 on CUDA")

__global__ void rms_norm_kernel(const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y,
                                int64_t dim, float eps) {
    __shared__ float partial[256];
    const float* row = x + blockIdx.x * dim;
    float acc = 0.f;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) acc += row[i] * row[i];
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) partial[threadIdx.x] += partial[threadIdx.x + s];
        __syncthreads();
    }
    const float inv = rsqrtf(partial[0] / (float)dim + eps);
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) y[blockIdx.x * dim + i] = row[i] * inv * w[i];
}

torch::Tensor rms_norm_forward(torch::Tensor x, torch::Tensor w, double eps) {
    CHECK_F32(x);
    CHECK_F32(w);
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    const int64_t dim = xc.size(-1);
    const int64_t rows = dim > 0 ? xc.numel() / dim : 0;
    if (rows > 0) rms_norm_kernel<<<(unsigned)rows, 256>>>(xc.data_ptr<float>(), w.contiguous().data_ptr<float>(),
                                                           y.data_ptr<float>(), dim, (float)eps);
    return y;
}
"""

cpp_source = "torch::Tensor rms_norm_forward(torch::Tensor x, torch::Tensor w, double eps);"

rms_norm_cuda = load_inline(
    name="rms_norm_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["rms_norm_forward"],
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.rand(dim) + 0.5, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rms_norm_cuda.rms_norm_forward(x, self.weight, self.eps)
