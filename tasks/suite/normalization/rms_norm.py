"""RMS normalization over the last dimension with a learned scale (LLaMA-style):
y = x / sqrt(mean(x^2) + eps) * weight.
"""

import torch
import torch.nn as nn

CATEGORY = "normalization"
LEVEL = 1
BATCH, SEQ, DIM = 4, 256, 2048
EPS = 1e-6
SIZES = {"gpu": {"BATCH": 64, "SEQ": 2048, "DIM": 4096}, "small": {"BATCH": 2, "SEQ": 3, "DIM": 100}}
FLOPS = float(4 * BATCH * SEQ * DIM)
BYTES_MOVED = float(4 * (2 * BATCH * SEQ * DIM + DIM))


class Model(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.rand(dim) + 0.5, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def get_inputs():
    return [torch.randn(BATCH, SEQ, DIM)]


def get_init_inputs():
    return [DIM, EPS]


def get_input_groups():
    # Odd token counts, tiny rows where eps dominates, large rows, heavy tails, and a large common offset.
    return [
        [torch.randn(1, 7, DIM)],
        [torch.randn(3, 1, DIM) * 1e-4],
        [torch.randn(2, 5, DIM) * 1e3],
        [torch.randn(1, 9, DIM) ** 3],
        [torch.randn(2, 4, DIM) + 20.0],
    ]
