"""Batch normalization with batch statistics (training-mode forward, no running
stat update), then ReLU: per channel, y = relu((x - mean_b) / sqrt(var_b + eps) * gamma + beta), with the
biased variance over (N, H, W).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "normalization"
LEVEL = 2
BATCH, CHANNELS, HEIGHT, WIDTH = 8, 64, 56, 56
SIZES = {
    "gpu": {"BATCH": 256, "CHANNELS": 128, "HEIGHT": 112, "WIDTH": 112},
    "small": {"BATCH": 2, "CHANNELS": 3, "HEIGHT": 5, "WIDTH": 7},
}
FLOPS = float(10 * BATCH * CHANNELS * HEIGHT * WIDTH)
BYTES_MOVED = float(4 * (2 * BATCH * CHANNELS * HEIGHT * WIDTH + 2 * CHANNELS))
# Statistics over 25k values per channel: float32 summation order moves outputs by ~1e-5, more on the
# offset group where the mean is large.
TOLERANCE = {"atol": 5e-4, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(channels) + 0.5, requires_grad=False)
        self.bias = nn.Parameter(torch.rand(channels) - 0.5, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.batch_norm(x, None, None, self.weight, self.bias, training=True, eps=1e-5)
        return torch.relu(y)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [CHANNELS]


def get_input_groups():
    # Odd maps, 1x1 maps (statistics over the batch only), a large offset (breaks one-pass variance), and heavy
    # tails.
    return [
        [torch.randn(1, CHANNELS, 7, 9)],
        [torch.randn(5, CHANNELS, 1, 1)],
        [torch.randn(2, CHANNELS, 20, 20) + 30.0],
        [torch.randn(2, CHANNELS, 15, 16) ** 3],
    ]
