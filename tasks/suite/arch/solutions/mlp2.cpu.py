"""Two-layer MLP with a hand-written packed GEMM: each layer is Y = X W^T + b computed in 6x16 register
tiles (AVX vector types), with the bias add and ReLU fused into the same pass over each output strip.
Output column panels go to threads."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

// ---- A small packed GEMM: the building block for both matmuls ---------------------------------
// GCC/Clang vector type: 8 floats, one AVX register; `+` and `*` on it compile to vector FMAs.
typedef float v8f __attribute__((vector_size(32)));
static inline v8f load8(const float* p) { v8f v; std::memcpy(&v, p, sizeof v); return v; }
static inline void store8(float* p, v8f v) { std::memcpy(p, &v, sizeof v); }

constexpr int MR = 6;   // rows of C per micro-tile
constexpr int NR = 16;  // columns of C per micro-tile: two 8-wide vectors

// C[ROWS x 16] += A[ROWS x K] * P[K x 16], where P is a packed panel (16 consecutive floats per k).
// The 2*ROWS accumulators live in registers for the whole K loop: per k, two vector loads of P and
// ROWS broadcasts of A feed 2*ROWS FMAs.
template <int ROWS>
static inline void micro_kernel(int64_t K, const float* A, int64_t lda, const float* P, float* C, int64_t ldc) {
    v8f acc[ROWS][2];
    for (int r = 0; r < ROWS; ++r) {
        acc[r][0] = load8(C + r * ldc);
        acc[r][1] = load8(C + r * ldc + 8);
    }
    for (int64_t k = 0; k < K; ++k) {
        const v8f b0 = load8(P + k * NR), b1 = load8(P + k * NR + 8);
        for (int r = 0; r < ROWS; ++r) {
            const float a = A[r * lda + k];
            acc[r][0] += a * b0;
            acc[r][1] += a * b1;
        }
    }
    for (int r = 0; r < ROWS; ++r) {
        store8(C + r * ldc, acc[r][0]);
        store8(C + r * ldc + 8, acc[r][1]);
    }
}

// Edge tiles (fewer than 6 rows or 16 columns): run the micro-kernel on a zero-padded 6x16 scratch tile.
static void edge_tile(int rows, int cols, int64_t K, const float* A, int64_t lda, const float* P,
                      float* C, int64_t ldc) {
    float tile[MR * NR] = {};
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) tile[r * NR + c] = C[r * ldc + c];
    switch (rows) {
        case 1: micro_kernel<1>(K, A, lda, P, tile, NR); break;
        case 2: micro_kernel<2>(K, A, lda, P, tile, NR); break;
        case 3: micro_kernel<3>(K, A, lda, P, tile, NR); break;
        case 4: micro_kernel<4>(K, A, lda, P, tile, NR); break;
        case 5: micro_kernel<5>(K, A, lda, P, tile, NR); break;
        default: micro_kernel<6>(K, A, lda, P, tile, NR); break;
    }
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) C[r * ldc + c] = tile[r * NR + c];
}

// C[M x N] += A[M x K] * B, single-threaded. B is packed in panels of 16 columns: panel p holds
// B[k][16p .. 16p+15] at Bp + (p * ldp + k) * 16, zero-padded past N. K is blocked so that one panel
// slice (KC x 16 floats = 16 KiB) stays in L1 while every row block of A streams past it.
static void gemm_packed(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* Bp,
                        int64_t ldp, float* C, int64_t ldc) {
    constexpr int64_t KC = 256;
    const int64_t panels = (N + NR - 1) / NR;
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
        const int64_t kc = std::min(KC, K - k0);
        for (int64_t p = 0; p < panels; ++p) {
            const int cols = static_cast<int>(std::min<int64_t>(NR, N - p * NR));
            const float* P = Bp + (p * ldp + k0) * NR;
            for (int64_t i = 0; i < M; i += MR) {
                const int rows = static_cast<int>(std::min<int64_t>(MR, M - i));
                const float* a = A + i * lda + k0;
                float* c = C + i * ldc + p * NR;
                if (rows == MR && cols == NR) micro_kernel<MR>(kc, a, lda, P, c, ldc);
                else edge_tile(rows, cols, kc, a, lda, P, c, ldc);
            }
        }
    }
}

// Pack B given as its transpose, Bt (N x K, row stride ldb), e.g. an nn.Linear weight or attention keys.
static void pack_from_transposed(const float* Bt, int64_t N, int64_t K, int64_t ldb, float* Bp) {
    const int64_t panels = (N + NR - 1) / NR;
    for (int64_t p = 0; p < panels; ++p)
        for (int64_t k = 0; k < K; ++k)
            for (int c = 0; c < NR; ++c) {
                const int64_t n = p * NR + c;
                Bp[(p * K + k) * NR + c] = n < N ? Bt[n * ldb + k] : 0.f;
            }
}

// Pack B given row-major (K x N, row stride ldb), e.g. attention values.
static void pack_from_rowmajor(const float* B, int64_t K, int64_t N, int64_t ldb, float* Bp) {
    const int64_t panels = (N + NR - 1) / NR;
    for (int64_t p = 0; p < panels; ++p)
        for (int64_t k = 0; k < K; ++k)
            for (int c = 0; c < NR; ++c) {
                const int64_t n = p * NR + c;
                Bp[(p * K + k) * NR + c] = n < N ? B[k * ldb + n] : 0.f;
            }
}

// y = x W^T + b (optionally ReLU'd) for x (M, K), W (N, K) as stored by nn.Linear, b (N,).
// Threads split the output columns into 16-wide panels. Each thread packs its panel of W^T into a
// contiguous scratch buffer (K x 16 floats), seeds the output strip with the bias, runs the GEMM on it
// and applies the ReLU while the strip is still in cache.
static torch::Tensor linear_forward(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, bool relu) {
    const int64_t M = x.size(0), K = x.size(1), N = w.size(0);
    auto y = torch::empty({M, N}, x.options());
    const float* X = x.data_ptr<float>();
    const float* W = w.data_ptr<float>();
    const float* bias = b.data_ptr<float>();
    float* Y = y.data_ptr<float>();
    const int64_t panels = (N + NR - 1) / NR;

    #pragma omp parallel
    {
        std::vector<float> panel(K * NR);  // per-thread packed slice of W^T
        #pragma omp for schedule(static)
        for (int64_t p = 0; p < panels; ++p) {
            const int64_t n0 = p * NR;
            const int64_t cols = std::min<int64_t>(NR, N - n0);
            pack_from_transposed(W + n0 * K, cols, K, K, panel.data());
            for (int64_t i = 0; i < M; ++i)
                for (int64_t c = 0; c < cols; ++c) Y[i * N + n0 + c] = bias[n0 + c];
            gemm_packed(M, cols, K, X, K, panel.data(), K, Y + n0, N);
            if (relu)
                for (int64_t i = 0; i < M; ++i)
                    for (int64_t c = 0; c < cols; ++c) Y[i * N + n0 + c] = std::max(Y[i * N + n0 + c], 0.f);
        }
    }
    return y;
}

// fc2(relu(fc1(x))) for x (M, IN).
torch::Tensor mlp2_forward(torch::Tensor x, torch::Tensor w1, torch::Tensor b1, torch::Tensor w2, torch::Tensor b2) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && x.dim() == 2, "x must be float32 (M, IN)");
    TORCH_CHECK(w1.size(1) == x.size(1) && w2.size(1) == w1.size(0), "weight shapes do not chain");
    auto xc = x.contiguous();
    auto h = linear_forward(xc, w1.contiguous(), b1.contiguous(), /*relu=*/true);
    return linear_forward(h, w2.contiguous(), b2.contiguous(), /*relu=*/false);
}
"""

mlp_ext = load_inline(
    name="mlp2_ext",
    cpp_sources=cpp_source,
    functions=["mlp2_forward"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, in_features: int, hidden: int, out_features: int):
        super().__init__()
        # Same submodules and names as Model, so the harness can copy its weights over; only their
        # parameters are used, never their forward.
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x2 = x.reshape(-1, x.shape[-1])  # leading dimensions are all batch
        y = mlp_ext.mlp2_forward(x2, self.fc1.weight, self.fc1.bias, self.fc2.weight, self.fc2.bias)
        return y.view(*x.shape[:-1], y.shape[-1])
