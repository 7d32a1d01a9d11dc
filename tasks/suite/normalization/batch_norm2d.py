"""2-D batch normalization in inference mode (nn.BatchNorm2d.eval()): per channel,
y = (x - running_mean) / sqrt(running_var + eps) * weight + bias.
"""

import torch
import torch.nn as nn

CATEGORY = "normalization"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 8, 96, 56, 56
SIZES = {
    "gpu": {"BATCH": 256, "CHANNELS": 128, "HEIGHT": 112, "WIDTH": 112},
    "small": {"BATCH": 2, "CHANNELS": 3, "HEIGHT": 5, "WIDTH": 7},
}
FLOPS = float(2 * BATCH * CHANNELS * HEIGHT * WIDTH)
BYTES_MOVED = float(4 * (2 * BATCH * CHANNELS * HEIGHT * WIDTH + 4 * CHANNELS))


class Model(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels)
        # Non-trivial statistics and affine, so a kernel that skips any of them is caught.
        with torch.no_grad():
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.5, 0.5)
            self.bn.running_mean.uniform_(-1.0, 1.0)
            self.bn.running_var.uniform_(0.2, 3.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [CHANNELS]


def get_input_groups():
    # Odd and 1x1 maps, heavy tails, and large shifted values.
    return [
        [torch.randn(1, CHANNELS, 7, 9)],
        [torch.randn(5, CHANNELS, 1, 1)],
        [torch.randn(2, CHANNELS, 33, 17) ** 3],
        [torch.randn(1, CHANNELS, 16, 16) * 100.0 - 50.0],
    ]
