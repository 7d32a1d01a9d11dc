"""Depthwise convolution: each (image, channel) plane is zero-padded into a thread-local buffer, then
swept in 4-row x 16-column output tiles that accumulate all taps in registers."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>
#include <vector>

constexpr int64_t RB = 4;    // output rows per tile
constexpr int64_t NR = 16;   // output columns per tile: RB x NR = 8 AVX2 accumulators

torch::Tensor depthwise_conv2d_forward(torch::Tensor x, torch::Tensor weight, torch::Tensor bias, int64_t pad) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32 &&
                bias.scalar_type() == torch::kFloat32, "depthwise_conv2d_forward expects float32");
    TORCH_CHECK(x.dim() == 4 && weight.dim() == 4 && weight.size(0) == x.size(1) && weight.size(1) == 1,
                "expects x (N, C, H, W) and a depthwise weight (C, 1, KH, KW)");
    auto xc = x.contiguous();
    auto wc = weight.contiguous();
    auto bc = bias.contiguous();
    const int64_t N = xc.size(0), C = xc.size(1), H = xc.size(2), W = xc.size(3);
    const int64_t KH = wc.size(2), KW = wc.size(3);
    const int64_t OH = H + 2 * pad - KH + 1, OW = W + 2 * pad - KW + 1;   // stride 1
    TORCH_CHECK(OH > 0 && OW > 0, "output would be empty");
    auto out = torch::empty({N, C, OH, OW}, xc.options());
    const float* px = xc.data_ptr<float>();
    const float* pw = wc.data_ptr<float>();
    const float* pb = bc.data_ptr<float>();
    float* py = out.data_ptr<float>();

    // Padded plane geometry. Tiles may run past the last output row / column (RB - 1 rows, NR - 1
    // columns); the extra zero rows and the slack keep those reads inside the buffer, and only
    // valid outputs are stored.
    const int64_t WP = W + 2 * pad;
    const int64_t HP = H + 2 * pad + RB;
    const int64_t buf_size = HP * WP + NR + KW;

    #pragma omp parallel
    {
        std::vector<float> buf(static_cast<size_t>(buf_size));
        #pragma omp for schedule(static)
        for (int64_t nc = 0; nc < N * C; ++nc) {
            const int64_t c = nc % C;
            const float* src = px + nc * H * W;
            const float* wk = pw + c * KH * KW;
            const float b = pb[c];
            float* dst = py + nc * OH * OW;

            // Zero-padded copy of this plane.
            std::fill(buf.begin(), buf.end(), 0.f);
            for (int64_t h = 0; h < H; ++h)
                std::copy(src + h * W, src + (h + 1) * W, buf.data() + (h + pad) * WP + pad);

            for (int64_t oh0 = 0; oh0 < OH; oh0 += RB) {
                for (int64_t ow0 = 0; ow0 < OW; ow0 += NR) {
                    float acc[RB][NR];
                    for (int64_t r = 0; r < RB; ++r)
                        for (int64_t j = 0; j < NR; ++j) acc[r][j] = b;
                    for (int64_t kh = 0; kh < KH; ++kh) {
                        for (int64_t kw = 0; kw < KW; ++kw) {
                            const float w = wk[kh * KW + kw];
                            const float* in = buf.data() + (oh0 + kh) * WP + ow0 + kw;
                            for (int64_t r = 0; r < RB; ++r) {
                                #pragma omp simd
                                for (int64_t j = 0; j < NR; ++j) acc[r][j] += w * in[r * WP + j];
                            }
                        }
                    }
                    const int64_t rows = std::min(RB, OH - oh0), cols = std::min(NR, OW - ow0);
                    for (int64_t r = 0; r < rows; ++r)
                        for (int64_t j = 0; j < cols; ++j) dst[(oh0 + r) * OW + ow0 + j] = acc[r][j];
                }
            }
        }
    }
    return out;
}
"""

depthwise_conv2d_ext = load_inline(
    name="depthwise_conv2d_ext",
    cpp_sources=cpp_source,
    functions=["depthwise_conv2d_forward"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, channels: int, kernel_size: int):
        super().__init__()
        # Same parameters as the reference (conv.weight, conv.bias); nn.Conv2d's forward is never used.
        self.conv = nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2, groups=channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return depthwise_conv2d_ext.depthwise_conv2d_forward(x, self.conv.weight, self.conv.bias,
                                                             self.conv.padding[0])
