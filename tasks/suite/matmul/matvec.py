"""Matrix-vector product: y = A @ x, A is (M, K) and x is (K, 1)."""

import torch
import torch.nn as nn

CATEGORY = "matmul"
LEVEL = 1
M, K = 2048, 2048
SIZES = {"gpu": {"M": 32768, "K": 32768}, "small": {"M": 33, "K": 100}}
FLOPS = float(2 * M * K)
BYTES_MOVED = float(4 * (M * K + K + M))
# Dot products of length ~2000 with |C| up to ~150: another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(a, x)


def get_inputs():
    return [torch.randn(M, K), torch.randn(K, 1)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes that fit no tile, a single long row, a very short K, and heavy tails.
    return [
        [torch.randn(97, 131), torch.randn(131, 1)],
        [torch.randn(1, 3000), torch.randn(3000, 1)],
        [torch.randn(500, 3), torch.randn(3, 1)],
        [torch.randn(64, 200) ** 3, torch.rand(200, 1) - 0.5],
    ]
