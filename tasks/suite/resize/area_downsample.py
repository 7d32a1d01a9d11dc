"""Area (average) downsampling to a fixed size (F.interpolate(mode='area') = adaptive average
pooling); when the size does not divide, windows differ in size.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "resize"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 4, 32, 128, 128
OUT_H, OUT_W = 40, 56
SIZES = {
    "gpu": {"BATCH": 64, "CHANNELS": 128, "HEIGHT": 256, "WIDTH": 256},
    "small": {"BATCH": 1, "CHANNELS": 2, "HEIGHT": 6, "WIDTH": 7},
}
FLOPS = float(1 * BATCH * CHANNELS * OUT_H * OUT_W)
BYTES_MOVED = float(4 * (BATCH * CHANNELS * HEIGHT * WIDTH + BATCH * CHANNELS * OUT_H * OUT_W))


class Model(nn.Module):
    def __init__(self, out_h: int, out_w: int):
        super().__init__()
        self.out_h = out_h
        self.out_w = out_w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=(self.out_h, self.out_w), mode="area")


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [OUT_H, OUT_W]


def get_input_groups():
    # Odd sizes (uneven windows), an input already at the output size (a copy), an input smaller than the output,
    # heavy tails, and a ramp.
    return [
        [torch.randn(1, 3, 97, 61)],
        [torch.randn(2, 2, 40, 56)],
        [torch.randn(1, 4, 20, 30) ** 3],
        [torch.arange(1 * 2 * 80 * 80).reshape(1, 2, 80, 80).float()],
    ]
