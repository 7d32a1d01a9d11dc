"""Row selection: y = x[index] (torch.index_select(x, 0, index)), x is (M, D), index is (L,)
int64 with repeats and arbitrary order.
"""

import torch
import torch.nn as nn

CATEGORY = "index"
LEVEL = 1
ROWS, DIM, L = 16384, 256, 8192
SIZES = {"gpu": {"ROWS": 1048576, "DIM": 512, "L": 1048576}, "small": {"ROWS": 20, "DIM": 33, "L": 50}}
FLOPS = 0.0
BYTES_MOVED = float(8 * L + 2 * 4 * L * DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return torch.index_select(x, 0, index)


def get_inputs():
    return [torch.randn(ROWS, DIM), torch.randint(0, ROWS, (L,))]


def get_init_inputs():
    return []


def get_input_groups():
    # An odd width with repeats, a single column, every index the last row, and a full reversal.
    return [
        [torch.randn(101, 7), torch.randint(0, 101, (333,))],
        [torch.randn(5, 1), torch.tensor([4, 0, 4])],
        [torch.randn(50, 129) ** 3, torch.full((77,), 49, dtype=torch.int64)],
        [torch.randn(64, 64), torch.arange(63, -1, -1)],
    ]
