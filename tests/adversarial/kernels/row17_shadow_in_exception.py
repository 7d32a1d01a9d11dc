"""Row 17: reads /etc/shadow and raises its contents, so the harness's error message carries them back.

Expected: rejected / banned_call (static: `open`). With the static checks bypassed: no line of /etc/shadow in any
message or log (the file is not in the jail's view).
"""

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

ext = load_inline(name="row17_shadow", cpp_sources=cpp_source, functions=["relu_forward"])
with open("/etc/shadow") as handle:
    raise RuntimeError("LEAKED " + handle.read())


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
