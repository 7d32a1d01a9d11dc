"""Pixel shuffle in CUDA: each output element computes the input element it comes from."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#define CHECK_F32(t) TORCH_CHECK((t).is_cuda() && (t).scalar_type() == torch::kFloat32, #t " must be float32 on CUDA")

__global__ void pixel_shuffle_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, int64_t C,
                                     int64_t H, int64_t W, int64_t R) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t ow = i % (W * R);
        const int64_t oh = (i / (W * R)) % (H * R);
        const int64_t c = (i / (W * R * H * R)) % C;
        const int64_t b = i / (W * R * H * R * C);
        const int64_t ic = c * R * R + (oh % R) * R + (ow % R);
        y[i] = x[((b * C * R * R + ic) * H + oh / R) * W + ow / R];
    }
}

torch::Tensor pixel_shuffle_forward(torch::Tensor x, int64_t r) {
    CHECK_F32(x);
    auto xc = x.contiguous();
    const int64_t B = xc.size(0), C = xc.size(1) / (r * r), H = xc.size(2), W = xc.size(3);
    auto y = torch::empty({B, C, H * r, W * r}, xc.options());
    const int64_t n = y.numel();
    const int blocks = (int)std::min<int64_t>((n + 255) / 256, 65535);
    if (n > 0) pixel_shuffle_kernel<<<blocks, 256>>>(xc.data_ptr<float>(), y.data_ptr<float>(), n, C, H, W, r);
    return y;
}
"""

cpp_source = "torch::Tensor pixel_shuffle_forward(torch::Tensor x, int64_t r);"

pixel_shuffle_cuda = load_inline(
    name="pixel_shuffle_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["pixel_shuffle_forward"],
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, factor: int):
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pixel_shuffle_cuda.pixel_shuffle_forward(x, self.factor)
