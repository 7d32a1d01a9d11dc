"""Leaky ReLU with a configurable negative slope: y = x if x >= 0 else slope * x."""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "activation"
LEVEL = 1
BATCH, DIM = 384, 8192
NEGATIVE_SLOPE = 0.2
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
# About 2 flops per element; read x, write y.
FLOPS = float(2 * BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM)


class Model(nn.Module):
    def __init__(self, negative_slope: float):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x, self.negative_slope)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return [NEGATIVE_SLOPE]


def get_input_groups():
    # An odd size that fits no vector width, a 3-D tensor, mostly-negative inputs, large magnitudes where the
    # function saturates, and heavy tails.
    return [
        [torch.randn(7, 1001)],
        [torch.randn(3, 5, 129)],
        [torch.randn(BATCH, DIM) - 3.0],
        [torch.randn(64, 999) * 10.0],
        [torch.randn(257, 255) ** 3],
    ]
