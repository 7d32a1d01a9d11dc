"""Scatter-add along the last dimension: out = zeros(B, M).scatter_add(1, index, src),
index and src are (B, K) with index values in [0, M); repeated indices accumulate.
"""

import torch
import torch.nn as nn

CATEGORY = "index"
LEVEL = 1
BATCH, M, K = 512, 1024, 4096
SIZES = {"gpu": {"BATCH": 65536, "M": 4096, "K": 8192}, "small": {"BATCH": 3, "M": 20, "K": 50}}
FLOPS = float(BATCH * K)
BYTES_MOVED = float(BATCH * K * (8 + 4) + 4 * BATCH * M)
# Colliding indices accumulate in an unspecified order; the sums reach ~|10|.
TOLERANCE = {"atol": 1e-4, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, m: int):
        super().__init__()
        self.m = m

    def forward(self, index: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        out = torch.zeros(src.shape[0], self.m, dtype=src.dtype)
        return out.scatter_add(1, index, src)


def get_inputs():
    return [torch.randint(0, M, (BATCH, K)), torch.randn(BATCH, K)]


def get_init_inputs():
    return [M]


def get_input_groups():
    # An odd count, every value into column 0, only the first and last columns with heavy tails, and a permutation-
    # like index that writes each column once.
    return [
        [torch.randint(0, M, (7, 333)), torch.randn(7, 333)],
        [torch.zeros(2, 100, dtype=torch.int64), torch.randn(2, 100)],
        [torch.randint(0, 2, (5, 77)) * (M - 1), torch.randn(5, 77) ** 3],
        [torch.arange(M).repeat(3, 1), torch.randn(3, M)],
    ]
