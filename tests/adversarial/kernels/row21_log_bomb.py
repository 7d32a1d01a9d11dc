"""Row 21: a log bomb. Each `using` doubles a template type's spelling, so `T20` is a type whose name is 35 MB
long, and every error that names it prints it whole: eight such errors make the compiler print ~285 MB. A judge that
reads the compiler's output whole holds all of it in memory (and a level more is twice that): 0.3 GB grew to 2.4 GB.

Expected: build_error / compile_error, the judge's memory flat (the compiler's output is read into a bounded buffer
and the build is stopped once it prints more than the judge reads), and a short log with the first and last errors.
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

LEVELS = 20
ERRORS = 8
types = "\n".join(f"using T{i} = P<T{i - 1}, T{i - 1}>;" for i in range(1, LEVELS + 1))
errors = "\n".join(f"T{LEVELS}::missing bomb{i};" for i in range(ERRORS))
cpp_source = f"""
#include <torch/extension.h>
template <class A, class B> struct P {{}};
using T0 = P<int, int>;
{types}
{errors}
torch::Tensor relu_forward(torch::Tensor x) {{
    auto y = torch::empty_like(x);
    const float* in = x.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < x.numel(); ++i) out[i] = in[i] > 0.f ? in[i] : 0.f;
    return y;
}}
"""

ext = load_inline(name="row21_log_bomb", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
