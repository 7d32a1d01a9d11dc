"""Maximum over the last dimension: y = x.amax(dim=-1)."""

import torch
import torch.nn as nn

CATEGORY = "reduce"
LEVEL = 1
BATCH, DIM = 2048, 2048
SIZES = {"gpu": {"BATCH": 65536, "DIM": 8192}, "small": {"BATCH": 4, "DIM": 1000}}
FLOPS = float(1 * BATCH * DIM)
BYTES_MOVED = float(4 * (BATCH * DIM + BATCH))


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.amax(dim=-1)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes, a 3-D tensor, single-element rows, heavy tails, all-negative rows (a zero-initialised max is
    # wrong), and ties.
    return [
        [torch.randn(7, 1001)],
        [torch.randn(3, 5, 129)],
        [torch.randn(300, 1)],
        [torch.randn(64, 999) ** 3],
        [-torch.rand(33, 65) - 1.0],
        [(torch.arange(20 * 40).reshape(20, 40) % 7).float()],
    ]
