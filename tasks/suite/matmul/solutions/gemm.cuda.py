"""GEMM in CUDA with 16x16 shared-memory tiles (the classic tiled kernel)."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cuda_source = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#define CHECK_F32(t) TORCH_CHECK((t).is_cuda() && (t).scalar_type() == torch::kFloat32, #t " must be float32 on CUDA")

constexpr int TILE = 16;

// C (M x N) = A (M x K) * B, where B is (K x N) row-major, or (N x K) row-major when B_TRANSPOSED (nn.Linear's
// weight layout); optional bias over N and ReLU in the epilogue. 16x16 tiles of A and B are staged in shared memory.
template <bool B_TRANSPOSED>
__global__ void gemm_kernel(const float* __restrict__ A, const float* __restrict__ B, const float* __restrict__ bias,
                            float* __restrict__ C, int M, int N, int K, bool relu) {
    __shared__ float As[TILE][TILE];
    __shared__ float Bs[TILE][TILE];
    const int row = blockIdx.y * TILE + threadIdx.y;
    const int col = blockIdx.x * TILE + threadIdx.x;
    float acc = 0.f;
    for (int k0 = 0; k0 < K; k0 += TILE) {
        const int ka = k0 + threadIdx.x;
        const int kb = k0 + threadIdx.y;
        As[threadIdx.y][threadIdx.x] = (row < M && ka < K) ? A[(int64_t)row * K + ka] : 0.f;
        float bv = 0.f;
        if (col < N && kb < K) bv = B_TRANSPOSED ? B[(int64_t)col * K + kb] : B[(int64_t)kb * N + col];
        Bs[threadIdx.y][threadIdx.x] = bv;
        __syncthreads();
        #pragma unroll
        for (int k = 0; k < TILE; ++k) acc += As[threadIdx.y][k] * Bs[k][threadIdx.x];
        __syncthreads();
    }
    if (row < M && col < N) {
        if (bias != nullptr) acc += bias[col];
        if (relu) acc = fmaxf(acc, 0.f);
        C[(int64_t)row * N + col] = acc;
    }
}

torch::Tensor gemm_forward(torch::Tensor a, torch::Tensor b) {
    CHECK_F32(a);
    CHECK_F32(b);
    TORCH_CHECK(a.dim() == 2 && b.dim() == 2 && a.size(1) == b.size(0), "shape mismatch");
    auto ac = a.contiguous();
    auto bc = b.contiguous();
    const int M = ac.size(0), K = ac.size(1), N = bc.size(1);
    auto c = torch::empty({M, N}, ac.options());
    dim3 block(TILE, TILE), grid((N + TILE - 1) / TILE, (M + TILE - 1) / TILE);
    if (M > 0 && N > 0) gemm_kernel<false><<<grid, block>>>(ac.data_ptr<float>(), bc.data_ptr<float>(), nullptr,
                                                             c.data_ptr<float>(), M, N, K, false);
    return c;
}
"""

cpp_source = "torch::Tensor gemm_forward(torch::Tensor a, torch::Tensor b);"

gemm_cuda = load_inline(
    name="gemm_cuda",
    cpp_sources=cpp_source,
    cuda_sources=cuda_source,
    functions=["gemm_forward"],
    extra_cuda_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return gemm_cuda.gemm_forward(a, b)
