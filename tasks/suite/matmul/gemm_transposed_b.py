"""Matrix product with a transposed right operand: C = A @ B^T, A is (M, K), B is (N, K)
(the layout of nn.Linear weights).
"""

import torch
import torch.nn as nn

CATEGORY = "matmul"
LEVEL = 1
M, K, N = 512, 384, 512
SIZES = {"gpu": {"M": 8192, "K": 8192, "N": 8192}, "small": {"M": 16, "K": 33, "N": 20}}
FLOPS = float(2 * M * K * N)
BYTES_MOVED = float(4 * (M * K + K * N + M * N))
# Dot products of length ~384 with |C| up to ~100: another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a @ b.T


def get_inputs():
    return [torch.randn(M, K), torch.randn(N, K)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes, a single row, a very short K, and heavy tails.
    return [
        [torch.randn(97, 131), torch.randn(75, 131)],
        [torch.randn(1, 300), torch.randn(257, 300)],
        [torch.randn(333, 5), torch.randn(2, 5)],
        [torch.randn(130, 260) ** 3, torch.rand(90, 260) - 0.5],
    ]
