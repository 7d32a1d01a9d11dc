"""2-D convolution with a square kernel, stride 1 and "same" zero padding (nn.Conv2d with bias):
y[n, co] = b[co] + sum_{ci, kh, kw} w[co, ci, kh, kw] * x[n, ci, oh + kh - p, ow + kw - p]."""

import torch
import torch.nn as nn

CATEGORY = "convolution"
LEVEL = 1
BATCH, IN_CHANNELS, OUT_CHANNELS, HEIGHT, WIDTH, KERNEL = 4, 64, 64, 56, 56, 3
SIZES = {
    "gpu": {"BATCH": 64, "IN_CHANNELS": 128, "OUT_CHANNELS": 128, "HEIGHT": 112, "WIDTH": 112},
    "small": {"BATCH": 1, "IN_CHANNELS": 3, "OUT_CHANNELS": 4, "HEIGHT": 7, "WIDTH": 6},
}
FLOPS = float(2 * BATCH * OUT_CHANNELS * HEIGHT * WIDTH * IN_CHANNELS * KERNEL * KERNEL)
BYTES_MOVED = float(
    4 * (BATCH * IN_CHANNELS * HEIGHT * WIDTH + OUT_CHANNELS * IN_CHANNELS * KERNEL * KERNEL
         + OUT_CHANNELS + BATCH * OUT_CHANNELS * HEIGHT * WIDTH)
)


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS, KERNEL]


def get_input_groups():
    # Odd and non-square maps (including maps smaller than the kernel, where padding dominates),
    # and inputs that are not standard normal: heavy tails, all negative, a structured ramp.
    return [
        [torch.randn(1, IN_CHANNELS, 17, 23)],
        [torch.randn(2, IN_CHANNELS, 5, 130)],
        [torch.randn(3, IN_CHANNELS, 1, 1)],
        [torch.randn(1, IN_CHANNELS, 2, 3)],
        [torch.randn(2, IN_CHANNELS, 29, 31) ** 3],
        [-torch.rand(1, IN_CHANNELS, 40, 33) * 4.0],
        [torch.arange(IN_CHANNELS * 12 * 12).reshape(1, IN_CHANNELS, 12, 12).float() / 1000.0],
    ]
