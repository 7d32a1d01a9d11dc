"""Causal attention on the CPU: per (batch, head), two packed-GEMM passes per block of query rows
(scores = Q K^T, then out = P V) with a masked, vectorized softmax in between. Each block only computes
the keys it can see, which halves the work. The GEMM keeps a 6x16 tile of the result in AVX registers;
heads go to threads."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
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

// exp(x) to ~1e-7 relative error, branch-free so `omp simd` loops vectorize it (libm's expf is scalar):
// x = n*ln2 + r with |r| <= ln2/2, exp(r) by a degree-6 polynomial (Cephes expf), 2^n via the exponent bits.
static inline float fast_exp(float x) {
    x = std::min(std::max(x, -87.0f), 88.0f);
    const float n = std::floor(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f;          // ln2 split in two parts for an exact reduction
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
    return p * std::bit_cast<float>(bits);
}

// Causal attention: query i attends to keys j <= i (PyTorch's is_causal, aligned top-left).
// out = softmax(q k^T * scale + mask) v for q (B, H, Sq, D), k and v (B, H, Sk, D).
// Per (batch, head): pack K and V once, then for each block of QB query rows i0 .. i0+m-1 only the
// first kmax = i0 + m keys can be visible, so both GEMMs stop there (about half the work of full attention):
//   S = Q_blk K[:kmax]^T, masked softmax of each row in place, O_blk = P V[:kmax], O /= row sums.
torch::Tensor causal_attention_forward(torch::Tensor q, torch::Tensor k, torch::Tensor v) {
    TORCH_CHECK(q.scalar_type() == torch::kFloat32 && q.dim() == 4, "q must be float32 (B, H, Sq, D)");
    TORCH_CHECK(k.sizes() == v.sizes() && k.dim() == 4 && k.size(0) == q.size(0) && k.size(1) == q.size(1) &&
                k.size(3) == q.size(3), "k and v must be (B, H, Sk, D) matching q");
    auto qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
    const int64_t B = qc.size(0), H = qc.size(1), Sq = qc.size(2), D = qc.size(3), Sk = kc.size(2);
    auto out = torch::empty({B, H, Sq, D}, qc.options());
    const float* Q = qc.data_ptr<float>();
    const float* K = kc.data_ptr<float>();
    const float* V = vc.data_ptr<float>();
    float* O = out.data_ptr<float>();
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(D)));
    constexpr int64_t QB = 8 * MR;  // query rows per block: S is QB x Sk floats
    const int64_t key_panels = (Sk + NR - 1) / NR, dim_panels = (D + NR - 1) / NR;

    #pragma omp parallel
    {
        // Per-thread scratch, reused across heads.
        std::vector<float> Kp(key_panels * D * NR), Vp(dim_panels * Sk * NR), S(QB * Sk), inv_sum(QB);
        #pragma omp for schedule(dynamic, 1)
        for (int64_t bh = 0; bh < B * H; ++bh) {
            const float* q_h = Q + bh * Sq * D;
            const float* k_h = K + bh * Sk * D;
            const float* v_h = V + bh * Sk * D;
            float* o_h = O + bh * Sq * D;
            pack_from_transposed(k_h, Sk, D, D, Kp.data());  // B = K^T (D x Sk)
            pack_from_rowmajor(v_h, Sk, D, D, Vp.data());    // B = V   (Sk x D)
            for (int64_t i0 = 0; i0 < Sq; i0 += QB) {
                const int64_t m = std::min(QB, Sq - i0);
                const int64_t kmax = std::min(Sk, i0 + m);  // keys any row of this block can see
                float* o_blk = o_h + i0 * D;
                std::fill(o_blk, o_blk + m * D, 0.f);
                if (kmax == 0) continue;  // no visible keys (Sk == 0)
                // Scores for the visible keys: S[m x kmax] (row stride Sk) = Q_blk K[:kmax]^T.
                for (int64_t r = 0; r < m; ++r) std::fill(S.begin() + r * Sk, S.begin() + r * Sk + kmax, 0.f);
                gemm_packed(m, kmax, D, q_h + i0 * D, D, Kp.data(), D, S.data(), Sk);
                // Masked softmax numerators in place: row r (query i0 + r) keeps keys j <= i0 + r.
                for (int64_t r = 0; r < m; ++r) {
                    float* row = S.data() + r * Sk;
                    const int64_t visible = std::min(kmax, i0 + r + 1);
                    float mx = -std::numeric_limits<float>::infinity();
                    #pragma omp simd reduction(max : mx)
                    for (int64_t j = 0; j < visible; ++j) mx = std::max(mx, row[j]);
                    const float shift = mx * scale;  // scale > 0, so max(row * scale) = max(row) * scale
                    float sum = 0.f;
                    #pragma omp simd reduction(+ : sum)
                    for (int64_t j = 0; j < visible; ++j) {
                        const float p = fast_exp(row[j] * scale - shift);
                        row[j] = p;
                        sum += p;
                    }
                    for (int64_t j = visible; j < kmax; ++j) row[j] = 0.f;  // masked keys get zero weight
                    inv_sum[r] = 1.f / sum;
                }
                // Output: O_blk = P V[:kmax], then divide each row by its softmax denominator.
                gemm_packed(m, D, kmax, S.data(), Sk, Vp.data(), Sk, o_blk, D);
                for (int64_t r = 0; r < m; ++r) {
                    #pragma omp simd
                    for (int64_t d = 0; d < D; ++d) o_blk[r * D + d] *= inv_sum[r];
                }
            }
        }
    }
    return out;
}
"""

attention_ext = load_inline(
    name="causal_attention_ext",
    cpp_sources=cpp_source,
    functions=["causal_attention_forward"],
    # -fno-trapping-math lets GCC vectorize the float->int conversion inside fast_exp; results are unchanged.
    extra_cflags=["-O3", "-fno-trapping-math"],
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return attention_ext.causal_attention_forward(q, k, v)
