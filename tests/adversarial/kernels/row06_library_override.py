"""Row 6 (reference tampering): registers its own CPU kernel for `aten::relu` with `torch.library`, so the
reference's `torch.relu` returns zeros, like the candidate.

Expected: rejected / banned_call (static: `torch.library`). With the static checks bypassed:
rejected / harness_tamper (run time: the dispatch table of `aten::relu` changed).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor zeros(torch::Tensor x) { return torch::zeros_like(x); }
"""

ext = load_inline(name="row06_zeros", cpp_sources=cpp_source, functions=["zeros"])
lib = torch.library.Library("aten", "IMPL")
lib.impl("relu", ext.zeros, "CPU")


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.zeros(x)
