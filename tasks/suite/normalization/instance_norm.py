"""Instance normalization (nn.InstanceNorm2d, affine): every (sample, channel) plane is
normalized by its own mean and biased variance, then scaled and shifted per channel.
"""

import torch
import torch.nn as nn

CATEGORY = "normalization"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH = 4, 32, 64, 64
SIZES = {
    "gpu": {"BATCH": 128, "CHANNELS": 128, "HEIGHT": 128, "WIDTH": 128},
    "small": {"BATCH": 2, "CHANNELS": 3, "HEIGHT": 5, "WIDTH": 7},
}
FLOPS = float(8 * BATCH * CHANNELS * HEIGHT * WIDTH)
BYTES_MOVED = float(4 * (2 * BATCH * CHANNELS * HEIGHT * WIDTH + 2 * CHANNELS))
# Per-plane statistics over 4096 values: float32 summation order moves outputs by ~1e-5, and the
# offset group (mean 100, unit variance) loses two more digits to cancellation.
TOLERANCE = {"atol": 5e-4, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=True)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [CHANNELS]


def get_input_groups():
    # Odd maps, planes of two elements, a large offset (breaks one-pass variance), and heavy tails.
    return [
        [torch.randn(1, CHANNELS, 7, 9)],
        [torch.randn(2, CHANNELS, 2, 1)],
        [torch.randn(2, CHANNELS, 20, 20) + 100.0],
        [torch.randn(1, CHANNELS, 31, 29) ** 3],
    ]
