"""2-D power-average (Lp) pooling with p = 2, window 3, stride 3 (nn.LPPool2d(2, 3)):
y = (sum over the window of x^2)^(1/2).
"""

import torch
import torch.nn as nn

CATEGORY = "pooling"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 8, 32, 64, 64
NORM_TYPE, KERNEL = 2.0, 3
SIZES = {
    "gpu": {"BATCH": 128, "CHANNELS": 128, "HEIGHT": 224, "WIDTH": 224},
    "small": {"BATCH": 2, "CHANNELS": 3, "HEIGHT": 9, "WIDTH": 11},
}
# About 3 operations per input element; read the input once, write the pooled output.
FLOPS = float(3 * BATCH * CHANNELS * HEIGHT * WIDTH)
BYTES_MOVED = float(4 * (BATCH * CHANNELS * HEIGHT * WIDTH + BATCH * CHANNELS * (HEIGHT // 3) * (WIDTH // 3)))


class Model(nn.Module):
    def __init__(self, norm_type: float, kernel_size: int):
        super().__init__()
        self.pool = nn.LPPool2d(norm_type, kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [NORM_TYPE, KERNEL]


def get_input_groups():
    # Odd maps (a partial last window is dropped), a single window, heavy tails, all-negative values (the square
    # makes them positive), and tiny values.
    return [
        [torch.randn(1, 3, 17, 23)],
        [torch.randn(2, 5, 3, 3)],
        [torch.randn(1, 8, 30, 41) ** 3],
        [-torch.rand(2, 4, 20, 20) - 1.0],
        [torch.randn(1, 2, 9, 9) * 1e-3],
    ]
