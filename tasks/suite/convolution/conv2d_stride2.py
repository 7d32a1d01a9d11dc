"""2-D convolution with stride 2: 3x3 kernel, padding 1, no bias (a ResNet downsampling conv)."""

import torch
import torch.nn as nn

CATEGORY = "convolution"
LEVEL = 1
BATCH, IN_CHANNELS, OUT_CHANNELS, HEIGHT, WIDTH = 4, 64, 128, 56, 56
KERNEL = 3
SIZES = {
    "gpu": {"BATCH": 64, "IN_CHANNELS": 128, "OUT_CHANNELS": 256, "HEIGHT": 112, "WIDTH": 112},
    "small": {"BATCH": 1, "IN_CHANNELS": 3, "OUT_CHANNELS": 4, "HEIGHT": 7, "WIDTH": 6},
}
FLOPS = float(2 * BATCH * OUT_CHANNELS * (HEIGHT // 2) * (WIDTH // 2) * IN_CHANNELS * KERNEL * KERNEL)
BYTES_MOVED = float(4 * (BATCH * IN_CHANNELS * HEIGHT * WIDTH + BATCH * OUT_CHANNELS * (HEIGHT // 2) * (WIDTH // 2)))
# Each output sums 576 products of unit-scale values; another valid summation order moves results by
# more than the default atol of 1e-4.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=2, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS, KERNEL]


def get_input_groups():
    # Odd sizes (the last row and column are covered by padding only), a tiny map, heavy tails, and a large positive
    # offset.
    return [
        [torch.randn(1, IN_CHANNELS, 17, 23)],
        [torch.randn(2, IN_CHANNELS, 1, 2)],
        [torch.randn(1, IN_CHANNELS, 9, 30) ** 3],
        [torch.rand(1, IN_CHANNELS, 12, 12) + 5.0],
    ]
