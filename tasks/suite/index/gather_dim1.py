"""Row-wise gather: out[b, j] = x[b, index[b, j]] (torch.gather along dim 1).

x is (B, D) float32, index is (B, K) int64 with values in [0, D); the output is (B, K).
"""

import torch
import torch.nn as nn

CATEGORY = "index"
LEVEL = 1
BATCH, DIM, K = 2048, 4096, 2048
SIZES = {"gpu": {"BATCH": 65536, "DIM": 4096, "K": 4096}, "small": {"BATCH": 4, "DIM": 50, "K": 30}}
# Pure data movement: no arithmetic.
FLOPS = 0.0
# Read the indices (int64) and one gathered float per output; write the output.
BYTES_MOVED = float(BATCH * K * (8 + 4 + 4))


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return torch.gather(x, 1, index)


def get_inputs():
    return [torch.randn(BATCH, DIM), torch.randint(0, DIM, (BATCH, K))]


def get_init_inputs():
    return []


def get_input_groups():
    # More indices than columns (repeats), only the two boundary columns, a tiny odd shape, and
    # every row reading the same column.
    return [
        [torch.randn(37, 101), torch.randint(0, 101, (37, 333))],
        [torch.randn(64, 1000), torch.randint(0, 2, (64, 129)) * 999],
        [torch.randn(1, 3), torch.randint(0, 3, (1, 1))],
        [torch.randn(300, 50) ** 3, torch.full((300, 77), 49, dtype=torch.int64)],
    ]
