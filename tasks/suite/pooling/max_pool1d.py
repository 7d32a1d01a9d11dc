"""1-D max pooling over sequences, window 4, stride 2, padding 1 (nn.MaxPool1d(4, 2, 1))."""

import torch
import torch.nn as nn

CATEGORY = "pooling"
LEVEL = 1
BATCH, CHANNELS, LENGTH = 16, 64, 4096
KERNEL, STRIDE, PADDING = 4, 2, 1
SIZES = {"gpu": {"BATCH": 256, "CHANNELS": 256, "LENGTH": 16384}, "small": {"BATCH": 2, "CHANNELS": 3, "LENGTH": 101}}
# About 4 operations per input element; read the input once, write the pooled output.
FLOPS = float(4 * BATCH * CHANNELS * LENGTH)
BYTES_MOVED = float(4 * (BATCH * CHANNELS * LENGTH + BATCH * CHANNELS * (LENGTH // 2 + 1)))


class Model(nn.Module):
    def __init__(self, kernel_size: int, stride: int, padding: int):
        super().__init__()
        self.pool = nn.MaxPool1d(kernel_size, stride, padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, LENGTH)]


def get_init_inputs():
    return [KERNEL, STRIDE, PADDING]


def get_input_groups():
    # Odd lengths, a length equal to the window, heavy tails, all-negative values (padding must not win), and ties.
    return [
        [torch.randn(1, 3, 1001)],
        [torch.randn(2, 5, 4)],
        [torch.randn(3, 7, 333) ** 3],
        [-torch.rand(2, 4, 100) - 1.0],
        [(torch.arange(2 * 3 * 64).reshape(2, 3, 64) % 3).float()],
    ]
