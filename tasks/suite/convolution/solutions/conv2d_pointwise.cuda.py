"""Pointwise (1x1) convolution in CUDA: one thread per output (n, c_out, pixel); consecutive threads take
consecutive pixels, so input reads are coalesced and the weight row is broadcast."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#define CHECK_F32(t) TORCH_CHECK((t).is_cuda() && (t).scalar_type() == torch::kFloat32, #t " must be float32 on CUDA")

__global__ void pointwise_kernel(const float* __restrict__ x, const float* __restrict__ w,
                                 const float* __restrict__ b, float* __restrict__ y, int64_t n_out, int64_t c_in,
                                 int64_t c_out, int64_t hw) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n_out; i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t p = i % hw;
        const int64_t co = (i / hw) % c_out;
        const int64_t n = i / (hw * c_out);
        const float* xp = x + n * c_in * hw + p;
        const float* wr = w + co * c_in;
        float acc = b[co];
        for (int64_t ci = 0; ci < c_in; ++ci) acc += wr[ci] * xp[ci * hw];
        y[i] = acc;
    }
}

torch::Tensor pointwise_forward(torch::Tensor x, torch::Tensor w, torch::Tensor b) {
    CHECK_F32(x);
    CHECK_F32(w);
    CHECK_F32(b);
    auto xc = x.contiguous();
    const int64_t N = xc.size(0), c_in = xc.size(1), H = xc.size(2), W = xc.size(3), c_out = w.size(0);
    auto y = torch::empty({N, c_out, H, W}, xc.options());
    const int64_t n_out = y.numel();
    const int blocks = (int)std::min<int64_t>((n_out + 255) / 256, 65535);
    if (n_out > 0) pointwise_kernel<<<blocks, 256>>>(xc.data_ptr<float>(), w.contiguous().data_ptr<float>(),
                                                     b.contiguous().data_ptr<float>(), y.data_ptr<float>(), n_out,
                                                     c_in, c_out, H * W);
    return y;
}
"""

cpp_source = "torch::Tensor pointwise_forward(torch::Tensor x, torch::Tensor w, torch::Tensor b);"

conv_pointwise_cuda = load_inline(
    name="conv_pointwise_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["pointwise_forward"],
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return conv_pointwise_cuda.pointwise_forward(x, self.conv.weight, self.conv.bias)
