"""MobileNetV2 inverted residual block (expand 6x with 1x1 conv + BN + ReLU6, 3x3 depthwise conv +
BN + ReLU6, 1x1 projection + BN, plus the input), inference mode.
"""

import torch
import torch.nn as nn

CATEGORY = "arch"
LEVEL = 3
BATCH, CHANNELS, HEIGHT, WIDTH = 4, 32, 28, 28
EXPAND = 6
SIZES = {
    "gpu": {"BATCH": 128, "CHANNELS": 64, "HEIGHT": 56, "WIDTH": 56},
    "small": {"BATCH": 1, "CHANNELS": 3, "HEIGHT": 6, "WIDTH": 5},
}
FLOPS = float(
    BATCH * HEIGHT * WIDTH * (4 * CHANNELS * CHANNELS * EXPAND + 18 * CHANNELS * EXPAND
    + 10 * CHANNELS * EXPAND)
)
BYTES_MOVED = float(
    4 * (2 * BATCH * CHANNELS * HEIGHT * WIDTH + 2 * CHANNELS * CHANNELS * EXPAND
    + 9 * CHANNELS * EXPAND)
)
# Several layers of fp32 matmuls/convolutions in sequence: rounding differences of another valid summation
# order compound across layers beyond the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-3}


def _bn(channels: int) -> nn.BatchNorm2d:
    bn = nn.BatchNorm2d(channels)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
        bn.running_mean.uniform_(-0.2, 0.2)
        bn.running_var.uniform_(0.5, 2.0)
    return bn.eval()


class Model(nn.Module):
    def __init__(self, channels: int, expand: int):
        super().__init__()
        hidden = channels * expand
        self.block = nn.Sequential(
            nn.Conv2d(channels, hidden, 1, bias=False), _bn(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden, bias=False), _bn(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, channels, 1, bias=False), _bn(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [CHANNELS, EXPAND]


def get_input_groups():
    # Odd maps, 1x1 maps, heavy tails, and large inputs that hit the ReLU6 ceiling.
    return [
        [torch.randn(1, CHANNELS, 17, 23)],
        [torch.randn(3, CHANNELS, 1, 1)],
        [torch.randn(1, CHANNELS, 9, 30) ** 3],
        [torch.randn(2, CHANNELS, 12, 12) * 4.0],
    ]
