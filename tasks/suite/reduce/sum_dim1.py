"""Sum over the middle dimension of a 3-D tensor: y[b, d] = sum_r x[b, r, d] (torch.sum(x, dim=1)).

The reduced axis is strided (stride D), so the natural vectorization is across d, not along r.
"""

import torch
import torch.nn as nn

CATEGORY = "reduce"
LEVEL = 1
BATCH, REDUCE, DIM = 32, 512, 1024
SIZES = {"gpu": {"BATCH": 256, "REDUCE": 2048, "DIM": 1024}, "small": {"BATCH": 2, "REDUCE": 30, "DIM": 20}}
FLOPS = float(BATCH * REDUCE * DIM)
BYTES_MOVED = float(4 * BATCH * DIM * (REDUCE + 1))


class Model(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sum(x, dim=self.dim)


def get_inputs():
    return [torch.randn(BATCH, REDUCE, DIM)]


def get_init_inputs():
    return [1]


def get_input_groups():
    # A long reduction with a tiny inner size, an odd inner size, a single-element reduction,
    # heavy tails, and a large positive mean (sums far from zero).
    return [
        [torch.randn(3, 1000, 7)],
        [torch.randn(5, 3, 333)],
        [torch.randn(2, 1, 5)],
        [torch.randn(4, 128, 257) ** 3],
        [torch.randn(8, 512, 64) + 10.0],
    ]
