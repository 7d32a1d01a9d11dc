"""One RMSprop step as a single elementwise CUDA kernel writing both the new parameter and the new state."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#define CHECK_F32(t) TORCH_CHECK((t).is_cuda() && (t).scalar_type() == torch::kFloat32, #t " must be float32 on CUDA")

__global__ void rmsprop_kernel(const float* __restrict__ p, const float* __restrict__ g, const float* __restrict__ v,
                               float* __restrict__ p_out, float* __restrict__ v_out, int64_t n, float lr,
                               float alpha, float eps) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const float gi = g[i];
        const float vi = alpha * v[i] + (1.f - alpha) * gi * gi;
        v_out[i] = vi;
        p_out[i] = p[i] - lr * gi / (sqrtf(vi) + eps);
    }
}

std::vector<torch::Tensor> rmsprop_forward(torch::Tensor p, torch::Tensor g, torch::Tensor v, double lr,
                                           double alpha, double eps) {
    CHECK_F32(p);
    CHECK_F32(g);
    CHECK_F32(v);
    auto pc = p.contiguous(), gc = g.contiguous(), vc = v.contiguous();
    auto p_out = torch::empty_like(pc);
    auto v_out = torch::empty_like(pc);
    const int64_t n = pc.numel();
    const int blocks = (int)std::min<int64_t>((n + 255) / 256, 65535);
    if (n > 0) rmsprop_kernel<<<blocks, 256>>>(pc.data_ptr<float>(), gc.data_ptr<float>(), vc.data_ptr<float>(),
                                               p_out.data_ptr<float>(), v_out.data_ptr<float>(), n, (float)lr,
                                               (float)alpha, (float)eps);
    return {p_out, v_out};
}
"""

cpp_source = (
    "std::vector<torch::Tensor> rmsprop_forward(torch::Tensor p, torch::Tensor g, torch::Tensor v, double lr, "
    "double alpha, double eps);"
)

rmsprop_cuda = load_inline(
    name="rmsprop_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["rmsprop_forward"],
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, lr: float, alpha: float, eps: float):
        super().__init__()
        self.lr = lr
        self.alpha = alpha
        self.eps = eps

    def forward(self, param: torch.Tensor, grad: torch.Tensor, square_avg: torch.Tensor):
        p_new, v_new = rmsprop_cuda.rmsprop_forward(param, grad, square_avg, self.lr, self.alpha, self.eps)
        return p_new, v_new
