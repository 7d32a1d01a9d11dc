"""Dilated 2-D convolution: 3x3 kernel, dilation 2, padding 2 (output size = input size), with bias."""

import torch
import torch.nn as nn

CATEGORY = "convolution"
LEVEL = 1
BATCH, IN_CHANNELS, OUT_CHANNELS, HEIGHT, WIDTH = 2, 32, 64, 64, 64
KERNEL = 3
SIZES = {
    "gpu": {"BATCH": 32, "IN_CHANNELS": 128, "OUT_CHANNELS": 128, "HEIGHT": 128, "WIDTH": 128},
    "small": {"BATCH": 1, "IN_CHANNELS": 3, "OUT_CHANNELS": 4, "HEIGHT": 7, "WIDTH": 6},
}
FLOPS = float(2 * BATCH * OUT_CHANNELS * HEIGHT * WIDTH * IN_CHANNELS * KERNEL * KERNEL)
BYTES_MOVED = float(4 * (BATCH * IN_CHANNELS * HEIGHT * WIDTH + BATCH * OUT_CHANNELS * HEIGHT * WIDTH))
# Each output sums 288 products of unit-scale values; another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=2, dilation=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS, KERNEL]


def get_input_groups():
    # Odd sizes, a map smaller than the dilated footprint, and heavy tails.
    return [
        [torch.randn(1, IN_CHANNELS, 17, 23)],
        [torch.randn(2, IN_CHANNELS, 3, 3)],
        [torch.randn(1, IN_CHANNELS, 9, 30) ** 3],
    ]
