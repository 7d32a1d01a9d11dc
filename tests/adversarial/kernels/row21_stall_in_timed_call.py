"""Row 21: stalling the judge's neighbours. Correctness calls get a real kernel; the first timed call (recognised by
counting calls) sleeps for a long time. The old judge held the machine-wide timing lock for a candidate's whole
measurement, so every other evaluation on the machine waited out this one's deadline.

Expected: timeout / wall_timeout in the timing stage, within a round's deadline (a multiple of what its calls took
while being checked), and another evaluation that wants the timing lock meanwhile is delayed by that much at most.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <cmath>
#include <unistd.h>

torch::Tensor gelu_forward(torch::Tensor x) {
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < xc.numel(); ++i) out[i] = 0.5f * in[i] * (1.f + std::erf(in[i] * 0.70710678f));
    return y;
}

void stall(int64_t seconds) { usleep(seconds * 1000000); }
"""

ext = load_inline(name="gelu_stall_ext", cpp_sources=cpp_source, functions=["gelu_forward", "stall"])

CHECKED_CALLS = 7  # one correctness trial: six input groups and the repeat


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls > CHECKED_CALLS:
            ext.stall(3600)
        return ext.gelu_forward(x)
