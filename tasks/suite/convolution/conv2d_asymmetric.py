"""2-D convolution with a non-square 3x7 kernel, padding (1, 3), with bias."""

import torch
import torch.nn as nn

CATEGORY = "convolution"
LEVEL = 1
BATCH, IN_CHANNELS, OUT_CHANNELS, HEIGHT, WIDTH = 2, 32, 64, 48, 64
SIZES = {
    "gpu": {"BATCH": 32, "IN_CHANNELS": 128, "OUT_CHANNELS": 128, "HEIGHT": 96, "WIDTH": 128},
    "small": {"BATCH": 1, "IN_CHANNELS": 3, "OUT_CHANNELS": 2, "HEIGHT": 5, "WIDTH": 9},
}
FLOPS = float(2 * BATCH * OUT_CHANNELS * HEIGHT * WIDTH * IN_CHANNELS * 21)
BYTES_MOVED = float(4 * (BATCH * IN_CHANNELS * HEIGHT * WIDTH + BATCH * OUT_CHANNELS * HEIGHT * WIDTH))
# Each output sums 672 products of unit-scale values; another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, (3, 7), padding=(1, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS]


def get_input_groups():
    # Odd sizes, a map narrower than the kernel, and a tall map with heavy tails.
    return [
        [torch.randn(1, IN_CHANNELS, 17, 23)],
        [torch.randn(2, IN_CHANNELS, 1, 3)],
        [torch.randn(1, IN_CHANNELS, 30, 9) ** 3],
    ]
