"""Scripted model replies for the optimize end-to-end test: each a different verdict on tasks/affine_relu.py."""

from __future__ import annotations

_TEMPLATE = '''
import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor affine_relu(torch::Tensor x) {
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    const int64_t n = xc.numel();
    #pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
        BODY
    }
    return y;
}
"""

ext = load_inline(name="NAME", cpp_sources=cpp_source, functions=["affine_relu"], extra_cflags=[FLAGS])


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.affine_relu(x)
'''


def _kernel(name: str, body: str, flags: str = '"-O3", "-fopenmp", "-fno-trapping-math"') -> str:
    return _TEMPLATE.replace("NAME", name).replace("BODY", body).replace("FLAGS", flags).lstrip()


# Without -fno-trapping-math GCC keeps the clamp scalar; with it the fused loop vectorizes.
FAST = _kernel("affine_relu_fast", "out[i] = std::max(in[i] * 2.f + 1.f, 0.f) * 0.5f;")
# Correct but slow: unoptimized, with a spin per element.
SLOW = _kernel("affine_relu_slow", "for (volatile int r = 0; r < 8; ++r) {} "
               "const float v = in[i] * 2.f + 1.f; out[i] = v > 0.f ? v * 0.5f : 0.f;", flags='"-O0"')
WRONG = _kernel("affine_relu_wrong", "const float v = in[i] * 2.f + 1.f; out[i] = v > 0.f ? v : 0.f;")
BROKEN = _kernel("affine_relu_broken", "out[i] = undeclared_thing(in[i]);")


def reply(code: str, note: str = "Here is my kernel.") -> str:
    return f"{note}\n\n```python\n{code}```\n"
