"""A LeNet-style classifier: two conv(5x5) + ReLU + 2x2 max-pool stages, then three linear layers with
ReLU in between; input (N, 3, 32, 32), output (N, 10) logits.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "arch"
LEVEL = 3
BATCH = 64
CLASSES = 10
SIZES = {"gpu": {"BATCH": 16384}, "small": {"BATCH": 2}}
FLOPS = float(2 * BATCH * (16 * 28 * 28 * 75 + 32 * 10 * 10 * 400 + 800 * 240 + 240 * 120 + 120 * CLASSES))
BYTES_MOVED = float(
    4 * (BATCH * 3 * 32 * 32 + 16 * 75 + 32 * 400 + 800 * 240 + 240 * 120 + 120 * CLASSES
    + BATCH * CLASSES)
)
# Several layers of fp32 matmuls/convolutions in sequence: rounding differences of another valid summation
# order compound across layers beyond the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-3}


class Model(nn.Module):
    def __init__(self, classes: int):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 5)
        self.conv2 = nn.Conv2d(16, 32, 5)
        self.fc1 = nn.Linear(32 * 5 * 5, 240)
        self.fc2 = nn.Linear(240, 120)
        self.fc3 = nn.Linear(120, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = F.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


def get_inputs():
    return [torch.randn(BATCH, 3, 32, 32)]


def get_init_inputs():
    return [CLASSES]


def get_input_groups():
    # A single image, an odd batch of heavy-tailed images, and unnormalized 0-255 pixel values.
    return [
        [torch.randn(1, 3, 32, 32)],
        [torch.randn(7, 3, 32, 32) ** 3],
        [torch.rand(5, 3, 32, 32) * 255.0],
    ]
