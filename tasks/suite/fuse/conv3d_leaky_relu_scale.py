"""Conv3d (3x3x3, padding 1), leaky ReLU, and a learned per-channel scale:
y = leaky_relu(conv3d(x), 0.1) * s.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "fuse"
LEVEL = 2
BATCH, IN_CHANNELS, OUT_CHANNELS, DEPTH, HEIGHT, WIDTH = 1, 8, 16, 16, 24, 24
SIZES = {
    "gpu": {"BATCH": 8, "IN_CHANNELS": 64, "OUT_CHANNELS": 64, "DEPTH": 32, "HEIGHT": 64, "WIDTH": 64},
    "small": {"BATCH": 1, "IN_CHANNELS": 2, "OUT_CHANNELS": 3, "DEPTH": 3, "HEIGHT": 4, "WIDTH": 5},
}
# The convolution dominates; the epilogue costs about 3 flops per convolution output.
FLOPS = float((2 * IN_CHANNELS * 27 + 3) * BATCH * OUT_CHANNELS * DEPTH * HEIGHT * WIDTH)
BYTES_MOVED = float(
    4 * (BATCH * IN_CHANNELS * DEPTH * HEIGHT * WIDTH + OUT_CHANNELS * IN_CHANNELS * 27
         + BATCH * OUT_CHANNELS * DEPTH * HEIGHT * WIDTH)
)
# The epilogue follows a 3x3 x IN_CHANNELS convolution sum; another valid summation order moves its
# inputs by ~1e-4, too close to the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv3d(in_channels, out_channels, 3, padding=1)
        self.scale = nn.Parameter(torch.rand(out_channels, 1, 1, 1) + 0.5, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.conv(x), 0.1) * self.scale


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, DEPTH, HEIGHT, WIDTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS]


def get_input_groups():
    # Odd volumes, a single voxel, and heavy tails.
    return [
        [torch.randn(1, IN_CHANNELS, 5, 7, 9)],
        [torch.randn(2, IN_CHANNELS, 1, 1, 1)],
        [torch.randn(1, IN_CHANNELS, 4, 10, 3) ** 3],
    ]
