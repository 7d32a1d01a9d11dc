"""Layer normalization over the last dimension with a learned affine transform (nn.LayerNorm):
y = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias, statistics per row of DIM elements."""

import torch
import torch.nn as nn

CATEGORY = "normalization"
LEVEL = 1
BATCH, SEQ, DIM = 6, 128, 4096
SIZES = {"gpu": {"BATCH": 64, "SEQ": 2048, "DIM": 4096}, "small": {"BATCH": 2, "SEQ": 3, "DIM": 100}}
# Mean, variance, then normalize + affine: about 8 flops per element.
FLOPS = float(8 * BATCH * SEQ * DIM)
BYTES_MOVED = float(4 * (2 * BATCH * SEQ * DIM + 2 * DIM))


class Model(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        # Non-trivial affine parameters, so a kernel that skips them is caught.
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)


def get_inputs():
    return [torch.randn(BATCH, SEQ, DIM)]


def get_init_inputs():
    return [DIM]


def get_input_groups():
    # Other leading shapes (odd, a single row, 2-D), rows with a large common offset (breaks the
    # one-pass E[x^2] - E[x]^2 variance), rows whose variance is close to eps, and heavy tails.
    return [
        [torch.randn(3, 5, DIM)],
        [torch.randn(1, 1, DIM)],
        [torch.randn(37, DIM)],
        [torch.randn(4, 16, DIM) + 100.0],
        [torch.randn(2, 9, DIM) * 0.003],
        [torch.randn(6, 7, DIM) ** 3],
    ]
