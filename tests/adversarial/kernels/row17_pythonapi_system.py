"""Row 17: runs shell commands through `ctypes.pythonapi.system`: libc's system() is already loaded with Python,
so no library is opened and no process event reaches the audit hook. The shell writes a file outside the
candidate's folder (the test replaces the path with one under its own tmp_path) and copies /etc/shadow there.

Expected: rejected / banned_import (static: `ctypes`). With the static checks bypassed: the shell runs, inside the
jail, and the file is never created on the host.
"""

import ctypes

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

ext = load_inline(name="row17_pythonapi_system", cpp_sources=cpp_source, functions=["relu_forward"])
ctypes.pythonapi.system(b"echo escaped > /tmp/kw-adversarial-system/escaped.txt; "
                        b"cat /etc/shadow >> /tmp/kw-adversarial-system/escaped.txt")


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
