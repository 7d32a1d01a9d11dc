"""Unbiased variance over the last dimension: y = x.var(dim=-1) (Bessel's correction)."""

import torch
import torch.nn as nn

CATEGORY = "reduce"
LEVEL = 1
BATCH, DIM = 2048, 2048
SIZES = {"gpu": {"BATCH": 65536, "DIM": 8192}, "small": {"BATCH": 4, "DIM": 1000}}
FLOPS = float(3 * BATCH * DIM)
BYTES_MOVED = float(4 * (BATCH * DIM + BATCH))
# Variances of heavy-tailed rows reach ~1e3, and the offset group loses digits to cancellation in any
# one-pass float32 algorithm: a two-pass result is within 1e-4 relative, a naive one is far outside.
TOLERANCE = {"atol": 1e-4, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.var(dim=-1)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes, a 3-D tensor (the last axis reduces), single-element rows, heavy tails, and a large common offset
    # (breaks the one-pass E[x^2] - E[x]^2 formula), and rows of two elements.
    return [
        [torch.randn(7, 1001)],
        [torch.randn(3, 5, 129)],
        [torch.randn(64, 999) ** 3],
        [torch.randn(33, 65) + 100.0],
        [torch.randn(20, 2)],
    ]
