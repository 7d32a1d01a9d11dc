"""Batched matrix product followed by a softmax over the last axis: y = softmax(a @ b, dim=-1),
a is (B, M, K) and b is (B, K, N).
"""

import torch
import torch.nn as nn

CATEGORY = "fuse"
LEVEL = 2
BATCH, M, K, N = 16, 128, 64, 256
SIZES = {"gpu": {"BATCH": 256, "M": 1024, "K": 128, "N": 1024}, "small": {"BATCH": 2, "M": 5, "K": 16, "N": 20}}
FLOPS = float(2 * BATCH * M * K * N + 14 * BATCH * M * N)
BYTES_MOVED = float(4 * BATCH * (M * K + K * N + M * N))
# Probabilities average 1 / N (~4e-3): keep the absolute tolerance well below that.
TOLERANCE = {"atol": 1e-5, "rtol": 1e-3}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.softmax(torch.bmm(a, b), dim=-1)


def get_inputs():
    return [torch.randn(BATCH, M, K) * 0.25, torch.randn(BATCH, K, N) * 0.25]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes, a single output element (softmax of one value is 1), logits large enough to overflow exp without
    # the max shift, and heavy tails.
    return [
        [torch.randn(3, 7, 33), torch.randn(3, 33, 101)],
        [torch.randn(1, 1, 8), torch.randn(1, 8, 1)],
        [torch.randn(2, 16, 64) * 3.0, torch.randn(2, 64, 40)],
        [torch.randn(4, 9, 17) ** 3, torch.randn(4, 17, 9)],
    ]
