"""Conv2d + bias + ReLU + channel scale in one pass. The convolution is an implicit GEMM (as in the
conv2d example): out[co, (oh, ow)] = sum_k W[co, k] * X[k, (oh, ow)], k = (ci, kh, kw), with row k of
X read straight from the zero-padded input. The epilogue applies bias, ReLU and scale to each
register tile before its only store, so the output is written once and never re-read."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>
#include <vector>

constexpr int64_t MR = 6;    // output channels per register tile
constexpr int64_t NR = 16;   // output columns (along ow) per register tile: 2 AVX2 vectors

// acc[r][j] = sum_k wp[k*MR + r] * xrow[koff[k] + j]: MR output channels x NR output pixels of one
// output row. `xrow` points at the padded input for this (image, oh, ow0); koff[k] locates tap k.
static inline void conv_micro_kernel(int64_t K, const float* __restrict wp, const float* __restrict xrow,
                                     const int64_t* __restrict koff, float acc[MR][NR]) {
    for (int64_t r = 0; r < MR; ++r)
        for (int64_t j = 0; j < NR; ++j) acc[r][j] = 0.f;
    for (int64_t k = 0; k < K; ++k) {
        const float* a = wp + k * MR;
        const float* b = xrow + koff[k];
        for (int64_t r = 0; r < MR; ++r) {
            #pragma omp simd
            for (int64_t j = 0; j < NR; ++j) acc[r][j] += a[r] * b[j];
        }
    }
}

torch::Tensor conv2d_relu_scale_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias,
                                        torch::Tensor scale, int64_t pad) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32 &&
                bias.scalar_type() == torch::kFloat32 && scale.scalar_type() == torch::kFloat32,
                "conv2d_relu_scale_forward expects float32");
    TORCH_CHECK(x.dim() == 4 && weight.dim() == 4 && x.size(1) == weight.size(1), "shape mismatch");
    TORCH_CHECK(scale.numel() == weight.size(0), "one scale per output channel");
    auto xc = x.contiguous();
    auto wc = weight.contiguous();
    auto bc = bias.contiguous();
    auto sc = scale.contiguous();
    const int64_t N = xc.size(0), C = xc.size(1), H = xc.size(2), W = xc.size(3);
    const int64_t CO = wc.size(0), KH = wc.size(2), KW = wc.size(3);
    const int64_t OH = H + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;   // stride 1
    TORCH_CHECK(OH > 0 && OW > 0, "output would be empty");
    auto out = torch::empty({N, CO, OH, OW}, xc.options());
    const float* px = xc.data_ptr<float>();
    const float* pw = wc.data_ptr<float>();
    const float* pb = bc.data_ptr<float>();
    const float* ps = sc.data_ptr<float>();
    float* py = out.data_ptr<float>();

    // 1. Zero-padded copy of the input, so the inner loop has no bounds checks. The slack at the
    //    end covers the last tile of the last row reading up to NR - 1 columns past the row.
    const int64_t HP = H + 2 * pad, WP = W + 2 * pad;
    const int64_t plane = HP * WP;
    std::vector<float> xpad(static_cast<size_t>(N * C * plane + NR + KW));
    #pragma omp parallel for schedule(static)
    for (int64_t nc = 0; nc < N * C; ++nc) {
        float* dst = xpad.data() + nc * plane;
        const float* src = px + nc * H * W;
        std::fill(dst, dst + pad * WP, 0.f);                               // top rows
        for (int64_t h = 0; h < H; ++h) {
            float* d = dst + (h + pad) * WP;
            std::fill(d, d + pad, 0.f);
            std::copy(src + h * W, src + (h + 1) * W, d + pad);
            std::fill(d + pad + W, d + WP, 0.f);
        }
        std::fill(dst + (H + pad) * WP, dst + plane, 0.f);                 // bottom rows
    }
    std::fill(xpad.end() - (NR + KW), xpad.end(), 0.f);

    // 2. Weights as the GEMM's A (CO x K, k = (ci, kh, kw) is already W's memory order), packed
    //    into MR-row panels, k-major; channels past CO are zero. koff[k] is tap k's input offset.
    const int64_t K = C * KH * KW;
    const int64_t co_panels = (CO + MR - 1) / MR;
    std::vector<float> wpack(static_cast<size_t>(co_panels * K * MR), 0.f);
    for (int64_t co = 0; co < CO; ++co)
        for (int64_t k = 0; k < K; ++k)
            wpack[(co / MR) * K * MR + k * MR + co % MR] = pw[co * K + k];
    std::vector<int64_t> koff(static_cast<size_t>(K));
    for (int64_t ci = 0; ci < C; ++ci)
        for (int64_t kh = 0; kh < KH; ++kh)
            for (int64_t kw = 0; kw < KW; ++kw)
                koff[(ci * KH + kh) * KW + kw] = ci * plane + kh * WP + kw;

    // 3. One task per output row (n, oh): it sweeps NR-wide column tiles and MR-channel panels. The
    //    input rows it touches (C * KH rows) and the packed weights stay in cache.
    const int64_t ow_tiles = (OW + NR - 1) / NR;
    #pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < N * OH; ++t) {
        const int64_t n = t / OH, oh = t % OH;
        const float* ximg = xpad.data() + n * C * plane;
        float acc[MR][NR];
        for (int64_t tj = 0; tj < ow_tiles; ++tj) {
            const int64_t ow0 = tj * NR;
            const int64_t nr = std::min(NR, OW - ow0);
            const float* xrow = ximg + oh * WP + ow0;    // tap (0, 0, 0) of output pixel (oh, ow0)
            for (int64_t cp = 0; cp < co_panels; ++cp) {
                conv_micro_kernel(K, wpack.data() + cp * K * MR, xrow, koff.data(), acc);
                const int64_t mr = std::min(MR, CO - cp * MR);
                for (int64_t r = 0; r < mr; ++r) {
                    const int64_t co = cp * MR + r;
                    const float b = pb[co], s = ps[co];
                    float* dst = py + ((n * CO + co) * OH + oh) * OW + ow0;
                    // Fused epilogue: relu(acc + b) * s (the scale may be negative, so it comes last).
                    for (int64_t j = 0; j < nr; ++j) dst[j] = std::max(acc[r][j] + b, 0.f) * s;
                }
            }
        }
    }
    return out;
}
"""

conv2d_relu_scale_ext = load_inline(
    name="conv2d_relu_scale_ext",
    cpp_sources=cpp_source,
    functions=["conv2d_relu_scale_forward"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        # Same parameters, created in the same order as the reference (conv.weight, conv.bias, scale);
        # nn.Conv2d's forward is never used.
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.scale = nn.Parameter(torch.randn(out_channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return conv2d_relu_scale_ext.conv2d_relu_scale_forward(
            x, self.conv.weight, self.conv.bias, self.scale, self.conv.padding[0]
        )
