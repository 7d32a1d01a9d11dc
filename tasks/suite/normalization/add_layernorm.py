"""Residual add followed by LayerNorm (post-norm transformer): y = layer_norm(x + r)."""

import torch
import torch.nn as nn

CATEGORY = "normalization"
LEVEL = 2
BATCH, SEQ, DIM = 4, 256, 1024
SIZES = {"gpu": {"BATCH": 64, "SEQ": 2048, "DIM": 4096}, "small": {"BATCH": 2, "SEQ": 3, "DIM": 100}}
FLOPS = float(9 * BATCH * SEQ * DIM)
BYTES_MOVED = float(4 * (3 * BATCH * SEQ * DIM + 2 * DIM))


class Model(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        return self.norm(x + r)


def get_inputs():
    return [torch.randn(BATCH, SEQ, DIM), torch.randn(BATCH, SEQ, DIM)]


def get_init_inputs():
    return [DIM]


def get_input_groups():
    # Odd token counts, a large offset (breaks one-pass variance), heavy tails, and a zero residual.
    return [
        [torch.randn(1, 7, DIM), torch.randn(1, 7, DIM)],
        [torch.randn(2, 1, DIM) + 50.0, torch.randn(2, 1, DIM)],
        [torch.randn(3, 5, DIM) ** 3, -torch.randn(3, 5, DIM) ** 3],
        [torch.randn(1, 4, DIM), -torch.randn(1, 4, DIM) * 0.0],
    ]
