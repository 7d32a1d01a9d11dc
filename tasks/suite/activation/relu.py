"""ReLU over a large activation tensor: y = max(x, 0)."""

import torch
import torch.nn as nn

CATEGORY = "activation"
LEVEL = 1
BATCH, DIM = 192, 16384
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
FLOPS = float(BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # An odd size that is not a multiple of any vector width, and inputs that are almost all negative.
    return [
        [torch.randn(7, 1001)],
        [torch.randn(BATCH, DIM) - 3.0],
        [torch.randn(3, 5, 129) ** 3],
    ]
