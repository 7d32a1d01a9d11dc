"""1-D convolution over sequences, kernel 5, stride 1, 'same' padding, with bias (nn.Conv1d)."""

import torch
import torch.nn as nn

CATEGORY = "convolution"
LEVEL = 1
BATCH, IN_CHANNELS, OUT_CHANNELS, LENGTH = 8, 64, 128, 1024
KERNEL = 5
SIZES = {
    "gpu": {"BATCH": 64, "IN_CHANNELS": 512, "OUT_CHANNELS": 512, "LENGTH": 8192},
    "small": {"BATCH": 2, "IN_CHANNELS": 3, "OUT_CHANNELS": 4, "LENGTH": 20},
}
FLOPS = float(2 * BATCH * OUT_CHANNELS * LENGTH * IN_CHANNELS * KERNEL)
BYTES_MOVED = float(4 * (BATCH * IN_CHANNELS * LENGTH + BATCH * OUT_CHANNELS * LENGTH))
# Each output sums 320 products of unit-scale values; another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, LENGTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS, KERNEL]


def get_input_groups():
    # An odd length, a length shorter than the kernel, heavy tails, and all-negative inputs.
    return [
        [torch.randn(1, IN_CHANNELS, 1001)],
        [torch.randn(3, IN_CHANNELS, 2)],
        [torch.randn(2, IN_CHANNELS, 77) ** 3],
        [-torch.rand(1, IN_CHANNELS, 50) * 3.0],
    ]
