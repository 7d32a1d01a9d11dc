"""Elementwise two-argument arctangent: y = atan2(a, b), in (-pi, pi]."""

import torch
import torch.nn as nn

CATEGORY = "math"
LEVEL = 1
BATCH, DIM = 128, 8192
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
FLOPS = float(30 * BATCH * DIM)
BYTES_MOVED = float(3 * 4 * BATCH * DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.atan2(a, b)


def get_inputs():
    return [torch.randn(BATCH, DIM), torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes, a negative b (the branch cut at +-pi), zero a with either sign of b, and extreme ratios.
    return [
        [torch.randn(7, 1001), torch.randn(7, 1001)],
        [torch.randn(50, 50), -torch.rand(50, 50)],
        [torch.zeros(10, 10) + torch.randn(10, 1).sign() * 0.0, torch.randn(10, 10)],
        [torch.randn(64, 64) * 1e-30, torch.randn(64, 64) * 1e30],
    ]
