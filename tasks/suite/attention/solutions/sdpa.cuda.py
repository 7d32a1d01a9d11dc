"""Scaled dot-product attention in CUDA with an online softmax: one warp per query row streams over the
keys, keeping a running max, sum and output accumulator (lane j owns head dimensions j, j + 32, ...)."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#define CHECK_F32(t) TORCH_CHECK((t).is_cuda() && (t).scalar_type() == torch::kFloat32, #t " must be float32 on CUDA")

constexpr int MAX_D_PER_LANE = 8;  // head dims up to 256

__global__ void sdpa_kernel(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
                            float* __restrict__ o, int64_t rows, int64_t s_q, int64_t s_k, int d, float scale) {
    const int64_t row = blockIdx.x * (int64_t)(blockDim.x / 32) + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows) return;
    const int64_t bh = row / s_q;
    const float* qr = q + row * d;
    const float* kb = k + bh * s_k * d;
    const float* vb = v + bh * s_k * d;
    float qv[MAX_D_PER_LANE], acc[MAX_D_PER_LANE];
    for (int j = 0; j < MAX_D_PER_LANE; ++j) {
        const int c = lane + 32 * j;
        qv[j] = c < d ? qr[c] : 0.f;
        acc[j] = 0.f;
    }
    float m = -INFINITY, l = 0.f;
    for (int64_t t = 0; t < s_k; ++t) {
        float dot = 0.f;
        for (int j = 0; j < MAX_D_PER_LANE; ++j) {
            const int c = lane + 32 * j;
            if (c < d) dot += qv[j] * kb[t * d + c];
        }
        for (int off = 16; off > 0; off >>= 1) dot += __shfl_xor_sync(0xffffffff, dot, off);
        const float s = dot * scale;
        const float m_new = fmaxf(m, s);
        const float alpha = __expf(m - m_new);
        const float p = __expf(s - m_new);
        l = l * alpha + p;
        for (int j = 0; j < MAX_D_PER_LANE; ++j) {
            const int c = lane + 32 * j;
            if (c < d) acc[j] = acc[j] * alpha + p * vb[t * d + c];
        }
        m = m_new;
    }
    for (int j = 0; j < MAX_D_PER_LANE; ++j) {
        const int c = lane + 32 * j;
        if (c < d) o[row * d + c] = acc[j] / l;
    }
}

torch::Tensor sdpa_forward(torch::Tensor q, torch::Tensor k, torch::Tensor v) {
    CHECK_F32(q);
    CHECK_F32(k);
    CHECK_F32(v);
    TORCH_CHECK(q.size(-1) <= 32 * MAX_D_PER_LANE, "head dim too large for this kernel");
    auto qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
    auto o = torch::empty_like(qc);
    const int d = qc.size(3);
    const int64_t s_q = qc.size(2), s_k = kc.size(2), rows = qc.numel() / d;
    const int warps_per_block = 4;
    const unsigned blocks = (unsigned)((rows + warps_per_block - 1) / warps_per_block);
    if (rows > 0) sdpa_kernel<<<blocks, 32 * warps_per_block>>>(qc.data_ptr<float>(), kc.data_ptr<float>(),
                                                               vc.data_ptr<float>(), o.data_ptr<float>(), rows, s_q,
                                                               s_k, d, 1.f / sqrtf((float)d));
    return o;
}
"""

cpp_source = "torch::Tensor sdpa_forward(torch::Tensor q, torch::Tensor k, torch::Tensor v);"

sdpa_cuda = load_inline(
    name="sdpa_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["sdpa_forward"],
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return sdpa_cuda.sdpa_forward(q, k, v)
