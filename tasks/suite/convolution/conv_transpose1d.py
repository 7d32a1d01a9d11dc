"""Transposed 1-D convolution: kernel 3, stride 3, no padding, bias (nn.ConvTranspose1d); each input
sample expands into 3 outputs without overlap.
"""

import torch
import torch.nn as nn

CATEGORY = "convolution"
LEVEL = 1
BATCH, IN_CHANNELS, OUT_CHANNELS, LENGTH = 8, 128, 64, 1024
KERNEL = 3
SIZES = {
    "gpu": {"BATCH": 64, "IN_CHANNELS": 512, "OUT_CHANNELS": 256, "LENGTH": 8192},
    "small": {"BATCH": 1, "IN_CHANNELS": 3, "OUT_CHANNELS": 2, "LENGTH": 10},
}
FLOPS = float(2 * BATCH * IN_CHANNELS * LENGTH * OUT_CHANNELS * KERNEL)
BYTES_MOVED = float(4 * (BATCH * IN_CHANNELS * LENGTH + BATCH * OUT_CHANNELS * 3 * LENGTH))
# Each output sums 128 products of unit-scale values; another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.ConvTranspose1d(in_channels, out_channels, kernel_size, stride=3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, LENGTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS, KERNEL]


def get_input_groups():
    # An odd length, a single sample, and heavy tails.
    return [
        [torch.randn(1, IN_CHANNELS, 1001)],
        [torch.randn(2, IN_CHANNELS, 1)],
        [torch.randn(3, IN_CHANNELS, 50) ** 3],
    ]
