"""Product over the last dimension: y = x.prod(dim=-1)."""

import torch
import torch.nn as nn

CATEGORY = "reduce"
LEVEL = 1
BATCH, DIM = 4096, 2048
SIZES = {"gpu": {"BATCH": 65536, "DIM": 8192}, "small": {"BATCH": 4, "DIM": 1000}}
FLOPS = float(1 * BATCH * DIM)
BYTES_MOVED = float(4 * (BATCH * DIM + BATCH))
# A product of 1000 factors accumulates ~1e-5 relative rounding in any order.
TOLERANCE = {"atol": 1e-6, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.prod(dim=-1)


def get_inputs():
    return [1.0 + 0.02 * torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # An odd size, single-element rows, all-negative factors (the sign alternates with the row length), and exact
    # zeros that must zero the product.
    return [
        [1.0 + 0.02 * torch.randn(7, 1001)],
        [torch.randn(300, 1)],
        [-(1.0 + 0.02 * torch.randn(33, 65))],
        [(1.0 + 0.02 * torch.randn(20, 100)) * (torch.rand(20, 100) > 0.02)],
    ]
