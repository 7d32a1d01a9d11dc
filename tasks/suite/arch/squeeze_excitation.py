"""Conv block with squeeze-and-excitation: y = relu(conv3x3(x)); s = sigmoid(fc2(relu(fc1(
global_avg_pool(y))))); out = y * s (per-channel gating), channel reduction 4.
"""

import torch
import torch.nn as nn

CATEGORY = "arch"
LEVEL = 3
BATCH, CHANNELS, HEIGHT, WIDTH = 4, 64, 28, 28
SIZES = {
    "gpu": {"BATCH": 64, "CHANNELS": 128, "HEIGHT": 112, "WIDTH": 112},
    "small": {"BATCH": 1, "CHANNELS": 4, "HEIGHT": 6, "WIDTH": 5},
}
FLOPS = float(BATCH * CHANNELS * HEIGHT * WIDTH * (18 * CHANNELS + 4) + BATCH * CHANNELS * CHANNELS)
BYTES_MOVED = float(4 * (2 * BATCH * CHANNELS * HEIGHT * WIDTH + 9 * CHANNELS * CHANNELS))
# Several layers of fp32 matmuls/convolutions in sequence: rounding differences of another valid summation
# order compound across layers beyond the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-3}


class Model(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.fc1 = nn.Linear(channels, channels // 4)
        self.fc2 = nn.Linear(channels // 4, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.conv(x))
        s = torch.sigmoid(self.fc2(torch.relu(self.fc1(y.mean(dim=(2, 3))))))
        return y * s[:, :, None, None]


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [CHANNELS]


def get_input_groups():
    # Odd maps, 1x1 maps, heavy tails, and a positive shift (large pooled values saturate the gate).
    return [
        [torch.randn(1, CHANNELS, 17, 23)],
        [torch.randn(3, CHANNELS, 1, 1)],
        [torch.randn(1, CHANNELS, 9, 30) ** 3],
        [torch.randn(2, CHANNELS, 12, 12) + 2.0],
    ]
