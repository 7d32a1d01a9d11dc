"""Row 1: a broad try/except turns a broken kernel into a PyTorch result.

Expected: rejected / except_fallback (static).
"""

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

cpp_source = r"""
#include <torch/extension.h>

torch::Tensor relu_forward(torch::Tensor x) {
    TORCH_CHECK(false, "not implemented yet");
    return x;
}
"""

ext = load_inline(name="row01_fallback", cpp_sources=cpp_source, functions=["relu_forward"])


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        try:
            return ext.relu_forward(x)
        except Exception:  # noqa: BLE001 - the exploit under test
            return torch.relu(x)
