"""Elementwise Euclidean norm of two tensors without overflow: y = sqrt(a^2 + b^2) (torch.hypot)."""

import torch
import torch.nn as nn

CATEGORY = "math"
LEVEL = 1
BATCH, DIM = 256, 8192
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
FLOPS = float(5 * BATCH * DIM)
BYTES_MOVED = float(3 * 4 * BATCH * DIM)
# Outputs reach 1e25 and 1e-25 in the input groups: only a relative tolerance is meaningful there.
TOLERANCE = {"atol": 1e-30, "rtol": 1e-5}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.hypot(a, b)


def get_inputs():
    return [torch.randn(BATCH, DIM), torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes, magnitudes whose squares overflow float32, magnitudes whose squares underflow, and a zero second
    # argument (y = |a|).
    return [
        [torch.randn(7, 1001), torch.randn(7, 1001)],
        [torch.randn(40, 40) * 1e25, torch.randn(40, 40) * 1e25],
        [torch.randn(40, 40) * 1e-25, torch.randn(40, 40) * 1e-25],
        [torch.randn(3, 5, 129), torch.zeros(3, 5, 129)],
    ]
