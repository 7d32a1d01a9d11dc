"""Transposed conv (kernel 4, stride 2, padding 1: 2x upsampling), add a learned
per-channel bias, then clamp to [-1, 1]: y = clamp(conv_transpose2d(x) + b, -1, 1).
"""

import torch
import torch.nn as nn

CATEGORY = "fuse"
LEVEL = 2
BATCH, IN_CHANNELS, OUT_CHANNELS, HEIGHT, WIDTH = 2, 64, 32, 24, 24
SIZES = {
    "gpu": {"BATCH": 32, "IN_CHANNELS": 256, "OUT_CHANNELS": 128, "HEIGHT": 64, "WIDTH": 64},
    "small": {"BATCH": 1, "IN_CHANNELS": 3, "OUT_CHANNELS": 2, "HEIGHT": 4, "WIDTH": 5},
}
# The convolution dominates; the epilogue costs about 3 flops per convolution output.
FLOPS = float((2 * IN_CHANNELS * 16 + 3) * BATCH * OUT_CHANNELS * HEIGHT * WIDTH)
BYTES_MOVED = float(
    4 * (BATCH * IN_CHANNELS * HEIGHT * WIDTH + OUT_CHANNELS * IN_CHANNELS * 16
         + 4 * BATCH * OUT_CHANNELS * HEIGHT * WIDTH)
)
# The epilogue follows a 3x3 x IN_CHANNELS convolution sum; another valid summation order moves its
# inputs by ~1e-4, too close to the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1)
        self.bias = nn.Parameter(torch.randn(out_channels, 1, 1) * 0.3, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(self.conv(x) + self.bias, -1.0, 1.0)


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
