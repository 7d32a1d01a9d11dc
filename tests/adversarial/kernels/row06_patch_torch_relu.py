"""Row 6 (reference tampering): rebinds `torch.relu` through an alias, so the reference, which runs in the
same process afterwards, returns the candidate's zeros and "agrees" with it.

Expected: rejected / harness_tamper (static: attributes may be set on `self` only). With the static
checks bypassed: rejected / harness_tamper (run time: `torch.relu` differs from the snapshot taken before
candidate code loaded).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor zeros(torch::Tensor x) { return torch::zeros_like(x); }
"""

ext = load_inline(name="row06_zeros", cpp_sources=cpp_source, functions=["zeros"])
alias = torch
alias.relu = ext.zeros


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ext.zeros(x)
