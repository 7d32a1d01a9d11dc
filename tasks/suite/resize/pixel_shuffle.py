"""Pixel shuffle (sub-pixel convolution output): (N, C * r^2, H, W) -> (N, C, H * r, W * r)
(nn.PixelShuffle(3)).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "resize"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 4, 36, 96, 96
FACTOR = 3
SIZES = {
    "gpu": {"BATCH": 32, "CHANNELS": 288, "HEIGHT": 256, "WIDTH": 256},
    "small": {"BATCH": 1, "CHANNELS": 18, "HEIGHT": 4, "WIDTH": 5},
}
FLOPS = float(0 * BATCH * CHANNELS * HEIGHT * WIDTH)
BYTES_MOVED = float(4 * (BATCH * CHANNELS * HEIGHT * WIDTH + BATCH * CHANNELS * HEIGHT * WIDTH))


class Model(nn.Module):
    def __init__(self, factor: int):
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(x, self.factor)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [FACTOR]


def get_input_groups():
    # Odd maps, a 1x1 map with three output channels, heavy tails, and a ramp that shows every element's
    # destination.
    return [
        [torch.randn(1, 9, 17, 23)],
        [torch.randn(2, 27, 1, 1)],
        [torch.randn(1, 18, 5, 30) ** 3],
        [torch.arange(9 * 4 * 4).reshape(1, 9, 4, 4).float()],
    ]
