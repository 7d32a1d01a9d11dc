"""Batched bilinear form: y[b] = x[b]^T W z[b] for a learned (D, E) matrix W,
x is (B, D) and z is (B, E) (torch.einsum('bd,de,be->b')).
"""

import torch
import torch.nn as nn

CATEGORY = "matmul"
LEVEL = 1
BATCH, DIM, EDIM = 1024, 512, 384
SIZES = {"gpu": {"BATCH": 65536, "DIM": 4096, "EDIM": 4096}, "small": {"BATCH": 4, "DIM": 33, "EDIM": 20}}
FLOPS = float(2 * BATCH * DIM * EDIM + 2 * BATCH * EDIM)
BYTES_MOVED = float(4 * (BATCH * DIM + DIM * EDIM + BATCH * EDIM + BATCH))
# Dot products of length ~512 with |C| up to ~50: another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, dim: int, edim: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(dim, edim) / dim**0.5, requires_grad=False)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return torch.einsum("bd,de,be->b", x, self.weight, z)


def get_inputs():
    return [torch.randn(BATCH, DIM), torch.randn(BATCH, EDIM)]


def get_init_inputs():
    return [DIM, EDIM]


def get_input_groups():
    # An odd batch, a single pair, and heavy tails.
    return [
        [torch.randn(7, DIM), torch.randn(7, EDIM)],
        [torch.randn(1, DIM), torch.randn(1, EDIM)],
        [torch.randn(33, DIM) ** 3, torch.rand(33, EDIM) - 0.5],
    ]
