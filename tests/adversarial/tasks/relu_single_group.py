"""ReLU with a single input group (row 4's cache test needs one address per correctness trial)."""

import torch
import torch.nn as nn

CATEGORY = "activation"
BATCH, DIM = 64, 16384
FLOPS = float(BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM)


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []
