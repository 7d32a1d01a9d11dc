"""Conv1d (kernel 3, 'same'), GELU, then average pooling by 2 along the sequence:
y = avg_pool1d(gelu(conv1d(x)), 2).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "fuse"
LEVEL = 2
BATCH, IN_CHANNELS, OUT_CHANNELS, LENGTH = 8, 64, 128, 1024
SIZES = {
    "gpu": {"BATCH": 64, "IN_CHANNELS": 512, "OUT_CHANNELS": 512, "LENGTH": 8192},
    "small": {"BATCH": 1, "IN_CHANNELS": 3, "OUT_CHANNELS": 4, "LENGTH": 20},
}
# The convolution dominates; the epilogue costs about 24 flops per convolution output.
FLOPS = float((2 * IN_CHANNELS * 3 + 24) * BATCH * OUT_CHANNELS * LENGTH)
BYTES_MOVED = float(
    4 * (BATCH * IN_CHANNELS * LENGTH + OUT_CHANNELS * IN_CHANNELS * 3
         + BATCH * OUT_CHANNELS * LENGTH // 2)
)
# The epilogue follows a 3x3 x IN_CHANNELS convolution sum; another valid summation order moves its
# inputs by ~1e-4, too close to the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool1d(F.gelu(self.conv(x)), 2)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, LENGTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS]


def get_input_groups():
    # An odd length (the last sample is dropped), a length of 2, heavy tails, and large shifted inputs.
    return [
        [torch.randn(1, IN_CHANNELS, 1001)],
        [torch.randn(3, IN_CHANNELS, 2)],
        [torch.randn(2, IN_CHANNELS, 77) ** 3],
        [torch.randn(1, IN_CHANNELS, 50) * 3.0 - 2.0],
    ]
