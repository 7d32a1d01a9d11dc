"""LLaMA-style feed-forward sub-block: y = x + W_down(silu(W_gate(h)) * W_up(h)), h = rms_norm(x) * w."""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "arch"
LEVEL = 3
BATCH, SEQ, DIM, HIDDEN = 2, 64, 256, 688
SIZES = {
    "gpu": {"BATCH": 8, "SEQ": 2048, "DIM": 4096, "HIDDEN": 11008},
    "small": {"BATCH": 1, "SEQ": 3, "DIM": 16, "HIDDEN": 40},
}
FLOPS = float(2 * BATCH * SEQ * 3 * DIM * HIDDEN)
BYTES_MOVED = float(4 * (2 * BATCH * SEQ * DIM + 3 * DIM * HIDDEN))
# Several layers of fp32 matmuls/convolutions in sequence: rounding differences of another valid summation
# order compound across layers beyond the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-3}


class Model(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(dim) + 0.5, requires_grad=False)
        self.gate = nn.Linear(dim, hidden, bias=False)
        self.up = nn.Linear(dim, hidden, bias=False)
        self.down = nn.Linear(hidden, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


def get_inputs():
    return [torch.randn(BATCH, SEQ, DIM)]


def get_init_inputs():
    return [DIM, HIDDEN]


def get_input_groups():
    # An odd length, tiny rows where eps dominates, heavy tails, and large inputs (the norm must cancel the scale).
    return [
        [torch.randn(1, 7, DIM)],
        [torch.randn(3, 1, DIM) * 1e-4],
        [torch.randn(2, 9, DIM) ** 3],
        [torch.randn(1, 5, DIM) * 50.0],
    ]
