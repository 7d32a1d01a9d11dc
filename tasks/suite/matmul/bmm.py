"""Batched matrix multiplication: C[b] = A[b] @ B[b], A is (BATCH, M, K), B is (BATCH, K, N)."""

import torch
import torch.nn as nn

CATEGORY = "matmul"
LEVEL = 1
BATCH, M, K, N = 32, 128, 256, 192
SIZES = {"gpu": {"BATCH": 64, "M": 1024, "K": 2048, "N": 1024}, "small": {"BATCH": 2, "M": 16, "K": 33, "N": 20}}
FLOPS = float(2 * BATCH * M * K * N)
BYTES_MOVED = float(4 * BATCH * (M * K + K * N + M * N))


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.bmm(a, b)


def get_inputs():
    return [torch.randn(BATCH, M, K), torch.randn(BATCH, K, N)]


def get_init_inputs():
    return []


def get_input_groups():
    # One big product (batch 1), many tiny ones, odd sizes that do not fit any tile, and inputs that
    # are not standard normal (heavy tails, all-positive, exact small integers).
    return [
        [torch.randn(1, 200, 300), torch.randn(1, 300, 170)],
        [torch.randn(257, 3, 7), torch.randn(257, 7, 5)],
        [torch.randn(5, 37, 61), torch.randn(5, 61, 29)],
        [torch.randn(9, 64, 100) ** 3, torch.randn(9, 100, 17)],
        [torch.rand(4, 33, 129) + 1.0, torch.rand(4, 129, 65) - 0.5],
        [(torch.arange(3 * 20 * 30).reshape(3, 20, 30) % 9 - 4).float(), torch.randn(3, 30, 40)],
    ]
