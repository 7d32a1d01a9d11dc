"""Inclusive prefix sum along the middle dimension of a 3-D tensor: y[b, l, d] = sum_{k <= l} x[b, k, d]."""

import torch
import torch.nn as nn

CATEGORY = "math"
LEVEL = 1
BATCH, LENGTH, DIM = 8, 512, 512
SIZES = {"gpu": {"BATCH": 64, "LENGTH": 4096, "DIM": 2048}, "small": {"BATCH": 2, "LENGTH": 30, "DIM": 20}}
FLOPS = float(BATCH * LENGTH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * LENGTH * DIM)


class Model(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(x, dim=self.dim)


def get_inputs():
    return [torch.randn(BATCH, LENGTH, DIM)]


def get_init_inputs():
    return [1]


def get_input_groups():
    # Odd sizes, a scan with a single inner column (so the scanned elements are contiguous), a
    # one-step scan, long drifting sums (mostly negative), heavy tails, and exact small integers.
    return [
        [torch.randn(3, 77, 33)],
        [torch.randn(2, 1000, 1)],
        [torch.randn(5, 1, 7)],
        [torch.randn(2, 999, 130) - 0.5],
        [torch.randn(4, 300, 17) ** 3],
        [(torch.arange(2 * 64 * 40).reshape(2, 64, 40) % 11 - 5).float()],
    ]
