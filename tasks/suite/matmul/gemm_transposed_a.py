"""Matrix product with a transposed left operand: C = A^T @ B, A is (K, M), B is (K, N)."""

import torch
import torch.nn as nn

CATEGORY = "matmul"
LEVEL = 1
M, K, N = 384, 512, 512
SIZES = {"gpu": {"M": 8192, "K": 8192, "N": 8192}, "small": {"M": 16, "K": 33, "N": 20}}
FLOPS = float(2 * M * K * N)
BYTES_MOVED = float(4 * (M * K + K * N + M * N))
# Dot products of length ~512 with |C| up to ~100: another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a.T @ b


def get_inputs():
    return [torch.randn(K, M), torch.randn(K, N)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes, a single output row, a very short K, and heavy tails.
    return [
        [torch.randn(131, 97), torch.randn(131, 75)],
        [torch.randn(300, 1), torch.randn(300, 257)],
        [torch.randn(5, 333), torch.randn(5, 2)],
        [torch.randn(260, 130) ** 3, torch.rand(260, 90) - 0.5],
    ]
