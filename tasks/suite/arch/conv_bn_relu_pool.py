"""A CNN block in inference mode: MaxPool2d(2)(ReLU(BatchNorm2d(Conv2d 3x3, padding 1, no bias)(x))).

x is (N, C_in, H, W); the output is (N, C_out, H // 2, W // 2). BatchNorm uses its running statistics
(eval mode); they are initialised to non-trivial values so the normalisation matters.
"""

import torch
import torch.nn as nn

CATEGORY = "arch"
LEVEL = 3
BATCH, C_IN, C_OUT, HEIGHT, WIDTH = 4, 32, 64, 56, 56
SIZES = {
    "gpu": {"BATCH": 64, "C_IN": 64, "C_OUT": 128, "HEIGHT": 112, "WIDTH": 112},
    "small": {"BATCH": 1, "C_IN": 3, "C_OUT": 4, "HEIGHT": 6, "WIDTH": 8},
}
# Conv: 2 * C_in * 9 flops per output; BN (mul + add) and ReLU per conv output; 3 compares per pooled output.
FLOPS = float(BATCH * C_OUT * HEIGHT * WIDTH * (2 * C_IN * 9 + 3) + BATCH * C_OUT * (HEIGHT // 2) * (WIDTH // 2) * 3)
BYTES_MOVED = float(4 * (BATCH * C_IN * HEIGHT * WIDTH + C_OUT * C_IN * 9 + 4 * C_OUT
                         + BATCH * C_OUT * (HEIGHT // 2) * (WIDTH // 2)))


class Model(nn.Module):
    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c_out)
        self.pool = nn.MaxPool2d(2)
        with torch.no_grad():
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.5, 0.5)
            self.bn.running_mean.uniform_(-0.2, 0.2)
            self.bn.running_var.uniform_(0.5, 2.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(torch.relu(self.bn(self.conv(x))))


def get_inputs():
    return [torch.randn(BATCH, C_IN, HEIGHT, WIDTH)]


def get_init_inputs():
    return [C_IN, C_OUT]


def get_input_groups():
    # Odd, non-square sizes (the pool drops the last row/column), a tiny image, a single image,
    # heavy tails, and a non-zero mean.
    return [
        [torch.randn(2, C_IN, 31, 45)],
        [torch.randn(1, C_IN, 3, 2)],
        [torch.randn(1, C_IN, 20, 64) ** 3],
        [torch.randn(3, C_IN, 16, 16) + 1.0],
    ]
