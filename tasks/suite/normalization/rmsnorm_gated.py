"""Gated RMS normalization (Mamba-2 style): y = rms_norm(x) * weight * silu(gate)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "normalization"
LEVEL = 2
BATCH, SEQ, DIM = 4, 256, 1024
SIZES = {"gpu": {"BATCH": 64, "SEQ": 2048, "DIM": 4096}, "small": {"BATCH": 2, "SEQ": 3, "DIM": 100}}
FLOPS = float(20 * BATCH * SEQ * DIM)
BYTES_MOVED = float(4 * (3 * BATCH * SEQ * DIM + DIM))


class Model(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(dim) + 0.5, requires_grad=False)

    def forward(self, x: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        normed = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * self.weight
        return normed * F.silu(gate)


def get_inputs():
    return [torch.randn(BATCH, SEQ, DIM), torch.randn(BATCH, SEQ, DIM)]


def get_init_inputs():
    return [DIM]


def get_input_groups():
    # Odd token counts, tiny rows where eps dominates, heavy tails with large gates, and very negative gates (silu
    # close to zero).
    return [
        [torch.randn(1, 7, DIM), torch.randn(1, 7, DIM)],
        [torch.randn(2, 1, DIM) * 1e-4, torch.randn(2, 1, DIM)],
        [torch.randn(3, 5, DIM) ** 3, torch.randn(3, 5, DIM) * 10.0],
        [torch.randn(1, 4, DIM), -torch.rand(1, 4, DIM) * 20.0],
    ]
