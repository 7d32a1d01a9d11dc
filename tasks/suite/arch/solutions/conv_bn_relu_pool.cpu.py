"""Conv 3x3 -> BatchNorm (eval) -> ReLU -> MaxPool 2x2 in two phases: the convolution as a GEMM whose
im2col operand is built panel by panel (16 output pixels at a time) from a zero-padded copy of the input,
with 6x16 register tiles (AVX vector types); then one fused pass per channel plane for BatchNorm (folded
to a multiply-add), ReLU and the pooling."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>
#include <cmath>
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

// Build one packed im2col panel for the 16 output pixels (h, w0 .. w0+15) of one image: row k = (ci, kh, kw)
// of the panel holds the input pixels those outputs multiply with weight tap k. `xp` is the image
// zero-padded by one pixel on every side (row stride Wp), so every tap is a contiguous 16-float copy.
static void pack_im2col_panel(const float* xp, int64_t C_in, int64_t Hp, int64_t Wp, int64_t h, int64_t w0,
                              float* P) {
    for (int64_t ci = 0; ci < C_in; ++ci)
        for (int kh = 0; kh < 3; ++kh) {
            const float* src = xp + (ci * Hp + h + kh) * Wp + w0;  // padded row h + kh = input row h + kh - 1
            for (int kw = 0; kw < 3; ++kw) {
                float* dst = P + ((ci * 3 + kh) * 3 + kw) * NR;
                #pragma omp simd
                for (int c = 0; c < NR; ++c) dst[c] = src[kw + c];
            }
        }
}

// MaxPool2d(2)(ReLU(BatchNorm2d_eval(Conv2d_3x3_pad1_nobias(x)))).
// Phase 1, the convolution as a GEMM per image: conv[C_out x HW] = W[C_out x C_in*9] * im2col[C_in*9 x HW].
//   Work items are 16-pixel stretches of one output row; each builds its im2col panel from a zero-padded
//   copy of the input (so the panel is never materialised in full) and runs the packed GEMM on it.
// Phase 2, per (image, channel) plane: BatchNorm folded into one multiply-add (scale, shift), the 2x2
//   max, then ReLU (ReLU is monotonic, so relu(max(...)) == max(relu(...))).
torch::Tensor conv_bn_relu_pool_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor gamma,
                                        torch::Tensor beta, torch::Tensor mean, torch::Tensor var, double eps) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && x.dim() == 4, "x must be float32 (N, C_in, H, W)");
    TORCH_CHECK(weight.dim() == 4 && weight.size(1) == x.size(1) && weight.size(2) == 3 && weight.size(3) == 3,
                "weight must be (C_out, C_in, 3, 3)");
    auto xc = x.contiguous();
    auto wc = weight.contiguous();
    auto gc = gamma.contiguous(), bc = beta.contiguous(), mc = mean.contiguous(), vc = var.contiguous();
    const int64_t N = xc.size(0), C_in = xc.size(1), H = xc.size(2), W = xc.size(3), C_out = wc.size(0);
    const int64_t HW = H * W, K = C_in * 9, OH = H / 2, OW = W / 2;
    const int64_t strips = (W + NR - 1) / NR;           // 16-pixel stretches per output row
    const int64_t Hp = H + 2, Wp = strips * NR + 2;     // padded plane; extra columns keep the last strip in bounds

    auto xpad = torch::zeros({N, C_in, Hp, Wp}, xc.options());
    auto conv = torch::empty({N, C_out, H, W}, xc.options());  // scratch between the two phases
    auto y = torch::empty({N, C_out, OH, OW}, xc.options());
    const float* X = xc.data_ptr<float>();
    float* Xp = xpad.data_ptr<float>();
    const float* Wt = wc.data_ptr<float>();  // (C_out, K) row-major: the GEMM's A
    float* Cv = conv.data_ptr<float>();
    float* Y = y.data_ptr<float>();

    // Copy the input into the interior of the zero-padded planes.
    #pragma omp parallel for schedule(static)
    for (int64_t row = 0; row < N * C_in * H; ++row) {
        const int64_t plane = row / H, h = row % H;
        std::memcpy(Xp + (plane * Hp + h + 1) * Wp + 1, X + row * W, sizeof(float) * W);
    }

    // Phase 1: every (image, output row, strip) is an independent GEMM of C_out x 16 outputs.
    #pragma omp parallel
    {
        std::vector<float> panel(K * NR);  // per-thread packed im2col panel
        #pragma omp for schedule(static)
        for (int64_t t = 0; t < N * H * strips; ++t) {
            const int64_t n = t / (H * strips), h = (t / strips) % H, w0 = (t % strips) * NR;
            const int64_t cols = std::min<int64_t>(NR, W - w0);
            pack_im2col_panel(Xp + n * C_in * Hp * Wp, C_in, Hp, Wp, h, w0, panel.data());
            float* c = Cv + n * C_out * HW + h * W + w0;
            for (int64_t co = 0; co < C_out; ++co)
                for (int64_t j = 0; j < cols; ++j) c[co * HW + j] = 0.f;
            gemm_packed(C_out, cols, K, Wt, K, panel.data(), K, c, HW);
        }
    }

    // Phase 2: fold BatchNorm's running statistics into y = conv * scale + shift per channel.
    std::vector<float> scale(C_out), shift(C_out);
    const float* g = gc.data_ptr<float>();
    const float* b = bc.data_ptr<float>();
    const float* mu = mc.data_ptr<float>();
    const float* v = vc.data_ptr<float>();
    for (int64_t co = 0; co < C_out; ++co) {
        scale[co] = g[co] / std::sqrt(v[co] + static_cast<float>(eps));
        shift[co] = b[co] - mu[co] * scale[co];
    }
    #pragma omp parallel for schedule(static)
    for (int64_t plane = 0; plane < N * C_out; ++plane) {
        const int64_t co = plane % C_out;
        const float s = scale[co], sh = shift[co];
        const float* src = Cv + plane * HW;
        float* dst = Y + plane * OH * OW;
        for (int64_t oh = 0; oh < OH; ++oh) {
            const float* r0 = src + (2 * oh) * W;
            const float* r1 = r0 + W;
            for (int64_t ow = 0; ow < OW; ++ow) {
                const float a = std::max(r0[2 * ow] * s + sh, r0[2 * ow + 1] * s + sh);
                const float c = std::max(r1[2 * ow] * s + sh, r1[2 * ow + 1] * s + sh);
                dst[oh * OW + ow] = std::max(std::max(a, c), 0.f);
            }
        }
    }
    return y;
}
"""

conv_block_ext = load_inline(
    name="conv_bn_relu_pool_ext",
    cpp_sources=cpp_source,
    functions=["conv_bn_relu_pool_forward"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        # Same submodules, names and init order as Model, so the harness can copy its weights and
        # running statistics over; only their tensors are used, never their forward.
        self.conv = nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c_out)
        self.pool = nn.MaxPool2d(2)
        with torch.no_grad():  # mirrors Model's init (the harness also copies Model's state_dict)
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.5, 0.5)
            self.bn.running_mean.uniform_(-0.2, 0.2)
            self.bn.running_var.uniform_(0.5, 2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bn = self.bn
        return conv_block_ext.conv_bn_relu_pool_forward(
            x, self.conv.weight, bn.weight, bn.bias, bn.running_mean, bn.running_var, bn.eps
        )
