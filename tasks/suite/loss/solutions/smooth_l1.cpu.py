"""Smooth L1 loss as one fused pass: elementwise loss and the mean reduction happen in the same loop
(no intermediate tensor), with a vectorized OpenMP reduction accumulated in double."""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <cmath>

torch::Tensor smooth_l1_forward(torch::Tensor pred, torch::Tensor target, double beta) {
    TORCH_CHECK(pred.scalar_type() == torch::kFloat32 && target.scalar_type() == torch::kFloat32,
                "smooth_l1_forward expects float32");
    TORCH_CHECK(pred.sizes() == target.sizes(), "predictions and targets must have the same shape");
    TORCH_CHECK(beta > 0, "this kernel expects beta > 0");
    auto pc = pred.contiguous();
    auto tc = target.contiguous();
    const float* p = pc.data_ptr<float>();
    const float* t = tc.data_ptr<float>();
    const int64_t n = pc.numel();
    const float b = static_cast<float>(beta);
    const float half_over_b = 0.5f / b;
    const float half_b = 0.5f * b;

    // Each element's loss is computed in fp32 (like the reference); the sum over millions of terms
    // is kept in double so it does not drift with the summation order.
    double total = 0.0;
    #pragma omp parallel for simd reduction(+ : total) schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        const float d = std::fabs(p[i] - t[i]);
        const float l = d < b ? half_over_b * d * d : d - half_b;
        total += static_cast<double>(l);
    }
    auto out = torch::empty({}, pc.options());   // 0-dim, like the reference's mean
    out.data_ptr<float>()[0] = static_cast<float>(total / static_cast<double>(n));
    return out;
}
"""

smooth_l1_ext = load_inline(
    name="smooth_l1_ext",
    cpp_sources=cpp_source,
    functions=["smooth_l1_forward"],
    # Lets GCC if-convert the two-branch select (it may then evaluate both sides), so the loop vectorizes.
    extra_cflags=["-O3", "-fno-trapping-math"],
)


class ModelNew(nn.Module):
    def __init__(self, beta: float):
        super().__init__()
        self.beta = beta

    def forward(self, predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return smooth_l1_ext.smooth_l1_forward(predictions, targets, self.beta)
