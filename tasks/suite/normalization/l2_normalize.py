"""L2 normalization of rows: y = x / max(||x||_2, eps) along the last dimension
(F.normalize).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "normalization"
LEVEL = 1
BATCH, DIM = 2048, 1024
SIZES = {"gpu": {"BATCH": 262144, "DIM": 2048}, "small": {"BATCH": 4, "DIM": 100}}
FLOPS = float(3 * BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM)
# Outputs are about 1 / sqrt(DIM) ~ 0.03 in magnitude; keep the default relative tolerance.
TOLERANCE = {"atol": 1e-5, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(x, p=2.0, dim=-1)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # Odd sizes, a 3-D tensor, rows whose norm is below eps (divided by eps instead), rows whose squares overflow
    # float32 unless scaled, and heavy tails.
    return [
        [torch.randn(7, 1001)],
        [torch.randn(3, 5, 129)],
        [torch.randn(10, 64) * 1e-14],
        [torch.randn(40, 40) * 1e18],
        [torch.randn(64, 300) ** 3],
    ]
