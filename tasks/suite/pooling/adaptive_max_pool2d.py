"""Adaptive 2-D max pooling to a fixed 7x7 output (nn.AdaptiveMaxPool2d((7, 7))); windows
overlap or vary in size when the input is not a multiple of 7.
"""

import torch
import torch.nn as nn

CATEGORY = "pooling"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 8, 32, 64, 64
OUT_H, OUT_W = 7, 7
SIZES = {
    "gpu": {"BATCH": 128, "CHANNELS": 128, "HEIGHT": 224, "WIDTH": 224},
    "small": {"BATCH": 2, "CHANNELS": 3, "HEIGHT": 9, "WIDTH": 11},
}
# About 1 operations per input element; read the input once, write the pooled output.
FLOPS = float(1 * BATCH * CHANNELS * HEIGHT * WIDTH)
BYTES_MOVED = float(4 * (BATCH * CHANNELS * HEIGHT * WIDTH + BATCH * CHANNELS * OUT_H * OUT_W))


class Model(nn.Module):
    def __init__(self, out_h: int, out_w: int):
        super().__init__()
        self.pool = nn.AdaptiveMaxPool2d((out_h, out_w))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [OUT_H, OUT_W]


def get_input_groups():
    # Odd maps (uneven windows), maps smaller than the output (repeated windows), heavy tails, all-negative values,
    # and ties.
    return [
        [torch.randn(1, 3, 17, 23)],
        [torch.randn(2, 5, 3, 3)],
        [torch.randn(1, 8, 30, 41) ** 3],
        [-torch.rand(2, 4, 20, 20) - 1.0],
        [torch.arange(2 * 2 * 12 * 12).reshape(2, 2, 12, 12).float() % 5],
    ]
