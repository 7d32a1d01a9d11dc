"""Group normalization (nn.GroupNorm) of an NCHW tensor: channels are split into G groups, each
(sample, group) is normalized by its own mean and variance, then a per-channel affine is applied:
y = (x - mean_g) / sqrt(var_g + eps) * weight[c] + bias[c]."""

import torch
import torch.nn as nn

CATEGORY = "normalization"
LEVEL = 1
BATCH, CHANNELS, HEIGHT, WIDTH, GROUPS = 8, 128, 56, 56, 8
SIZES = {
    "gpu": {"BATCH": 128, "CHANNELS": 256, "HEIGHT": 112, "WIDTH": 112, "GROUPS": 32},
    "small": {"BATCH": 2, "CHANNELS": 16, "HEIGHT": 5, "WIDTH": 7, "GROUPS": 8},
}
# Mean, variance, then normalize + affine: about 8 flops per element.
FLOPS = float(8 * BATCH * CHANNELS * HEIGHT * WIDTH)
BYTES_MOVED = float(4 * (2 * BATCH * CHANNELS * HEIGHT * WIDTH + 2 * CHANNELS))


class Model(nn.Module):
    def __init__(self, num_groups: int, num_channels: int):
        super().__init__()
        self.norm = nn.GroupNorm(num_groups, num_channels)
        # Non-trivial affine parameters, so a kernel that skips them is caught.
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [GROUPS, CHANNELS]


def get_input_groups():
    # Other batch and map sizes (odd, non-square, 1x1 maps where a group has only 16 elements),
    # a large common offset (breaks the one-pass E[x^2] - E[x]^2 variance), variance close to eps,
    # heavy tails, and per-channel offsets that differ inside a group.
    return [
        [torch.randn(1, CHANNELS, 7, 9)],
        [torch.randn(3, CHANNELS, 1, 1)],
        [torch.randn(2, CHANNELS, 33, 17)],
        [torch.randn(2, CHANNELS, 20, 20) + 50.0],
        [torch.randn(2, CHANNELS, 15, 16) * 0.003],
        [torch.randn(1, CHANNELS, 31, 29) ** 3],
        [torch.randn(2, CHANNELS, 8, 8) + torch.arange(CHANNELS).float().reshape(1, CHANNELS, 1, 1) % 16],
    ]
