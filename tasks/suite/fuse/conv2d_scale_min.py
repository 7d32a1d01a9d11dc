"""Conv2d (3x3, 'same'), a constant scale, then the minimum over channels (keepdim):
y = min_c (conv2d(x) * scale), shape (N, 1, H, W).
"""

import torch
import torch.nn as nn

CATEGORY = "fuse"
LEVEL = 2
BATCH, IN_CHANNELS, OUT_CHANNELS, HEIGHT, WIDTH = 2, 32, 64, 32, 32
SCALE = 2.0
SIZES = {
    "gpu": {"BATCH": 64, "IN_CHANNELS": 128, "OUT_CHANNELS": 128, "HEIGHT": 112, "WIDTH": 112},
    "small": {"BATCH": 1, "IN_CHANNELS": 3, "OUT_CHANNELS": 4, "HEIGHT": 7, "WIDTH": 6},
}
# The convolution dominates; the epilogue costs about 2 flops per convolution output.
FLOPS = float((2 * IN_CHANNELS * 9 + 2) * BATCH * OUT_CHANNELS * HEIGHT * WIDTH)
BYTES_MOVED = float(
    4 * (BATCH * IN_CHANNELS * HEIGHT * WIDTH + OUT_CHANNELS * IN_CHANNELS * 9
         + BATCH * HEIGHT * WIDTH)
)
# The epilogue follows a 3x3 x IN_CHANNELS convolution sum; another valid summation order moves its
# inputs by ~1e-4, too close to the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, scale: float):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.conv(x) * self.scale).amin(dim=1, keepdim=True)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS, SCALE]


def get_input_groups():
    # Odd, non-square maps, tiny maps where padding dominates, heavy tails, and large shifted inputs.
    return [
        [torch.randn(1, IN_CHANNELS, 17, 23)],
        [torch.randn(3, IN_CHANNELS, 2, 2)],
        [torch.randn(1, IN_CHANNELS, 9, 30) ** 3],
        [torch.randn(2, IN_CHANNELS, 12, 12) * 3.0 + 1.0],
    ]
