"""ConvNeXt block: 7x7 depthwise conv, LayerNorm over channels (channels-last), Linear 4x expansion,
GELU, Linear projection, layer scale, residual: y = x + gamma * MLP(LN(dwconv(x))).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "arch"
LEVEL = 3
BATCH, CHANNELS, HEIGHT, WIDTH = 2, 64, 28, 28
SIZES = {
    "gpu": {"BATCH": 64, "CHANNELS": 128, "HEIGHT": 56, "WIDTH": 56},
    "small": {"BATCH": 1, "CHANNELS": 4, "HEIGHT": 6, "WIDTH": 5},
}
FLOPS = float(BATCH * CHANNELS * HEIGHT * WIDTH * (98 + 16 * CHANNELS + 40))
BYTES_MOVED = float(4 * (2 * BATCH * CHANNELS * HEIGHT * WIDTH + 8 * CHANNELS * CHANNELS + 49 * CHANNELS))
# Several layers of fp32 matmuls/convolutions in sequence: rounding differences of another valid summation
# order compound across layers beyond the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-3}


class Model(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.dwconv = nn.Conv2d(channels, channels, 7, padding=3, groups=channels)
        self.norm = nn.LayerNorm(channels)
        self.fc1 = nn.Linear(channels, 4 * channels)
        self.fc2 = nn.Linear(4 * channels, channels)
        self.gamma = nn.Parameter(torch.rand(channels) * 0.5 + 0.1, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dwconv(x).permute(0, 2, 3, 1)
        y = self.fc2(F.gelu(self.fc1(self.norm(y)))) * self.gamma
        return x + y.permute(0, 3, 1, 2)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [CHANNELS]


def get_input_groups():
    # Odd maps, 1x1 maps (only the kernel centre is used), heavy tails, and large shifted inputs.
    return [
        [torch.randn(1, CHANNELS, 17, 23)],
        [torch.randn(3, CHANNELS, 1, 1)],
        [torch.randn(1, CHANNELS, 9, 30) ** 3],
        [torch.randn(2, CHANNELS, 12, 12) * 3.0 + 5.0],
    ]
