"""Linear + bias + exact GELU in one pass: a packed, register-tiled GEMM whose last K-slice applies
bias and GELU while the output tile is still in registers (no extra sweep over the output)."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>
#include <vector>

constexpr int64_t MR = 6;     // rows of the register tile
constexpr int64_t NR = 16;    // columns of the register tile (2 AVX2 vectors)
constexpr int64_t KC = 256;   // K-slice: a KC x NR strip of W^T stays in L1
constexpr int64_t MC = 96;    // rows of x per task (a multiple of MR)
constexpr int64_t NC = 512;   // output columns per task (a multiple of NR)

// erf(x) as an odd rational polynomial x * P(x^2) / Q(x^2) on [-4, 4] (|error| < 5e-7; erf is +-1
// in fp32 beyond that). Pure arithmetic, so loops that call it vectorize.
static inline float erf_approx(float x) {
    x = std::min(std::max(x, -4.f), 4.f);
    const float x2 = x * x;
    float p = -2.72614225801306e-10f;
    p = p * x2 + 2.77068142495902e-08f;
    p = p * x2 - 2.10102402082508e-06f;
    p = p * x2 - 5.69250639462346e-05f;
    p = p * x2 - 7.34990630326855e-04f;
    p = p * x2 - 2.95459980854025e-03f;
    p = p * x2 - 1.60960333262415e-02f;
    float q = -1.45660718464996e-05f;
    q = q * x2 - 2.13374055278905e-04f;
    q = q * x2 - 1.68282697438203e-03f;
    q = q * x2 - 7.37332916720468e-03f;
    q = q * x2 - 1.42647390514189e-02f;
    return x * p / q;
}

static inline float gelu(float z) { return 0.5f * z * (1.f + erf_approx(z * 0.70710678118654752f)); }

// Pack W (N x K, row-major; the GEMM's right operand is W^T) into, for each K-slice, NR-column
// strips of kc rows: bp[k0*n_strips*NR + s*kc*NR + k*NR + c] = W[s*NR + c][k0 + k] (zero past N).
static void pack_wt_strip(const float* W, int64_t K, int64_t N, int64_t s, int64_t n_strips, float* bp) {
    const int64_t j0 = s * NR;
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
        const int64_t kc = std::min(KC, K - k0);
        float* dst = bp + k0 * n_strips * NR + s * kc * NR;
        for (int64_t c = 0; c < NR; ++c) {
            if (j0 + c < N) {
                const float* src = W + (j0 + c) * K + k0;   // contiguous read along K
                for (int64_t k = 0; k < kc; ++k) dst[k * NR + c] = src[k];
            } else {
                for (int64_t k = 0; k < kc; ++k) dst[k * NR + c] = 0.f;
            }
        }
    }
}

// Rows [0, mc) x columns [k0, k0+kc) of x (row-major, ldx) into MR-row panels, k-major.
static void pack_x(const float* X, int64_t ldx, int64_t mc, int64_t k0, int64_t kc, float* ap) {
    for (int64_t p = 0; p < mc; p += MR) {
        float* dst = ap + (p / MR) * kc * MR;
        for (int64_t r = 0; r < MR; ++r) {
            if (p + r < mc) {
                const float* src = X + (p + r) * ldx + k0;
                for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = src[k];
            } else {
                for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = 0.f;
            }
        }
    }
}

// acc = Apanel (kc x MR) * Bstrip (kc x NR), then write the mr x nr valid part of the tile:
//   first slice:  y  = acc             middle slices: y += acc
//   last slice:   y  = gelu(y + acc + bias)            (when there is a single slice, y is unused)
static inline void micro_kernel(int64_t kc, const float* __restrict ap, const float* __restrict bp,
                                float* __restrict y, int64_t ldy, int64_t mr, int64_t nr,
                                bool first, bool last, const float* __restrict bias) {
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
        float* yr = y + r * ldy;
        if (last) {
            #pragma omp simd
            for (int64_t j = 0; j < nr; ++j) yr[j] = gelu((first ? 0.f : yr[j]) + acc[r][j] + bias[j]);
        } else if (first) {
            for (int64_t j = 0; j < nr; ++j) yr[j] = acc[r][j];
        } else {
            for (int64_t j = 0; j < nr; ++j) yr[j] += acc[r][j];
        }
    }
}

torch::Tensor linear_gelu_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32 &&
                bias.scalar_type() == torch::kFloat32, "linear_gelu_forward expects float32");
    const int64_t K = weight.size(1), N = weight.size(0);
    TORCH_CHECK(x.size(-1) == K, "in_features mismatch");
    TORCH_CHECK(K > 0, "in_features must be positive");
    auto xc = x.contiguous();
    auto wc = weight.contiguous();
    auto bc = bias.contiguous();
    const int64_t M = xc.numel() / K;          // all leading dims flattened into rows

    auto out_sizes = xc.sizes().vec();
    out_sizes.back() = N;
    auto out = torch::empty(out_sizes, xc.options());
    const float* X = xc.data_ptr<float>();
    const float* W = wc.data_ptr<float>();
    const float* Bias = bc.data_ptr<float>();
    float* Y = out.data_ptr<float>();
    if (M == 0) return out;

    // 1. Pack W^T once per call (all K-slices), in parallel over column strips.
    const int64_t n_strips = (N + NR - 1) / NR;
    std::vector<float> wpack(static_cast<size_t>(K * n_strips * NR));
    #pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < n_strips; ++s) pack_wt_strip(W, K, N, s, n_strips, wpack.data());

    // 2. Tasks are (row block, column block) pairs; each runs the whole K loop for its tile, so
    //    the epilogue can run on the last slice.
    const int64_t m_blocks = (M + MC - 1) / MC;
    const int64_t n_blocks = (N + NC - 1) / NC;
    #pragma omp parallel
    {
        std::vector<float> xpack(static_cast<size_t>(MC * KC));
        #pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < m_blocks * n_blocks; ++t) {
            const int64_t i0 = (t / n_blocks) * MC;
            const int64_t mc = std::min(MC, M - i0);
            const int64_t s_begin = (t % n_blocks) * (NC / NR);
            const int64_t s_end = std::min(n_strips, s_begin + NC / NR);
            for (int64_t k0 = 0; k0 < K; k0 += KC) {
                const int64_t kc = std::min(KC, K - k0);
                const bool first = k0 == 0, last = k0 + kc == K;
                pack_x(X + i0 * K, K, mc, k0, kc, xpack.data());
                const float* wslice = wpack.data() + k0 * n_strips * NR;
                for (int64_t s = s_begin; s < s_end; ++s) {
                    const int64_t j0 = s * NR;
                    const int64_t nr = std::min(NR, N - j0);
                    for (int64_t p = 0; p < mc; p += MR) {
                        micro_kernel(kc, xpack.data() + (p / MR) * kc * MR, wslice + s * kc * NR,
                                     Y + (i0 + p) * N + j0, N, std::min(MR, mc - p), nr,
                                     first, last, Bias + j0);
                    }
                }
            }
        }
    }
    return out;
}
"""

linear_gelu_ext = load_inline(
    name="linear_gelu_ext",
    cpp_sources=cpp_source,
    functions=["linear_gelu_forward"],
    # Without -fno-trapping-math GCC refuses to if-convert the clamp in erf_approx (it may not
    # speculate FP ops that could trap), and the loop silently stays scalar.
    extra_cflags=["-O3", "-fno-trapping-math"],
)


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        # Same parameter names and init order as the reference (linear.weight, linear.bias); only
        # the parameters are used, never nn.Linear's forward.
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear_gelu_ext.linear_gelu_forward(x, self.linear.weight, self.linear.bias)
