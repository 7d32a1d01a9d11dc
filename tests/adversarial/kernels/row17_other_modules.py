"""Row 17: looks for other candidates' kernels. Built modules live in a cache the judge shares across
evaluations; a runner that could read it could load another candidate's fast kernel and pass it off as its own,
or read another user's code. This kernel lists the folder its own module was loaded from and looks for the cache.

Expected: rejected / banned_import (static: `os`). With the static checks bypassed: its folder holds its own
module only, the cache is not there, and the verdict is an ordinary correct.
"""

import os

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>
torch::Tensor relu_forward(torch::Tensor x) {
    auto xc = x.contiguous();
    auto y = torch::empty_like(xc);
    const float* in = xc.data_ptr<float>();
    float* out = y.data_ptr<float>();
    for (int64_t i = 0; i < xc.numel(); ++i) out[i] = in[i] > 0.f ? in[i] : 0.f;
    return y;
}
"""

ext = load_inline(name="row17_other_modules", cpp_sources=cpp_source, functions=["relu_forward"])
folder = os.path.dirname(os.path.dirname(ext._module.__file__))
others = [name for name in os.listdir(folder) if "row17_other_modules" not in name]
if others or os.path.exists("/kw-build-cache"):
    raise RuntimeError(f"SAW OTHER MODULES: {others} {os.path.exists('/kw-build-cache')}")


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
