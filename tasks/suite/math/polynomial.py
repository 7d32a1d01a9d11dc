"""Polynomial evaluation with learned coefficients: y = sum_k c[k] * x^k, degree 7, elementwise
(torch.polyval-style Horner scheme in the reference).
"""

import torch
import torch.nn as nn

CATEGORY = "math"
LEVEL = 1
BATCH, DIM = 256, 8192
DEGREE = 7
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
FLOPS = float(2 * DEGREE * BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM)
# Horner and power-sum evaluations differ by a few ulps of the largest term.
TOLERANCE = {"atol": 1e-4, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, degree: int):
        super().__init__()
        self.coeffs = nn.Parameter(torch.randn(degree + 1) / torch.arange(1, degree + 2).float(), requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.full_like(x, float(self.coeffs[-1]))
        for c in self.coeffs.flip(0)[1:]:
            y = y * x + c
        return y


def get_inputs():
    return [torch.rand(BATCH, DIM) * 2.0 - 1.0]


def get_init_inputs():
    return [DEGREE]


def get_input_groups():
    # Odd shapes, a wider range where high powers dominate, exact zeros (only the constant term), and all-negative
    # inputs.
    return [
        [torch.rand(7, 1001) * 2 - 1],
        [torch.randn(3, 5, 129) * 2.0],
        [torch.zeros(4, 4)],
        [torch.rand(33, 65) - 1.0],
    ]
