"""General matrix multiplication of two non-square matrices: C = A @ B, A is (M, K), B is (K, N)."""

import torch
import torch.nn as nn

CATEGORY = "matmul"
LEVEL = 1
M, K, N = 512, 1024, 768
SIZES = {"gpu": {"M": 8192, "K": 8192, "N": 8192}, "small": {"M": 16, "K": 33, "N": 20}}
FLOPS = float(2 * M * K * N)
BYTES_MOVED = float(4 * (M * K + K * N + M * N))
# Each output is a length-1024 fp32 dot product with |C| up to ~150: a different (equally valid)
# summation order alone moves results by up to ~2e-4, too close to the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.matmul(a, b)


def get_inputs():
    return [torch.randn(M, K), torch.randn(K, N)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes that are not a multiple of any tile, degenerate-ish thin shapes, a tiny product, and
    # value distributions that are not standard normal (heavy tails, all-positive, exact integers).
    return [
        [torch.randn(97, 131), torch.randn(131, 75)],
        [torch.randn(1, 300), torch.randn(300, 257)],
        [torch.randn(333, 5), torch.randn(5, 1)],
        [torch.randn(3, 2), torch.randn(2, 4)],
        [torch.randn(130, 260) ** 3, torch.randn(260, 90)],
        [torch.rand(64, 511) + 0.5, torch.rand(511, 200) - 0.25],
        [(torch.arange(50 * 71).reshape(50, 71) % 7 - 3).float(), (torch.arange(71 * 33).reshape(71, 33) % 5).float()],
    ]
