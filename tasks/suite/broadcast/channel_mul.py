"""Per-channel scaling by broadcasting: y = x * s, x is (N, C, H, W) and s is (1, C, 1, 1)."""

import torch
import torch.nn as nn

CATEGORY = "broadcast"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 16, 64, 56, 56
SIZES = {
    "gpu": {"BATCH": 256, "CHANNELS": 256, "HEIGHT": 112, "WIDTH": 112},
    "small": {"BATCH": 2, "CHANNELS": 3, "HEIGHT": 5, "WIDTH": 7},
}
FLOPS = float(BATCH * CHANNELS * HEIGHT * WIDTH)
BYTES_MOVED = float(4 * (2 * BATCH * CHANNELS * HEIGHT * WIDTH + CHANNELS))


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        return x * s


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH), torch.randn(1, CHANNELS, 1, 1)]


def get_init_inputs():
    return []


def get_input_groups():
    # Other channel counts and odd spatial sizes (including 1x1 maps, where every element has its
    # own channel), and scales that are all negative or span many orders of magnitude.
    return [
        [torch.randn(3, 5, 7, 9), torch.randn(1, 5, 1, 1)],
        [torch.randn(2, 1000, 1, 1), torch.randn(1, 1000, 1, 1)],
        [torch.randn(1, 3, 224, 223), -torch.rand(1, 3, 1, 1) - 0.1],
        [torch.randn(4, 37, 31, 17) ** 3, torch.exp(4 * torch.randn(1, 37, 1, 1))],
        [torch.arange(2 * 8 * 10 * 10).reshape(2, 8, 10, 10).float() / 100, torch.arange(8.0).reshape(1, 8, 1, 1) - 4],
    ]
