"""ReLU of small inputs under a loose absolute tolerance (row 7): atol alone would accept a lazy answer."""

import torch
import torch.nn as nn

CATEGORY = "activation"
TOLERANCE = {"atol": 1e-2, "rtol": 0.0}
BATCH, DIM = 64, 4096


class Model(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


def get_inputs():
    return [torch.randn(BATCH, DIM) * 0.01]


def get_init_inputs():
    return []
