# Kernelwright kernel 1 for task pooling/max_pool2d (cpu), run 3ea5ba000d65
# speedup vs PyTorch eager: 17.51x [16.64, 19.61] (95% interval), harness 2.2.0
# measured on: AMD EPYC (2 cores, 1 threads used); size cpu
# verified on the task's own shapes and input groups only (`kernelwright sweep 1` checks more)
# backward: not verified for this file (a kernel that writes raw memory gives autograd nothing to follow);
#     `kernelwright export 1 --out DIR` makes a package with one, a custom op that torch.compile traces, and the
#     reference outside the envelope
# use: from this file import ModelNew; ModelNew(*init_args) is a drop-in for the task's Model

"""Max pooling as two vectorizable passes per output row: a vertical max over the window's rows, then
a horizontal max over each window's columns. Each (n, c) plane is independent, so planes go to threads."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <algorithm>
#include <limits>
#include <vector>

torch::Tensor max_pool2d_forward(torch::Tensor x, int64_t k, int64_t s, int64_t p) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && x.dim() == 4, "expects a float32 (N, C, H, W) tensor");
    auto xc = x.contiguous();
    const int64_t N = xc.size(0), C = xc.size(1), H = xc.size(2), W = xc.size(3);
    const int64_t OH = (H + 2 * p - k) / s + 1;
    const int64_t OW = (W + 2 * p - k) / s + 1;
    auto y = torch::empty({N, C, OH, OW}, xc.options());
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    const float NEG_INF = -std::numeric_limits<float>::infinity();

    #pragma omp parallel
    {
        std::vector<float> colmax(W);  // per-thread scratch: max over the window's rows, per column
        #pragma omp for schedule(static)
        for (int64_t plane = 0; plane < N * C; ++plane) {
            const float* src = in + plane * H * W;
            float* dst = out + plane * OH * OW;
            for (int64_t oh = 0; oh < OH; ++oh) {
                // Rows of this window, clipped to the image: padding is -inf, so it is simply skipped.
                const int64_t h0 = std::max<int64_t>(oh * s - p, 0);
                const int64_t h1 = std::min<int64_t>(oh * s - p + k, H);
                float* cm = colmax.data();
                #pragma omp simd
                for (int64_t w = 0; w < W; ++w) cm[w] = NEG_INF;
                for (int64_t h = h0; h < h1; ++h) {
                    const float* row = src + h * W;
                    #pragma omp simd
                    for (int64_t w = 0; w < W; ++w) cm[w] = std::max(cm[w], row[w]);
                }
                // Horizontal pass over the column maxima, again clipped to the image.
                for (int64_t ow = 0; ow < OW; ++ow) {
                    const int64_t w0 = std::max<int64_t>(ow * s - p, 0);
                    const int64_t w1 = std::min<int64_t>(ow * s - p + k, W);
                    float m = NEG_INF;
                    for (int64_t w = w0; w < w1; ++w) m = std::max(m, cm[w]);
                    dst[oh * OW + ow] = m;
                }
            }
        }
    }
    return y;
}
"""

max_pool_ext = load_inline(
    name="max_pool2d_ext",
    cpp_sources=cpp_source,
    functions=["max_pool2d_forward"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return max_pool_ext.max_pool2d_forward(x, self.kernel_size, self.stride, self.padding)
