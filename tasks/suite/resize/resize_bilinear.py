"""Bilinear resize of an (N, C, H, W) tensor to a fixed (OUT_H, OUT_W), align_corners=False.

F.interpolate(x, size=(OUT_H, OUT_W), mode="bilinear", align_corners=False): output pixel (i, j)
samples the input at (scale_h * (i + 0.5) - 0.5, scale_w * (j + 0.5) - 0.5), clamped below at 0,
with scale = input size / output size, and blends the four neighbouring pixels.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "resize"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 2, 32, 96, 128
SIZES = {
    "gpu": {"BATCH": 64, "CHANNELS": 128, "HEIGHT": 256, "WIDTH": 256},
    "small": {"BATCH": 1, "CHANNELS": 2, "HEIGHT": 6, "WIDTH": 7},
}
OUT_H, OUT_W = 160, 224
# Per output: 4 loads blended with 3 lerps of 3 flops each.
FLOPS = float(BATCH * CHANNELS * OUT_H * OUT_W * 9)
BYTES_MOVED = float(4 * BATCH * CHANNELS * (HEIGHT * WIDTH + OUT_H * OUT_W))


class Model(nn.Module):
    def __init__(self, out_h: int, out_w: int):
        super().__init__()
        self.out_h = out_h
        self.out_w = out_w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.interpolate(x, size=(self.out_h, self.out_w), mode="bilinear", align_corners=False)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [OUT_H, OUT_W]


def get_input_groups():
    # Downsampling (input larger than the output), odd sizes, a 1x1 input (every output equals it),
    # the identity size, and heavy-tailed values.
    return [
        [torch.randn(2, 3, 333, 250)],
        [torch.randn(3, 5, 17, 31)],
        [torch.randn(2, 2, 1, 1)],
        [torch.randn(1, 4, 160, 224) ** 3],
    ]
