"""Adaptive 2-D average pooling of an (N, C, H, W) tensor to a fixed 7x7 output.

Output cell (i, j) averages rows floor(i*H/7) .. ceil((i+1)*H/7)-1 and columns likewise, so when H or
W is not a multiple of 7 the windows have different sizes and may overlap.
"""

import torch
import torch.nn as nn

CATEGORY = "pooling"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 32, 512, 28, 28
SIZES = {
    "gpu": {"BATCH": 512, "CHANNELS": 1024, "HEIGHT": 28, "WIDTH": 28},
    "small": {"BATCH": 2, "CHANNELS": 3, "HEIGHT": 9, "WIDTH": 11},
}
OUT_H, OUT_W = 7, 7
# One add per input element (windows tile the input exactly at the default size) and one scale per output.
FLOPS = float(BATCH * CHANNELS * (HEIGHT * WIDTH + OUT_H * OUT_W))
BYTES_MOVED = float(4 * BATCH * CHANNELS * (HEIGHT * WIDTH + OUT_H * OUT_W))


class Model(nn.Module):
    def __init__(self, out_h: int, out_w: int):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d((out_h, out_w))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [OUT_H, OUT_W]


def get_input_groups():
    # Non-multiples of 7 (uneven, overlapping windows), an input smaller than the output (windows of
    # one pixel, repeated), heavy tails, and a non-zero mean.
    return [
        [torch.randn(3, 17, 30, 45)],
        [torch.randn(2, 5, 5, 3)],
        [torch.randn(4, 64, 13, 100) ** 3],
        [torch.randn(8, 32, 14, 14) * 0.5 + 3.0],
    ]
