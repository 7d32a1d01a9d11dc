"""ResNet basic block in inference mode: y = relu(bn2(conv2(relu(bn1(conv1(x))))) + x), 3x3
convolutions without bias, channels preserved, BatchNorm with non-trivial running statistics.
"""

import torch
import torch.nn as nn

CATEGORY = "arch"
LEVEL = 3
BATCH, CHANNELS, HEIGHT, WIDTH = 2, 64, 28, 28
SIZES = {
    "gpu": {"BATCH": 64, "CHANNELS": 128, "HEIGHT": 56, "WIDTH": 56},
    "small": {"BATCH": 1, "CHANNELS": 4, "HEIGHT": 6, "WIDTH": 5},
}
FLOPS = float(BATCH * CHANNELS * HEIGHT * WIDTH * (2 * 2 * 9 * CHANNELS + 8))
BYTES_MOVED = float(4 * (2 * BATCH * CHANNELS * HEIGHT * WIDTH + 2 * 9 * CHANNELS * CHANNELS))
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
    def __init__(self, channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = _bn(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = _bn(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [CHANNELS]


def get_input_groups():
    # Odd, non-square maps, 1x1 maps, heavy tails, and a negative shift.
    return [
        [torch.randn(1, CHANNELS, 17, 23)],
        [torch.randn(3, CHANNELS, 1, 1)],
        [torch.randn(1, CHANNELS, 9, 30) ** 3],
        [torch.randn(2, CHANNELS, 12, 12) - 1.0],
    ]
