"""Row-wise gather: each output row reads only its own input row (16 KiB here, so it stays in cache while
the row is gathered); rows go to threads."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor gather_dim1(torch::Tensor x, torch::Tensor index) {
    TORCH_CHECK(x.scalar_type() == torch::kFloat32 && x.dim() == 2, "x must be a float32 (B, D) tensor");
    TORCH_CHECK(index.scalar_type() == torch::kInt64 && index.dim() == 2, "index must be an int64 (B, K) tensor");
    TORCH_CHECK(index.size(0) <= x.size(0), "index may not have more rows than x");
    auto xc = x.contiguous();
    auto ic = index.contiguous();
    const int64_t B = ic.size(0), D = xc.size(1), K = ic.size(1);  // row b of the output reads row b of x
    auto y = torch::empty({B, K}, xc.options());
    const float* in = xc.data_ptr<float>();
    const int64_t* idx = ic.data_ptr<int64_t>();
    float* out = y.data_ptr<float>();

    // Out-of-range indices are an error in PyTorch too; record them and raise after the loop
    // (an exception may not leave an OpenMP region). The loop is bound by memory traffic (the index
    // tensor is twice the size of the output), so a scalar loop is as fast as AVX2 gathers here.
    bool bad_index = false;
    #pragma omp parallel for schedule(static) reduction(|| : bad_index)
    for (int64_t b = 0; b < B; ++b) {
        const float* row = in + b * D;
        const int64_t* irow = idx + b * K;
        float* orow = out + b * K;
        for (int64_t j = 0; j < K; ++j) {
            const int64_t c = irow[j];
            if (c < 0 || c >= D) { bad_index = true; orow[j] = 0.f; continue; }
            orow[j] = row[c];
        }
    }
    TORCH_CHECK(!bad_index, "gather_dim1: index out of range");
    return y;
}
"""

gather_ext = load_inline(
    name="gather_dim1_ext",
    cpp_sources=cpp_source,
    functions=["gather_dim1"],
    extra_cflags=["-O3"],
)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return gather_ext.gather_dim1(x, index)
