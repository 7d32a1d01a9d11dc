"""A batch of token matrices times one weight matrix: C = X @ W, X is (B, S, K) and W is (K, N)."""

import torch
import torch.nn as nn

CATEGORY = "matmul"
LEVEL = 1
BATCH, SEQ, K, N = 8, 64, 512, 512
SIZES = {"gpu": {"BATCH": 64, "SEQ": 256, "K": 4096, "N": 4096}, "small": {"BATCH": 2, "SEQ": 5, "K": 33, "N": 20}}
FLOPS = float(2 * BATCH * SEQ * K * N)
BYTES_MOVED = float(4 * (BATCH * SEQ * K + K * N + BATCH * SEQ * N))
# Dot products of length ~512 with |C| up to ~100: another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return torch.matmul(x, w)


def get_inputs():
    return [torch.randn(BATCH, SEQ, K), torch.randn(K, N)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes, a single token, a very short K, and heavy tails.
    return [
        [torch.randn(3, 7, 131), torch.randn(131, 75)],
        [torch.randn(1, 1, 300), torch.randn(300, 257)],
        [torch.randn(2, 100, 5), torch.randn(5, 3)],
        [torch.randn(4, 16, 200) ** 3, torch.rand(200, 40) - 0.5],
    ]
