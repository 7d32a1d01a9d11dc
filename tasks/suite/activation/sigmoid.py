"""Logistic sigmoid over a large activation tensor: y = 1 / (1 + exp(-x))."""

import torch
import torch.nn as nn

CATEGORY = "activation"
LEVEL = 1
BATCH, DIM = 128, 8192
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
# About 12 flops per element; read x, write y.
FLOPS = float(12 * BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


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
