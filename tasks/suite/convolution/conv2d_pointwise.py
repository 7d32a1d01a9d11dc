"""Pointwise (1x1) 2-D convolution with bias: a per-pixel linear map over channels."""

import torch
import torch.nn as nn

CATEGORY = "convolution"
LEVEL = 1
BATCH, IN_CHANNELS, OUT_CHANNELS, HEIGHT, WIDTH = 4, 128, 96, 56, 56
SIZES = {
    "gpu": {"BATCH": 256, "IN_CHANNELS": 256, "OUT_CHANNELS": 256, "HEIGHT": 56, "WIDTH": 56},
    "small": {"BATCH": 1, "IN_CHANNELS": 5, "OUT_CHANNELS": 3, "HEIGHT": 4, "WIDTH": 6},
}
FLOPS = float(2 * BATCH * OUT_CHANNELS * HEIGHT * WIDTH * IN_CHANNELS)
BYTES_MOVED = float(4 * (BATCH * IN_CHANNELS * HEIGHT * WIDTH + BATCH * OUT_CHANNELS * HEIGHT * WIDTH))
# Each output sums 128 products of unit-scale values; another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS]


def get_input_groups():
    # Odd sizes, 1x1 maps (a plain matrix product), and heavy tails.
    return [
        [torch.randn(1, IN_CHANNELS, 17, 23)],
        [torch.randn(7, IN_CHANNELS, 1, 1)],
        [torch.randn(1, IN_CHANNELS, 9, 30) ** 3],
    ]
