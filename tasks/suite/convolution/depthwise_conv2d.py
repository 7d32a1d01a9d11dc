"""Depthwise 2-D convolution (groups = channels, ConvNeXt-style 7x7, stride 1, "same" padding, bias):
y[n, c] = b[c] + sum_{kh, kw} w[c, 0, kh, kw] * x[n, c, oh + kh - p, ow + kw - p]."""

import torch
import torch.nn as nn

CATEGORY = "convolution"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH, KERNEL = 4, 96, 56, 56, 7
SIZES = {
    "gpu": {"BATCH": 128, "CHANNELS": 128, "HEIGHT": 112, "WIDTH": 112},
    "small": {"BATCH": 1, "CHANNELS": 3, "HEIGHT": 9, "WIDTH": 8},
}
FLOPS = float(2 * BATCH * CHANNELS * HEIGHT * WIDTH * KERNEL * KERNEL)
BYTES_MOVED = float(4 * (2 * BATCH * CHANNELS * HEIGHT * WIDTH + CHANNELS * KERNEL * KERNEL + CHANNELS))


class Model(nn.Module):
    def __init__(self, channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2, groups=channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [CHANNELS, KERNEL]


def get_input_groups():
    # Odd, non-square and tiny maps (smaller than the 7x7 kernel, so most taps read padding), and
    # inputs that are not standard normal: heavy tails, all positive with an offset, a ramp.
    return [
        [torch.randn(1, CHANNELS, 19, 23)],
        [torch.randn(2, CHANNELS, 3, 101)],
        [torch.randn(1, CHANNELS, 1, 1)],
        [torch.randn(3, CHANNELS, 5, 4) ** 3],
        [torch.rand(1, CHANNELS, 33, 35) * 5.0 + 10.0],
        [torch.arange(CHANNELS * 16 * 9).reshape(1, CHANNELS, 16, 9).float() % 13 - 6.0],
    ]
