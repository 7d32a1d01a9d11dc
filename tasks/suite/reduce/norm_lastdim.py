"""Euclidean norm over the last dimension: y = ||x||_2 = sqrt(sum x^2) (torch.linalg.vector_norm)."""

import torch
import torch.nn as nn

CATEGORY = "reduce"
LEVEL = 1
BATCH, DIM = 2048, 2048
SIZES = {"gpu": {"BATCH": 65536, "DIM": 8192}, "small": {"BATCH": 4, "DIM": 1000}}
FLOPS = float(2 * BATCH * DIM)
BYTES_MOVED = float(4 * (BATCH * DIM + BATCH))
# Outputs span 1e-18 to 1e19 across input groups: the comparison must be relative.
TOLERANCE = {"atol": 1e-30, "rtol": 1e-5}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.linalg.vector_norm(x, dim=-1)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes, a 3-D tensor, single-element rows, heavy tails, and magnitudes whose squares come close to
    # float32's overflow and underflow (the reference squares without rescaling, so both stay in range).
    return [
        [torch.randn(7, 1001)],
        [torch.randn(3, 5, 129)],
        [torch.randn(300, 1)],
        [torch.randn(64, 999) ** 3],
        [torch.randn(20, 30) * 1e18],
        [torch.randn(20, 30) * 1e-18],
    ]
