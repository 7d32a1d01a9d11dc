"""Log of the cumulative sum of exponentials along the last dimension:
y[i, j] = log(sum_{k <= j} exp(x[i, k])).
"""

import torch
import torch.nn as nn

CATEGORY = "math"
LEVEL = 1
BATCH, DIM = 256, 2048
SIZES = {"gpu": {"BATCH": 131072, "DIM": 4096}, "small": {"BATCH": 4, "DIM": 100}}
FLOPS = float(20 * BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.logcumsumexp(x, dim=-1)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd and single-element sizes, values so large or so negative that exp overflows or underflows without a
    # running max, and a monotone ramp.
    return [
        [torch.randn(7, 1001)],
        [torch.randn(1, 1)],
        [torch.randn(64, 300) * 100.0],
        [torch.randn(20, 500) - 1000.0],
        [torch.linspace(-50, 50, 30 * 70).reshape(30, 70)],
    ]
