"""Clamp with per-column bounds: y = min(max(x, lo), hi), x is (B, D), lo and hi are (1, D)
with lo <= hi.
"""

import torch
import torch.nn as nn

CATEGORY = "broadcast"
LEVEL = 1
BATCH, DIM = 384, 8192
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
FLOPS = float(2 * BATCH * DIM)
BYTES_MOVED = float(4 * (2 * BATCH * DIM + 2 * DIM))


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
        return torch.clamp(x, lo, hi)


def get_inputs():
    return [torch.randn(BATCH, DIM), -torch.rand(1, DIM), torch.rand(1, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd widths, narrow bounds that clip almost everything, heavy tails against one-sided bounds, and bounds so
    # wide that almost nothing is clipped.
    return [
        [torch.randn(7, 1001), -torch.rand(1, 1001), torch.rand(1, 1001)],
        [torch.randn(100, 50) * 10.0, -torch.rand(1, 50) * 0.01, torch.rand(1, 50) * 0.01],
        [torch.randn(33, 65) ** 3, torch.zeros(1, 65), torch.full((1, 65), 5.0)],
        [torch.randn(20, 30), torch.randn(1, 30) - 5.0, torch.randn(1, 30) + 5.0],
    ]
