"""Two-layer MLP: y = fc2(relu(fc1(x))), with fc1: IN -> HIDDEN and fc2: HIDDEN -> OUT (both with bias).

x is (..., IN); every leading dimension is a batch dimension.
"""

import torch
import torch.nn as nn

CATEGORY = "arch"
LEVEL = 3
BATCH, IN_FEATURES, HIDDEN, OUT_FEATURES = 128, 1024, 2048, 1024
SIZES = {
    "gpu": {"BATCH": 8192, "IN_FEATURES": 4096, "HIDDEN": 8192, "OUT_FEATURES": 4096},
    "small": {"BATCH": 4, "IN_FEATURES": 32, "HIDDEN": 48, "OUT_FEATURES": 16},
}
# Two matmuls (2 flops per multiply-add), the bias adds and the ReLU.
FLOPS = float(2 * BATCH * (IN_FEATURES * HIDDEN + HIDDEN * OUT_FEATURES) + BATCH * (2 * HIDDEN + OUT_FEATURES))
# Read x and both layers' weights and biases; write y (the hidden activation can stay on chip).
BYTES_MOVED = float(4 * (BATCH * IN_FEATURES + IN_FEATURES * HIDDEN + HIDDEN + HIDDEN * OUT_FEATURES
                         + OUT_FEATURES + BATCH * OUT_FEATURES))


class Model(nn.Module):
    def __init__(self, in_features: int, hidden: int, out_features: int):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x)))


def get_inputs():
    return [torch.randn(BATCH, IN_FEATURES)]


def get_init_inputs():
    return [IN_FEATURES, HIDDEN, OUT_FEATURES]


def get_input_groups():
    # An odd batch, a single row, a 3-D input (sequence of tokens), heavy tails, and a negative shift.
    return [
        [torch.randn(37, IN_FEATURES)],
        [torch.randn(1, IN_FEATURES)],
        [torch.randn(3, 5, IN_FEATURES)],
        [torch.randn(64, IN_FEATURES) ** 3],
        [torch.randn(16, IN_FEATURES) - 2.0],
    ]
