"""3-D convolution over volumes, 3x3x3 kernel, stride 1, padding 1, with bias (nn.Conv3d)."""

import torch
import torch.nn as nn

CATEGORY = "convolution"
LEVEL = 1
BATCH, IN_CHANNELS, OUT_CHANNELS, DEPTH, HEIGHT, WIDTH = 1, 16, 16, 16, 32, 32
KERNEL = 3
SIZES = {
    "gpu": {"BATCH": 8, "IN_CHANNELS": 64, "OUT_CHANNELS": 64, "DEPTH": 32, "HEIGHT": 64, "WIDTH": 64},
    "small": {"BATCH": 1, "IN_CHANNELS": 2, "OUT_CHANNELS": 3, "DEPTH": 3, "HEIGHT": 4, "WIDTH": 5},
}
FLOPS = float(2 * BATCH * OUT_CHANNELS * DEPTH * HEIGHT * WIDTH * IN_CHANNELS * KERNEL ** 3)
BYTES_MOVED = float(4 * (BATCH * IN_CHANNELS * DEPTH * HEIGHT * WIDTH + BATCH * OUT_CHANNELS * DEPTH * HEIGHT * WIDTH))
# Each output sums 432 products of unit-scale values; another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv3d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, DEPTH, HEIGHT, WIDTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS, KERNEL]


def get_input_groups():
    # Odd volumes, a single voxel (all taps but the centre read padding), and heavy tails.
    return [
        [torch.randn(1, IN_CHANNELS, 5, 7, 9)],
        [torch.randn(2, IN_CHANNELS, 1, 1, 1)],
        [torch.randn(1, IN_CHANNELS, 4, 10, 3) ** 3],
    ]
