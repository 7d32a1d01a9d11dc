"""Transposed 2-D convolution (learned 2x upsampling): kernel 4, stride 2, padding 1, bias
(nn.ConvTranspose2d); the output is (N, C_out, 2H, 2W).
"""

import torch
import torch.nn as nn

CATEGORY = "convolution"
LEVEL = 1
BATCH, IN_CHANNELS, OUT_CHANNELS, HEIGHT, WIDTH = 2, 64, 32, 32, 32
KERNEL = 4
SIZES = {
    "gpu": {"BATCH": 32, "IN_CHANNELS": 256, "OUT_CHANNELS": 128, "HEIGHT": 64, "WIDTH": 64},
    "small": {"BATCH": 1, "IN_CHANNELS": 3, "OUT_CHANNELS": 2, "HEIGHT": 4, "WIDTH": 5},
}
FLOPS = float(2 * BATCH * IN_CHANNELS * HEIGHT * WIDTH * OUT_CHANNELS * KERNEL * KERNEL)
BYTES_MOVED = float(4 * (BATCH * IN_CHANNELS * HEIGHT * WIDTH + BATCH * OUT_CHANNELS * 4 * HEIGHT * WIDTH))
# Each output sums 256 products of unit-scale values; another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS, KERNEL]


def get_input_groups():
    # Odd sizes, a single input pixel, and heavy tails.
    return [
        [torch.randn(1, IN_CHANNELS, 7, 9)],
        [torch.randn(2, IN_CHANNELS, 1, 1)],
        [torch.randn(1, IN_CHANNELS, 5, 13) ** 3],
    ]
