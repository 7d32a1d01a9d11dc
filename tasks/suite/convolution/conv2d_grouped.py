"""Grouped 2-D convolution: 3x3 kernel, padding 1, 8 groups (ResNeXt-style), with bias."""

import torch
import torch.nn as nn

CATEGORY = "convolution"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 4, 128, 56, 56
KERNEL, GROUPS = 3, 8
SIZES = {
    "gpu": {"BATCH": 256, "CHANNELS": 256, "HEIGHT": 56, "WIDTH": 56},
    "small": {"BATCH": 1, "CHANNELS": 16, "HEIGHT": 5, "WIDTH": 6},
}
FLOPS = float(2 * BATCH * CHANNELS * HEIGHT * WIDTH * (CHANNELS // GROUPS) * KERNEL * KERNEL)
BYTES_MOVED = float(4 * (BATCH * CHANNELS * HEIGHT * WIDTH + BATCH * CHANNELS * HEIGHT * WIDTH))
# Each output sums 144 products of unit-scale values; another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, channels: int, kernel_size: int, groups: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, kernel_size, padding=1, groups=groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [CHANNELS, KERNEL, GROUPS]


def get_input_groups():
    # Odd sizes, 1x1 maps, heavy tails, and per-channel offsets that differ between groups.
    return [
        [torch.randn(1, CHANNELS, 17, 23)],
        [torch.randn(2, CHANNELS, 1, 1)],
        [torch.randn(1, CHANNELS, 9, 30) ** 3],
        [torch.randn(1, CHANNELS, 8, 8) + torch.arange(CHANNELS).float().reshape(1, CHANNELS, 1, 1) % 3],
    ]
