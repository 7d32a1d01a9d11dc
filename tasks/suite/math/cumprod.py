"""Inclusive prefix product along the rows of a matrix: y[i, j] = prod_{k <= j} x[i, k]."""

import torch
import torch.nn as nn

CATEGORY = "math"
LEVEL = 1
ROWS, LENGTH = 768, 4096
SIZES = {"gpu": {"ROWS": 131072, "LENGTH": 4096}, "small": {"ROWS": 4, "LENGTH": 100}}
FLOPS = float(ROWS * LENGTH)
BYTES_MOVED = float(2 * 4 * ROWS * LENGTH)


class Model(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumprod(x, dim=self.dim)


def get_inputs():
    # Factors close to 1, so running products wander over a few orders of magnitude instead of
    # underflowing to zero or overflowing within a few dozen steps.
    return [1.0 + 0.02 * torch.randn(ROWS, LENGTH)]


def get_init_inputs():
    return [1]


def get_input_groups():
    # Odd and tiny sizes, negative factors (alternating signs), exact zeros that must stick, wider
    # spread factors on shorter rows, and exact powers of two.
    zeros = (torch.rand(64, 777) > 0.01).float()
    return [
        [1.0 + 0.02 * torch.randn(7, 1001)],
        [torch.randn(1, 1)],
        [torch.randn(300, 3)],
        [-(1.0 + 0.02 * torch.randn(33, 2049))],
        [(1.0 + 0.02 * torch.randn(64, 777)) * zeros],
        [torch.exp(0.3 * torch.randn(500, 64))],
        [2.0 ** (torch.arange(20 * 300).reshape(20, 300) % 3 - 1).float()],
    ]
