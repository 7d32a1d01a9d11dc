"""Bias add over the last dimension in CUDA: bias index = flat index modulo the row length."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#define CHECK_F32(t) TORCH_CHECK((t).is_cuda() && (t).scalar_type() == torch::kFloat32, #t " must be float32 on CUDA")

__global__ void bias_add_kernel(const float* __restrict__ x, const float* __restrict__ b, float* __restrict__ y,
                                int64_t n, int64_t dim) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        y[i] = x[i] + b[i % dim];
    }
}

torch::Tensor bias_add_forward(torch::Tensor x, torch::Tensor b) {
    CHECK_F32(x);
    CHECK_F32(b);
    auto xc = x.contiguous();
    auto bc = b.contiguous();
    auto y = torch::empty_like(xc);
    const int64_t n = xc.numel();
    const int blocks = (int)std::min<int64_t>((n + 255) / 256, 65535);
    if (n > 0) bias_add_kernel<<<blocks, 256>>>(xc.data_ptr<float>(), bc.data_ptr<float>(), y.data_ptr<float>(), n,
                                                bc.numel());
    return y;
}
"""

cpp_source = "torch::Tensor bias_add_forward(torch::Tensor x, torch::Tensor b);"

bias_add_cuda = load_inline(
    name="bias_add_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["bias_add_forward"],
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return bias_add_cuda.bias_add_forward(x, b)
