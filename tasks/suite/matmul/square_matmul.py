"""Square matrix multiplication: C = A @ B, A and B are (N, N)."""

import torch
import torch.nn as nn

CATEGORY = "matmul"
LEVEL = 1
N = 640
SIZES = {"gpu": {"N": 12288}, "small": {"N": 33}}
FLOPS = float(2 * N * N * N)
BYTES_MOVED = float(4 * 3 * N * N)
# Dot products of length ~640 with |C| up to ~150: another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.matmul(a, b)


def get_inputs():
    return [torch.randn(N, N), torch.randn(N, N)]


def get_init_inputs():
    return []


def get_input_groups():
    # An odd size, a single element, heavy tails, and a scaled identity (structured, exact).
    return [
        [torch.randn(97, 97), torch.randn(97, 97)],
        [torch.randn(1, 1), torch.randn(1, 1)],
        [torch.randn(130, 130) ** 3, torch.randn(130, 130)],
        [torch.eye(64) * 3.0, torch.randn(64, 64)],
    ]
