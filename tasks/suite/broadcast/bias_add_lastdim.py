"""Bias add along the last dimension: y = x + b, x is (B, D) and b is (D,)."""

import torch
import torch.nn as nn

CATEGORY = "broadcast"
LEVEL = 1
BATCH, DIM = 256, 8192
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
FLOPS = float(BATCH * DIM)
BYTES_MOVED = float(4 * (2 * BATCH * DIM + DIM))


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return x + b


def get_inputs():
    return [torch.randn(BATCH, DIM), torch.randn(DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd widths, a 3-D x (the bias follows the last axis), a single column, heavy tails against large biases, and a
    # near-cancelling bias.
    return [
        [torch.randn(7, 1001), torch.randn(1001)],
        [torch.randn(3, 5, 129), torch.randn(129)],
        [torch.randn(1000, 1), torch.randn(1)],
        [torch.randn(64, 999) ** 3, torch.randn(999) * 100.0],
        [torch.randn(33, 65) + 1000.0, -1000.0 + 0.01 * torch.randn(65)],
    ]
