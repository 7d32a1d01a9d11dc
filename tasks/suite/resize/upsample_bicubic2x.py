"""Bicubic 2x upsampling (F.interpolate(mode='bicubic', align_corners=False)); the cubic
kernel overshoots, and borders clamp the sample index.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "resize"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 2, 16, 64, 64
SCALE = 2
SIZES = {
    "gpu": {"BATCH": 64, "CHANNELS": 64, "HEIGHT": 256, "WIDTH": 256},
    "small": {"BATCH": 1, "CHANNELS": 2, "HEIGHT": 6, "WIDTH": 7},
}
FLOPS = float(32 * BATCH * CHANNELS * HEIGHT * WIDTH * 4)
BYTES_MOVED = float(4 * (BATCH * CHANNELS * HEIGHT * WIDTH + BATCH * CHANNELS * HEIGHT * WIDTH * 4))


class Model(nn.Module):
    def __init__(self, scale: int):
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [SCALE]


def get_input_groups():
    # Odd, non-square maps, a 1x1 map, a thin map with heavy tails, and a ramp (interpolation must be exact).
    return [
        [torch.randn(1, 3, 17, 23)],
        [torch.randn(2, 2, 1, 1)],
        [torch.randn(1, 4, 30, 5) ** 3],
        [torch.arange(1 * 2 * 12 * 12).reshape(1, 2, 12, 12).float()],
    ]
