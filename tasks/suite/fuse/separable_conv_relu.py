"""Depthwise-separable convolution and ReLU (MobileNet style): a 3x3 depthwise conv, then a
1x1 pointwise conv, then ReLU: y = relu(pointwise(depthwise(x))).
"""

import torch
import torch.nn as nn

CATEGORY = "fuse"
LEVEL = 2
BATCH, IN_CHANNELS, OUT_CHANNELS, HEIGHT, WIDTH = 4, 64, 128, 32, 32
SIZES = {
    "gpu": {"BATCH": 64, "IN_CHANNELS": 128, "OUT_CHANNELS": 128, "HEIGHT": 112, "WIDTH": 112},
    "small": {"BATCH": 1, "IN_CHANNELS": 3, "OUT_CHANNELS": 4, "HEIGHT": 7, "WIDTH": 6},
}
# The convolution dominates; the epilogue costs about 1 flops per convolution output.
FLOPS = float((2 * IN_CHANNELS * 1 + 1) * BATCH * OUT_CHANNELS * HEIGHT * WIDTH)
BYTES_MOVED = float(
    4 * (BATCH * IN_CHANNELS * HEIGHT * WIDTH + OUT_CHANNELS * IN_CHANNELS * 1
         + BATCH * OUT_CHANNELS * HEIGHT * WIDTH)
)
# The epilogue follows a 3x3 x IN_CHANNELS convolution sum; another valid summation order moves its
# inputs by ~1e-4, too close to the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, 3, padding=1, groups=in_channels)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.pointwise(self.depthwise(x)))


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS]


def get_input_groups():
    # Odd, non-square maps, tiny maps where padding dominates, heavy tails, and large shifted inputs.
    return [
        [torch.randn(1, IN_CHANNELS, 17, 23)],
        [torch.randn(3, IN_CHANNELS, 2, 2)],
        [torch.randn(1, IN_CHANNELS, 9, 30) ** 3],
        [torch.randn(2, IN_CHANNELS, 12, 12) * 3.0 + 1.0],
    ]
