"""Nearest-neighbour upsampling by 2 in height and width: y[n, c, h, w] = x[n, c, h // 2, w // 2].

F.interpolate(x, scale_factor=2, mode="nearest") on an (N, C, H, W) tensor; output (N, C, 2H, 2W).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "resize"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 2, 48, 128, 128
SIZES = {
    "gpu": {"BATCH": 32, "CHANNELS": 64, "HEIGHT": 256, "WIDTH": 256},
    "small": {"BATCH": 1, "CHANNELS": 2, "HEIGHT": 6, "WIDTH": 7},
}
SCALE = 2
# Pure data movement: no arithmetic.
FLOPS = 0.0
BYTES_MOVED = float(4 * BATCH * CHANNELS * HEIGHT * WIDTH * (1 + SCALE * SCALE))


class Model(nn.Module):
    def __init__(self, scale: int):
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=self.scale, mode="nearest")


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [SCALE]


def get_input_groups():
    # Odd, non-square sizes, a 1x1 image, a single very wide row, and heavy-tailed values.
    return [
        [torch.randn(3, 5, 17, 33)],
        [torch.randn(2, 3, 1, 1)],
        [torch.randn(1, 4, 1, 1001)],
        [torch.randn(2, 16, 45, 7) ** 3],
    ]
