"""Column standardization with given statistics: y = (x - mean) / std * gamma + beta,
x is (B, D); mean, std, gamma and beta are (D,) vectors broadcast over the rows.
"""

import torch
import torch.nn as nn

CATEGORY = "broadcast"
LEVEL = 1
BATCH, DIM = 256, 4096
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
FLOPS = float(4 * BATCH * DIM)
BYTES_MOVED = float(4 * (2 * BATCH * DIM + 4 * DIM))


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(
        self, x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor
    ) -> torch.Tensor:
        return (x - mean) / std * gamma + beta


def get_inputs():
    x = torch.randn(BATCH, DIM) * 3.0 + 1.0
    return [x, torch.randn(DIM), torch.rand(DIM) + 0.5, torch.randn(DIM), torch.randn(DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd widths, a 3-D x, tiny standard deviations (large quotients), and heavy tails around a large mean.
    return [
        [torch.randn(7, 1001), torch.randn(1001), torch.rand(1001) + 0.5, torch.randn(1001), torch.randn(1001)],
        [torch.randn(2, 3, 65), torch.randn(65), torch.rand(65) + 0.5, torch.randn(65), torch.randn(65)],
        [torch.randn(50, 40) * 1e-3, torch.zeros(40), torch.rand(40) * 1e-3 + 1e-4, torch.randn(40), torch.randn(40)],
        [torch.randn(64, 33) ** 3 + 100.0, torch.full((33,), 100.0), torch.rand(33) * 10.0 + 1.0, torch.randn(33),
         torch.zeros(33)],
    ]
