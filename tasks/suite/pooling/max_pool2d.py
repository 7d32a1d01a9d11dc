"""2-D max pooling, kernel 3, stride 2, padding 1 (the ResNet stem pool), over an (N, C, H, W) tensor.

Padded positions never win: they behave as -inf, not as 0. Output size is floor((H + 2 - 3) / 2) + 1.
"""

import torch
import torch.nn as nn

CATEGORY = "pooling"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 4, 32, 112, 112
SIZES = {
    "gpu": {"BATCH": 128, "CHANNELS": 128, "HEIGHT": 224, "WIDTH": 224},
    "small": {"BATCH": 2, "CHANNELS": 3, "HEIGHT": 9, "WIDTH": 11},
}
KERNEL, STRIDE, PADDING = 3, 2, 1
OUT_H = (HEIGHT + 2 * PADDING - KERNEL) // STRIDE + 1
OUT_W = (WIDTH + 2 * PADDING - KERNEL) // STRIDE + 1
# One comparison per window element per output.
FLOPS = float(BATCH * CHANNELS * OUT_H * OUT_W * KERNEL * KERNEL)
BYTES_MOVED = float(4 * BATCH * CHANNELS * (HEIGHT * WIDTH + OUT_H * OUT_W))


class Model(nn.Module):
    def __init__(self, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.pool = nn.MaxPool2d(kernel_size=kernel_size, stride=stride, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [KERNEL, STRIDE, PADDING]


def get_input_groups():
    # Odd and non-square spatial sizes (even/odd decide whether the last window is clipped), a
    # 1x1 image (every window is mostly padding), and all-negative inputs that catch zero padding.
    return [
        [torch.randn(3, 5, 31, 47)],
        [torch.randn(2, 3, 1, 1)],
        [torch.randn(4, 8, 56, 9) - 6.0],
        [torch.randn(2, 16, 33, 64) ** 3],
    ]
