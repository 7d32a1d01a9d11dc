"""Batched outer sum by broadcasting: y[b, i, j] = a[b, i] + c[b, j], a is (B, M) and c is (B, N)."""

import torch
import torch.nn as nn

CATEGORY = "broadcast"
LEVEL = 1
BATCH, M, N = 12, 256, 1000
SIZES = {"gpu": {"BATCH": 512, "M": 1024, "N": 1024}, "small": {"BATCH": 2, "M": 30, "N": 50}}
FLOPS = float(BATCH * M * N)
BYTES_MOVED = float(4 * (BATCH * M + BATCH * N + BATCH * M * N))


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return a.unsqueeze(2) + c.unsqueeze(1)


def get_inputs():
    return [torch.randn(BATCH, M), torch.randn(BATCH, N)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd and lopsided sizes (a single row, a single column, tiny rows), and values that are not
    # standard normal: nearly cancelling pairs, heavy tails, exact integers.
    return [
        [torch.randn(3, 77), torch.randn(3, 129)],
        [torch.randn(1, 1), torch.randn(1, 4099)],
        [torch.randn(5, 2000), torch.randn(5, 3)],
        [torch.randn(2, 300) + 1000.0, torch.randn(2, 301) - 1000.0],
        [torch.randn(4, 64) ** 3, -torch.rand(4, 100) * 50],
        [torch.arange(6 * 40).reshape(6, 40).float(), -torch.arange(6 * 50).reshape(6, 50).float()],
    ]
