"""ResNet bottleneck block with a projection shortcut, inference mode:
y = relu(bn3(conv3_1x1(relu(bn2(conv2_3x3_stride2(relu(bn1(conv1_1x1(x)))))))) + bn_s(conv_s_1x1_stride2(x))).
"""

import torch
import torch.nn as nn

CATEGORY = "arch"
LEVEL = 3
BATCH, IN_CHANNELS, MID, HEIGHT, WIDTH = 2, 64, 32, 32, 32
SIZES = {
    "gpu": {"BATCH": 64, "IN_CHANNELS": 256, "MID": 128, "HEIGHT": 56, "WIDTH": 56},
    "small": {"BATCH": 1, "IN_CHANNELS": 4, "MID": 2, "HEIGHT": 6, "WIDTH": 5},
}
FLOPS = float(
    2 * BATCH * HEIGHT * WIDTH * (IN_CHANNELS * MID + (9 * MID * MID + 4 * MID * MID
    + IN_CHANNELS * 4 * MID) // 4)
)
BYTES_MOVED = float(4 * (BATCH * IN_CHANNELS * HEIGHT * WIDTH + BATCH * MID * HEIGHT * WIDTH))
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
    def __init__(self, in_channels: int, mid: int):
        super().__init__()
        out = 4 * mid
        self.conv1, self.bn1 = nn.Conv2d(in_channels, mid, 1, bias=False), _bn(mid)
        self.conv2, self.bn2 = nn.Conv2d(mid, mid, 3, stride=2, padding=1, bias=False), _bn(mid)
        self.conv3, self.bn3 = nn.Conv2d(mid, out, 1, bias=False), _bn(out)
        self.short, self.bn_s = nn.Conv2d(in_channels, out, 1, stride=2, bias=False), _bn(out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        y = torch.relu(self.bn2(self.conv2(y)))
        return torch.relu(self.bn3(self.conv3(y)) + self.bn_s(self.short(x)))


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [IN_CHANNELS, MID]


def get_input_groups():
    # Odd maps (stride 2 rounds up), 1x1 maps, heavy tails, and a negative shift.
    return [
        [torch.randn(1, IN_CHANNELS, 17, 23)],
        [torch.randn(3, IN_CHANNELS, 1, 1)],
        [torch.randn(1, IN_CHANNELS, 9, 30) ** 3],
        [torch.randn(2, IN_CHANNELS, 12, 12) - 1.0],
    ]
