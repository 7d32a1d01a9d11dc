"""Conv2d (3x3, 'same', no bias), BatchNorm2d in inference mode, then SiLU (a YOLO/EfficientNet
block): y = silu(bn(conv2d(x))).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "fuse"
LEVEL = 2
BATCH, IN_CHANNELS, OUT_CHANNELS, HEIGHT, WIDTH = 2, 32, 64, 32, 32
SIZES = {
    "gpu": {"BATCH": 64, "IN_CHANNELS": 128, "OUT_CHANNELS": 128, "HEIGHT": 112, "WIDTH": 112},
    "small": {"BATCH": 1, "IN_CHANNELS": 3, "OUT_CHANNELS": 4, "HEIGHT": 7, "WIDTH": 6},
}
# The convolution dominates; the epilogue costs about 15 flops per convolution output.
FLOPS = float((2 * IN_CHANNELS * 9 + 15) * BATCH * OUT_CHANNELS * HEIGHT * WIDTH)
BYTES_MOVED = float(
    4 * (BATCH * IN_CHANNELS * HEIGHT * WIDTH + OUT_CHANNELS * IN_CHANNELS * 9
         + BATCH * OUT_CHANNELS * HEIGHT * WIDTH)
)
# The epilogue follows a 3x3 x IN_CHANNELS convolution sum; another valid summation order moves its
# inputs by ~1e-4, too close to the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        with torch.no_grad():
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.5, 0.5)
            self.bn.running_mean.uniform_(-0.3, 0.3)
            self.bn.running_var.uniform_(0.5, 2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.silu(self.bn(self.conv(x)))


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS]


def get_input_groups():
    # Odd, non-square maps, tiny maps where padding dominates, heavy tails, and large shifted inputs.
    return [
        [torch.randn(1, IN_CHANNELS, 17, 23)],
        [torch.randn(3, IN_CHANNELS, 2, 2)],
        [torch.randn(1, IN_CHANNELS, 9, 30) ** 3],
        [torch.randn(2, IN_CHANNELS, 12, 12) * 3.0 + 1.0],
    ]
