"""Elementwise linear interpolation with a tensor weight: y = a + w * (b - a) (torch.lerp)."""

import torch
import torch.nn as nn

CATEGORY = "math"
LEVEL = 1
BATCH, DIM = 256, 8192
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
FLOPS = float(3 * BATCH * DIM)
BYTES_MOVED = float(4 * 4 * BATCH * DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return torch.lerp(a, b, w)


def get_inputs():
    return [torch.randn(BATCH, DIM), torch.randn(BATCH, DIM), torch.rand(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes, weight exactly 1 (must return b exactly), extrapolating weights with large values, and heavy tails.
    return [
        [torch.randn(7, 1001), torch.randn(7, 1001), torch.rand(7, 1001)],
        [torch.randn(30, 30), torch.randn(30, 30), torch.ones(30, 30)],
        [torch.randn(20, 50) * 1e6, torch.randn(20, 50) * 1e6 + 1.0, torch.rand(20, 50) * 3 - 1],
        [torch.randn(5, 3, 65) ** 3, torch.randn(5, 3, 65), torch.rand(5, 3, 65)],
    ]
