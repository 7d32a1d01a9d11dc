"""Masked select by broadcasting: y = where(mask, x, fill), mask is (B, 1, D) bool, x is
(B, N, D) and fill is (1, N, 1).
"""

import torch
import torch.nn as nn

CATEGORY = "broadcast"
LEVEL = 1
BATCH, N, DIM = 32, 128, 512
SIZES = {"gpu": {"BATCH": 512, "N": 1024, "DIM": 1024}, "small": {"BATCH": 2, "N": 5, "DIM": 100}}
FLOPS = 0.0
BYTES_MOVED = float(BATCH * DIM + 4 * N + 2 * 4 * BATCH * N * DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, mask: torch.Tensor, x: torch.Tensor, fill: torch.Tensor) -> torch.Tensor:
        return torch.where(mask, x, fill)


def get_inputs():
    return [torch.rand(BATCH, 1, DIM) > 0.5, torch.randn(BATCH, N, DIM), torch.randn(1, N, 1)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes, a mask that is almost all false or almost all true, heavy tails, and an all-true mask.
    return [
        [torch.rand(3, 1, 77) > 0.5, torch.randn(3, 9, 77), torch.randn(1, 9, 1)],
        [torch.rand(2, 1, 100) > 0.99, torch.randn(2, 5, 100), torch.randn(1, 5, 1) * 100.0],
        [torch.rand(4, 1, 33) > 0.01, torch.randn(4, 17, 33) ** 3, torch.randn(1, 17, 1)],
        [torch.ones(1, 1, 5, dtype=torch.bool), torch.randn(1, 3, 5), torch.randn(1, 3, 1)],
    ]
