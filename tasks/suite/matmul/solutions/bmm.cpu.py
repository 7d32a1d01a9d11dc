"""Batched GEMM: B is packed once for the whole batch, then (batch, row-block) tasks run in parallel,
each with a 6x16 register-tiled micro-kernel."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>
#include <vector>

// The micro-kernel keeps an MR x NR tile of C in registers (6 x 16 floats = 12 AVX2 registers).
// K is processed in slices of KC so that a KC x NR strip of B stays in L1.
constexpr int64_t MR = 6;
constexpr int64_t NR = 16;
constexpr int64_t KC = 256;
constexpr int64_t MC = 48;   // rows of A per task; a multiple of MR

// Packed layout of one batch entry of B (K x N, row-major): for each K-slice, for each NR-column
// strip, kc rows of NR floats (columns past N zero-padded).
static void pack_b(const float* B, int64_t K, int64_t N, float* bp) {
    const int64_t n_strips = (N + NR - 1) / NR;
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
        const int64_t kc = std::min(KC, K - k0);
        for (int64_t s = 0; s < n_strips; ++s) {
            const int64_t j0 = s * NR;
            const int64_t nv = std::min(NR, N - j0);
            float* dst = bp + k0 * n_strips * NR + s * kc * NR;
            for (int64_t k = 0; k < kc; ++k) {
                const float* src = B + (k0 + k) * N + j0;
                for (int64_t c = 0; c < nv; ++c) dst[k * NR + c] = src[c];
                for (int64_t c = nv; c < NR; ++c) dst[k * NR + c] = 0.f;
            }
        }
    }
}

// Rows [0, mc) x columns [k0, k0+kc) of A (row-major, lda) into MR-row panels, k-major; the last
// panel is zero-padded.
static void pack_a(const float* A, int64_t lda, int64_t mc, int64_t k0, int64_t kc, float* ap) {
    for (int64_t p = 0; p < mc; p += MR) {
        float* dst = ap + (p / MR) * kc * MR;
        for (int64_t r = 0; r < MR; ++r) {
            if (p + r < mc) {
                const float* src = A + (p + r) * lda + k0;
                for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = src[k];
            } else {
                for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = 0.f;
            }
        }
    }
}

// C[0:mr, 0:nr] (+)= Apanel (kc x MR) * Bstrip (kc x NR); fixed-size inner loops vectorize and the
// accumulator tile stays in registers.
static inline void micro_kernel(int64_t kc, const float* __restrict ap, const float* __restrict bp,
                                float* __restrict c, int64_t ldc, int64_t mr, int64_t nr,
                                bool accumulate) {
    float acc[MR][NR] = {};
    for (int64_t k = 0; k < kc; ++k) {
        const float* a = ap + k * MR;
        const float* b = bp + k * NR;
        for (int64_t r = 0; r < MR; ++r) {
            #pragma omp simd
            for (int64_t j = 0; j < NR; ++j) acc[r][j] += a[r] * b[j];
        }
    }
    for (int64_t r = 0; r < mr; ++r) {
        float* crow = c + r * ldc;
        if (accumulate) {
            for (int64_t j = 0; j < nr; ++j) crow[j] += acc[r][j];
        } else {
            for (int64_t j = 0; j < nr; ++j) crow[j] = acc[r][j];
        }
    }
}

torch::Tensor bmm_forward(torch::Tensor a, torch::Tensor b) {
    TORCH_CHECK(a.scalar_type() == torch::kFloat32 && b.scalar_type() == torch::kFloat32,
                "bmm_forward expects float32");
    TORCH_CHECK(a.dim() == 3 && b.dim() == 3 && a.size(0) == b.size(0) && a.size(2) == b.size(1),
                "shape mismatch");
    auto ac = a.contiguous();
    auto bc = b.contiguous();
    const int64_t BS = ac.size(0), M = ac.size(1), K = ac.size(2), N = bc.size(2);
    auto out = torch::empty({BS, M, N}, ac.options());
    const float* A = ac.data_ptr<float>();
    const float* B = bc.data_ptr<float>();
    float* C = out.data_ptr<float>();
    if (K == 0) {  // an empty sum is zero
        std::fill(C, C + BS * M * N, 0.f);
        return out;
    }

    const int64_t n_strips = (N + NR - 1) / NR;
    const int64_t b_stride = K * n_strips * NR;   // packed floats per batch entry
    std::vector<float> bpack(static_cast<size_t>(BS * b_stride));
    #pragma omp parallel for schedule(static)
    for (int64_t bi = 0; bi < BS; ++bi) pack_b(B + bi * K * N, K, N, bpack.data() + bi * b_stride);

    // One task = one batch entry x one block of MC rows; enough tasks to balance threads even when
    // the batch is 1 or M is small.
    const int64_t m_blocks = (M + MC - 1) / MC;
    #pragma omp parallel
    {
        std::vector<float> apack(static_cast<size_t>(MC * KC));
        #pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < BS * m_blocks; ++t) {
            const int64_t bi = t / m_blocks;
            const int64_t i0 = (t % m_blocks) * MC;
            const int64_t mc = std::min(MC, M - i0);
            const float* Ab = A + bi * M * K + i0 * K;
            const float* Bp = bpack.data() + bi * b_stride;
            float* Cb = C + bi * M * N + i0 * N;
            for (int64_t k0 = 0; k0 < K; k0 += KC) {
                const int64_t kc = std::min(KC, K - k0);
                pack_a(Ab, K, mc, k0, kc, apack.data());
                const float* Bslice = Bp + k0 * n_strips * NR;
                for (int64_t s = 0; s < n_strips; ++s) {
                    const int64_t nr = std::min(NR, N - s * NR);
                    for (int64_t p = 0; p < mc; p += MR) {
                        micro_kernel(kc, apack.data() + (p / MR) * kc * MR, Bslice + s * kc * NR,
                                     Cb + p * N + s * NR, N, std::min(MR, mc - p), nr, k0 > 0);
                    }
                }
            }
        }
    }
    return out;
}
"""

bmm_ext = load_inline(
    name="bmm_ext",
    cpp_sources=cpp_source,
    functions=["bmm_forward"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return bmm_ext.bmm_forward(a, b)
