"""Softplus with beta and a linear threshold: y = log(1 + exp(beta * x)) / beta,
and y = x where beta * x > threshold (nn.Softplus).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "activation"
LEVEL = 1
BATCH, DIM = 128, 8192
BETA, THRESHOLD = 2.0, 10.0
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
# About 20 flops per element; read x, write y.
FLOPS = float(20 * BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM)


class Model(nn.Module):
    def __init__(self, beta: float, threshold: float):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.softplus(x, self.beta, self.threshold)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return [BETA, THRESHOLD]


def get_input_groups():
    # An odd size that fits no vector width, a 3-D tensor, mostly-negative inputs, large magnitudes where the
    # function saturates, and heavy tails.
    return [
        [torch.randn(7, 1001)],
        [torch.randn(3, 5, 129)],
        [torch.randn(BATCH, DIM) - 3.0],
        [torch.randn(64, 999) * 10.0],
        [torch.randn(257, 255) ** 3],
        [torch.randn(30, 30) * 50.0],
    ]
