"""2-D average pooling, 3x3 window, stride 2, padding 1, padding excluded from the count
(nn.AvgPool2d(3, 2, 1, count_include_pad=False)).
"""

import torch
import torch.nn as nn

CATEGORY = "pooling"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 8, 32, 64, 64
KERNEL, STRIDE, PADDING = 3, 2, 1
SIZES = {
    "gpu": {"BATCH": 128, "CHANNELS": 128, "HEIGHT": 224, "WIDTH": 224},
    "small": {"BATCH": 2, "CHANNELS": 3, "HEIGHT": 9, "WIDTH": 11},
}
# About 9 operations per input element; read the input once, write the pooled output.
FLOPS = float(9 * BATCH * CHANNELS * HEIGHT * WIDTH)
BYTES_MOVED = float(4 * (BATCH * CHANNELS * HEIGHT * WIDTH + BATCH * CHANNELS * (HEIGHT // 2) * (WIDTH // 2)))


class Model(nn.Module):
    def __init__(self, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.pool = nn.AvgPool2d(kernel_size, stride, padding, count_include_pad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [KERNEL, STRIDE, PADDING]


def get_input_groups():
    # Odd, non-square maps whose size is not a multiple of the stride, maps as small as the window, heavy tails,
    # all-negative values (padding must not win a max), and repeated integer values (ties).
    return [
        [torch.randn(1, 3, 17, 23)],
        [torch.randn(2, 5, 3, 3)],
        [torch.randn(1, 8, 30, 41) ** 3],
        [-torch.rand(2, 4, 20, 20) - 1.0],
        [torch.arange(2 * 2 * 12 * 12).reshape(2, 2, 12, 12).float() % 5],
    ]
