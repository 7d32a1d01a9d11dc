"""Index-add of rows: out = x.index_add(0, index, src), i.e. out = x, then out[index[i]] += src[i] for each i.

x is (M, D), src is (L, D), index is (L,) int64 in [0, M); many indices repeat, so several source rows
accumulate into the same output row. The output is a new tensor; x is not modified.
"""

import torch
import torch.nn as nn

CATEGORY = "index"
LEVEL = 1
ROWS, SRC_ROWS, DIM = 8192, 32768, 256
SIZES = {"gpu": {"ROWS": 262144, "SRC_ROWS": 1048576, "DIM": 512}, "small": {"ROWS": 10, "SRC_ROWS": 30, "DIM": 8}}
# One add per source element.
FLOPS = float(SRC_ROWS * DIM)
# Read x, src and the indices; write the output.
BYTES_MOVED = float(4 * ROWS * DIM + 4 * SRC_ROWS * DIM + 8 * SRC_ROWS + 4 * ROWS * DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, index: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        return x.index_add(0, index, src)


def get_inputs():
    return [torch.randn(ROWS, DIM), torch.randint(0, ROWS, (SRC_ROWS,)), torch.randn(SRC_ROWS, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Every source row into the same row (maximal collisions), only the first and last rows, an odd
    # width, a single source row, and heavy-tailed values.
    return [
        [torch.randn(10, 33), torch.zeros(500, dtype=torch.int64), torch.randn(500, 33)],
        [torch.randn(50, 7), torch.randint(0, 2, (200,)) * 49, torch.randn(200, 7)],
        [torch.randn(3, 1), torch.tensor([2]), torch.randn(1, 1)],
        [torch.randn(777, 129) ** 3, torch.randint(0, 777, (3000,)), torch.randn(3000, 129) ** 3],
    ]
