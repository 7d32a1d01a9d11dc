"""Row scaling by a diagonal matrix: C = diag(d) @ A, d is (M,) and A is (M, N)."""

import torch
import torch.nn as nn

CATEGORY = "matmul"
LEVEL = 1
M, N = 256, 4096
SIZES = {"gpu": {"M": 4096, "N": 65536}, "small": {"M": 33, "N": 100}}
# The dense reference does M * M * N multiply-adds; the useful work is one multiply per element.
FLOPS = float(M * N)
BYTES_MOVED = float(4 * (M + 2 * M * N))


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, d: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        return torch.diag(d) @ a


def get_inputs():
    return [torch.randn(M), torch.randn(M, N)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes, a single row, an all-zero diagonal, and heavy tails.
    return [
        [torch.randn(97), torch.randn(97, 131)],
        [torch.randn(1), torch.randn(1, 3000)],
        [torch.zeros(50), torch.randn(50, 7)],
        [torch.randn(64) ** 3, torch.randn(64, 200) ** 3],
    ]
