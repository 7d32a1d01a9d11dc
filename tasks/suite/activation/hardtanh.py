"""Hardtanh (clamp to a configurable range): y = min(max(x, lo), hi)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "activation"
LEVEL = 1
BATCH, DIM = 384, 8192
MIN_VAL, MAX_VAL = -0.5, 2.0
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
# About 2 flops per element; read x, write y.
FLOPS = float(2 * BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM)


class Model(nn.Module):
    def __init__(self, min_val: float, max_val: float):
        super().__init__()
        self.min_val = min_val
        self.max_val = max_val

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.hardtanh(x, self.min_val, self.max_val)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return [MIN_VAL, MAX_VAL]


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
