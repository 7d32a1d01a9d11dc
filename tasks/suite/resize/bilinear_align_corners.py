"""Bilinear resize to a fixed size with align_corners=True (corner pixels map exactly):
F.interpolate(x, size=(OUT_H, OUT_W), mode='bilinear', align_corners=True).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "resize"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 4, 16, 96, 96
OUT_H, OUT_W = 150, 130
SIZES = {
    "gpu": {"BATCH": 64, "CHANNELS": 128, "HEIGHT": 256, "WIDTH": 256},
    "small": {"BATCH": 1, "CHANNELS": 2, "HEIGHT": 6, "WIDTH": 7},
}
FLOPS = float(8 * BATCH * CHANNELS * OUT_H * OUT_W)
BYTES_MOVED = float(4 * (BATCH * CHANNELS * HEIGHT * WIDTH + BATCH * CHANNELS * OUT_H * OUT_W))


class Model(nn.Module):
    def __init__(self, out_h: int, out_w: int):
        super().__init__()
        self.out_h = out_h
        self.out_w = out_w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=(self.out_h, self.out_w), mode="bilinear", align_corners=True)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [OUT_H, OUT_W]


def get_input_groups():
    # Odd, non-square maps, a 1x1 map, a thin map with heavy tails, and a ramp (interpolation must be exact).
    return [
        [torch.randn(1, 3, 17, 23)],
        [torch.randn(2, 2, 1, 1)],
        [torch.randn(1, 4, 30, 5) ** 3],
        [torch.arange(1 * 2 * 12 * 12).reshape(1, 2, 12, 12).float()],
    ]
