"""Entropy of the softmax distribution of each row: p = softmax(x, -1); y = -sum p * log p."""

import torch
import torch.nn as nn

CATEGORY = "reduce"
LEVEL = 2
BATCH, DIM = 2048, 1024
SIZES = {"gpu": {"BATCH": 131072, "DIM": 8192}, "small": {"BATCH": 4, "DIM": 100}}
FLOPS = float(16 * BATCH * DIM)
BYTES_MOVED = float(4 * (BATCH * DIM + BATCH))


class Model(nn.Module):
    def __init__(self):
        super().__init__()


    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logp = torch.log_softmax(x, dim=-1)
        return -(logp.exp() * logp).sum(dim=-1)


def get_inputs():
    return [torch.randn(BATCH, DIM) * (0.5 + 3.0 * torch.rand(BATCH, 1))]


def get_init_inputs():
    return []


def get_input_groups():
    # An odd width, single-element rows (entropy 0), very sharp rows (p log p with p underflowing must give 0, not
    # NaN), uniform rows (entropy log D), and heavy tails.
    return [
        [torch.randn(7, 1001)],
        [torch.randn(300, 1)],
        [torch.randn(64, 999) * 100.0],
        [torch.zeros(5, 64)],
        [torch.randn(33, 65) ** 3],
    ]
