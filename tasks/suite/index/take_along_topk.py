"""Sort each row and gather a second tensor in that order:
idx = argsort(keys, dim=-1); y = take_along_dim(values, idx, dim=-1).
"""

import torch
import torch.nn as nn

CATEGORY = "index"
LEVEL = 1
BATCH, DIM = 512, 1024
SIZES = {"gpu": {"BATCH": 262144, "DIM": 1024}, "small": {"BATCH": 4, "DIM": 30}}
FLOPS = float(BATCH * DIM * 10)
BYTES_MOVED = float(3 * 4 * BATCH * DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, keys: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        return torch.take_along_dim(values, torch.argsort(keys, dim=-1, stable=True), dim=-1)


def get_inputs():
    return [torch.randn(BATCH, DIM), torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd widths, single-element rows, keys with many ties (the stable order decides), and reversed keys.
    return [
        [torch.randn(7, 1001), torch.randn(7, 1001)],
        [torch.randn(3, 1), torch.randn(3, 1)],
        [torch.randint(0, 3, (20, 50)).float(), torch.randn(20, 50)],
        [torch.arange(64.0).flip(0).repeat(5, 1), torch.randn(5, 64)],
    ]
