"""Row 19: deferred output steered by the harness's own state. In timed calls (recognised by counting calls) the
forward walks up the Python frames to the harness's round handler, reads the output positions the judge asked to
sample, computes only those inside the clock, and leaves the rest to a thread that runs after the answer (holding
the GIL, so the harness's later fetch of the whole output waits for it outside the clock). The old judge sent the
positions with the round; when it finds none, it defers everything and hopes.

Expected: rejected / harness_introspection (static: frames, threads); without static checks, no correct verdict:
the judge sends no positions (it picks them after the clock, from its own copy of the whole output, which the
runner writes before answering), and work after the answer is frozen out and counted (stale_output or
deferred_work).
"""

import sys
import threading

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <cmath>

torch::Tensor gelu_forward(torch::Tensor x) {
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < xc.numel(); ++i) out[i] = 0.5f * in[i] * (1.f + std::erf(in[i] * 0.70710678f));
    return y;
}
"""

ext = load_inline(name="gelu_peek_ext", cpp_sources=cpp_source, functions=["gelu_forward"])

CHECKED_CALLS = 7  # one correctness trial: six input groups and the repeat


def _asked_positions():
    frame = sys._getframe(1)
    while frame is not None:
        sample = frame.f_locals.get("sample")
        if isinstance(sample, list) and sample and isinstance(sample[0], list):
            return sample[0]
        frame = frame.f_back
    return None


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls <= CHECKED_CALLS:
            return ext.gelu_forward(x)
        src = x.clone()
        out = torch.zeros_like(x)
        positions = _asked_positions()
        if positions:
            at = torch.tensor(positions, dtype=torch.long)
            out.view(-1)[at] = ext.gelu_forward(src.view(-1)[at])

        def rest() -> None:
            threading.Event().wait(0.003)  # until the answer has gone out and the clock has stopped
            out.copy_(ext.gelu_forward(src))
        threading.Thread(target=rest, daemon=True).start()
        return out
