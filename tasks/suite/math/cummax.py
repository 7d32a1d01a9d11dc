"""Running maximum along the last dimension: y[i, j] = max_{k <= j} x[i, k] (torch.cummax values)."""

import torch
import torch.nn as nn

CATEGORY = "math"
LEVEL = 1
BATCH, DIM = 256, 4096
SIZES = {"gpu": {"BATCH": 131072, "DIM": 4096}, "small": {"BATCH": 4, "DIM": 100}}
FLOPS = float(BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cummax(x, dim=-1).values


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd and single-element sizes, a decreasing ramp (the first value everywhere), an increasing ramp (the input
    # itself), and heavy tails.
    return [
        [torch.randn(7, 1001)],
        [torch.randn(1, 1)],
        [torch.linspace(5, -5, 20 * 50).reshape(20, 50)],
        [torch.linspace(-5, 5, 20 * 50).reshape(20, 50)],
        [torch.randn(64, 300) ** 3],
    ]
