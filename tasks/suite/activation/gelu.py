"""Exact GELU over a large activation tensor: y = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2)))."""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "activation"
LEVEL = 1
BATCH, DIM = 192, 16384
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
# erf costs a rational polynomial (~20 flops); the scaling around it a few more.
FLOPS = float(24 * BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(x)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # An odd size that fits no vector width, a 3-D tensor, mostly-negative inputs (the tail where
    # 1 + erf cancels), large magnitudes where erf saturates, and heavy tails.
    return [
        [torch.randn(7, 1001)],
        [torch.randn(3, 5, 129)],
        [torch.randn(BATCH, DIM) - 3.0],
        [torch.randn(64, 4096) * 10.0],
        [torch.randn(257, 255) ** 3],
    ]
