"""3-D average pooling, 2x2x2 window, stride 2 (nn.AvgPool3d(2)); odd sizes drop the last slice."""

import torch
import torch.nn as nn

CATEGORY = "pooling"
LEVEL = 1
BATCH, CHANNELS, DEPTH, HEIGHT, WIDTH = 2, 16, 32, 64, 64
KERNEL = 2
SIZES = {
    "gpu": {"BATCH": 16, "CHANNELS": 64, "DEPTH": 64, "HEIGHT": 128, "WIDTH": 128},
    "small": {"BATCH": 1, "CHANNELS": 2, "DEPTH": 4, "HEIGHT": 6, "WIDTH": 8},
}
# About 1 operations per input element; read the input once, write the pooled output.
FLOPS = float(1 * BATCH * CHANNELS * DEPTH * HEIGHT * WIDTH)
BYTES_MOVED = float(4 * BATCH * CHANNELS * (DEPTH * HEIGHT * WIDTH + (DEPTH // 2) * (HEIGHT // 2) * (WIDTH // 2)))


class Model(nn.Module):
    def __init__(self, kernel_size: int):
        super().__init__()
        self.pool = nn.AvgPool3d(kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, DEPTH, HEIGHT, WIDTH)]


def get_init_inputs():
    return [KERNEL]


def get_input_groups():
    # Odd sizes (the last slice is dropped), a single window, heavy tails, and large shifted values.
    return [
        [torch.randn(1, 3, 7, 9, 11)],
        [torch.randn(2, 2, 2, 2, 2)],
        [torch.randn(1, 4, 10, 12, 14) ** 3],
        [torch.rand(1, 2, 8, 8, 8) * 100.0 - 50.0],
    ]
