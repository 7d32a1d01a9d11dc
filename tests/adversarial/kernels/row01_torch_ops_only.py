"""Row 1: no kernel at all; ModelNew just calls the PyTorch op. Expected: rejected / no_kernel (static)."""

import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)
