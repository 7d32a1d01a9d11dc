"""Elementwise maximum of two broadcast tensors: y = maximum(a, c), a is (B, 1, D) and
c is (1, N, D), so y is (B, N, D).
"""

import torch
import torch.nn as nn

CATEGORY = "broadcast"
LEVEL = 1
BATCH, N, DIM = 96, 64, 512
SIZES = {"gpu": {"BATCH": 1024, "N": 1024, "DIM": 512}, "small": {"BATCH": 4, "N": 5, "DIM": 100}}
FLOPS = float(BATCH * N * DIM)
BYTES_MOVED = float(4 * (BATCH * DIM + N * DIM + BATCH * N * DIM))


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return torch.maximum(a, c)


def get_inputs():
    return [torch.randn(BATCH, 1, DIM), torch.randn(1, N, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes, scalars broadcast both ways, one side always larger, heavy tails, and integer values with many
    # ties.
    return [
        [torch.randn(3, 1, 77), torch.randn(1, 129, 77)],
        [torch.randn(1, 1, 1), torch.randn(1, 300, 1)],
        [torch.randn(5, 1, 33) - 2.0, torch.randn(1, 7, 33) + 2.0],
        [torch.randn(9, 1, 64) ** 3, torch.randn(1, 9, 64) ** 3],
        [torch.randint(-2, 3, (4, 1, 50)).float(), torch.randint(-2, 3, (1, 6, 50)).float()],
    ]
