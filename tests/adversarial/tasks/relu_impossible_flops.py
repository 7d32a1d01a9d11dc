"""ReLU whose declared work is absurd (row 14): any real timing implies a rate far above the machine's peak."""

import torch
import torch.nn as nn

CATEGORY = "activation"
BATCH, DIM = 64, 16384
FLOPS = 1e18
BYTES_MOVED = 1e18


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []
