"""Conv2d (3x3, stride 1, "same" padding, bias) followed by ReLU and a learned per-channel scale:
y = relu(conv2d(x, W, b)) * s, with s of shape (C_out, 1, 1)."""

import torch
import torch.nn as nn

CATEGORY = "fuse"
LEVEL = 2
BATCH, IN_CHANNELS, OUT_CHANNELS, HEIGHT, WIDTH, KERNEL = 4, 48, 96, 40, 40, 3
SIZES = {
    "gpu": {"BATCH": 64, "IN_CHANNELS": 128, "OUT_CHANNELS": 128, "HEIGHT": 112, "WIDTH": 112},
    "small": {"BATCH": 1, "IN_CHANNELS": 3, "OUT_CHANNELS": 4, "HEIGHT": 7, "WIDTH": 6},
}
FLOPS = float(
    2 * BATCH * OUT_CHANNELS * HEIGHT * WIDTH * IN_CHANNELS * KERNEL * KERNEL
    + 3 * BATCH * OUT_CHANNELS * HEIGHT * WIDTH
)
BYTES_MOVED = float(
    4 * (BATCH * IN_CHANNELS * HEIGHT * WIDTH + OUT_CHANNELS * IN_CHANNELS * KERNEL * KERNEL
         + 2 * OUT_CHANNELS + BATCH * OUT_CHANNELS * HEIGHT * WIDTH)
)


class Model(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        # Scales of both signs, so a kernel that applies them before the ReLU gives wrong results.
        self.scale = nn.Parameter(torch.randn(out_channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv(x)) * self.scale


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS, KERNEL]


def get_input_groups():
    # Odd, non-square and tiny maps, and inputs that are not standard normal: heavy tails, all
    # negative (most pre-activations then sit on one side of the ReLU), a structured ramp.
    return [
        [torch.randn(1, IN_CHANNELS, 13, 27)],
        [torch.randn(2, IN_CHANNELS, 64, 3)],
        [torch.randn(1, IN_CHANNELS, 1, 2)],
        [torch.randn(2, IN_CHANNELS, 21, 22) ** 3],
        [-torch.rand(1, IN_CHANNELS, 30, 31) * 3.0],
        [torch.arange(IN_CHANNELS * 10 * 11).reshape(1, IN_CHANNELS, 10, 11).float() % 17 / 4.0],
    ]
