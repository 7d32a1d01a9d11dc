"""MLP-Mixer block: token mixing (LayerNorm, MLP across the patch axis) then channel mixing
(LayerNorm, MLP across channels), each with GELU and a residual. x is (B, PATCHES, DIM).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "arch"
LEVEL = 3
BATCH, PATCHES, DIM = 8, 64, 256
SIZES = {"gpu": {"BATCH": 256, "PATCHES": 256, "DIM": 1024}, "small": {"BATCH": 2, "PATCHES": 4, "DIM": 8}}
FLOPS = float(2 * BATCH * (4 * PATCHES * PATCHES * DIM + 8 * PATCHES * DIM * DIM))
BYTES_MOVED = float(4 * (2 * BATCH * PATCHES * DIM + 4 * PATCHES * PATCHES + 8 * DIM * DIM))
# Several layers of fp32 matmuls/convolutions in sequence: rounding differences of another valid summation
# order compound across layers beyond the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-3}


class Model(nn.Module):
    def __init__(self, patches: int, dim: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.tok1 = nn.Linear(patches, 2 * patches)
        self.tok2 = nn.Linear(2 * patches, patches)
        self.norm2 = nn.LayerNorm(dim)
        self.ch1 = nn.Linear(dim, 4 * dim)
        self.ch2 = nn.Linear(4 * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm1(x).transpose(1, 2)
        x = x + self.tok2(F.gelu(self.tok1(y))).transpose(1, 2)
        return x + self.ch2(F.gelu(self.ch1(self.norm2(x))))


def get_inputs():
    return [torch.randn(BATCH, PATCHES, DIM)]


def get_init_inputs():
    return [PATCHES, DIM]


def get_input_groups():
    # A single sample, an odd batch with heavy tails, and large shifted inputs.
    return [
        [torch.randn(1, PATCHES, DIM)],
        [torch.randn(5, PATCHES, DIM) ** 3],
        [torch.randn(3, PATCHES, DIM) * 4.0 - 2.0],
    ]
