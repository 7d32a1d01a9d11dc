"""Trilinear 2x upsampling of a volume (F.interpolate(mode='trilinear', align_corners=False))."""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "resize"
LEVEL = 1
BATCH, CHANNELS, DEPTH, HEIGHT, WIDTH = 1, 8, 24, 32, 32
SCALE = 2
SIZES = {
    "gpu": {"BATCH": 4, "CHANNELS": 32, "DEPTH": 64, "HEIGHT": 128, "WIDTH": 128},
    "small": {"BATCH": 1, "CHANNELS": 2, "DEPTH": 3, "HEIGHT": 4, "WIDTH": 5},
}
FLOPS = float(16 * BATCH * CHANNELS * DEPTH * HEIGHT * WIDTH * 8)
BYTES_MOVED = float(4 * (BATCH * CHANNELS * DEPTH * HEIGHT * WIDTH + BATCH * CHANNELS * DEPTH * HEIGHT * WIDTH * 8))


class Model(nn.Module):
    def __init__(self, scale: int):
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, scale_factor=self.scale, mode="trilinear", align_corners=False)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, DEPTH, HEIGHT, WIDTH)]


def get_init_inputs():
    return [SCALE]


def get_input_groups():
    # Odd volumes, a single voxel, heavy tails, and a ramp.
    return [
        [torch.randn(1, 3, 5, 7, 9)],
        [torch.randn(1, 1, 1, 1, 1)],
        [torch.randn(2, 2, 3, 10, 4) ** 3],
        [torch.arange(2 * 6 * 6 * 6).reshape(1, 2, 6, 6, 6).float()],
    ]
