"""Row-wise log-sum-exp: y[b] = log(sum_j exp(x[b, j])) (torch.logsumexp(x, dim=-1)).

Must be computed stably (subtract the row maximum first): some input groups overflow or underflow a
naive exp.
"""

import torch
import torch.nn as nn

CATEGORY = "reduce"
LEVEL = 1
BATCH, DIM = 2048, 2048
SIZES = {"gpu": {"BATCH": 65536, "DIM": 8192}, "small": {"BATCH": 4, "DIM": 1000}}
# Per element: subtract the max, exp (counted as one op), add; plus a max pass.
FLOPS = float(4 * BATCH * DIM)
BYTES_MOVED = float(4 * BATCH * (DIM + 1))


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.logsumexp(x, dim=-1)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Large values (exp overflows float32 without the max shift), very negative values (exp
    # underflows to 0 without it), an odd size, a single column, and heavy tails.
    return [
        [torch.randn(64, 1000) * 50.0],
        [torch.randn(64, 1000) - 1000.0],
        [torch.randn(7, 1001)],
        [torch.randn(33, 1)],
        [torch.randn(128, 513) ** 3],
    ]
