"""Row 20: predicting the inputs. The constructor reads the seed the model was built under
(`torch.initial_seed()`), works back to the evaluation's seed, regenerates the inputs of every timing bucket the
old judge would derive from it (fixed formulas), and computes their answers untimed. Timed calls then answer by a
fingerprint of the input (correctness calls, untimed, get a slow but honest kernel). Before inputs came from
secret seeds this turned a 0.08x scalar GELU into a `correct` speedup.

Expected: rejected / stale_output in the timing stage: the inputs it is timed on come from seeds drawn from the
OS's secret randomness, so no prediction matches, and what it answers is wrong.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
#include <cmath>
#include <cstring>

torch::Tensor gelu_forward(torch::Tensor x) {
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < xc.numel(); ++i) out[i] = 0.5f * in[i] * (1.f + std::erf(in[i] * 0.70710678f));
    return y;
}

torch::Tensor copy_out(torch::Tensor answer) {
    auto y = torch::empty_like(answer);
    std::memcpy(y.data_ptr<float>(), answer.data_ptr<float>(), answer.numel() * sizeof(float));
    return y;
}
"""

ext = load_inline(name="gelu_predict_ext", cpp_sources=cpp_source, functions=["gelu_forward", "copy_out"])

CHECKED_CALLS = 7  # one correctness trial: six input groups and the repeat
BATCH, DIM = 192, 16384  # the task's get_inputs(), which every timing bucket uses


def _fingerprint(x: torch.Tensor) -> tuple:
    return tuple(round(v, 6) for v in x.reshape(-1)[:8].tolist())


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = 0
        evaluation_seed = torch.initial_seed() - 42  # the model is built under seed + 42
        self.answers = {}
        # The warm-up bucket (99 + seed), then buckets 1, 2, ... (50000 + bucket + seed).
        for seed in [99 + evaluation_seed] + [50_000 + b + evaluation_seed for b in range(1, 90)]:
            torch.manual_seed(seed)
            x = torch.randn(BATCH, DIM)
            self.answers[_fingerprint(x)] = F.gelu(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.calls <= CHECKED_CALLS:
            return ext.gelu_forward(x)
        answer = self.answers.get(_fingerprint(x))
        if answer is None:
            return ext.copy_out(torch.zeros_like(x))
        return ext.copy_out(answer)
