"""A fully connected layer followed by exact GELU: y = gelu(x @ W^T + b), gelu(z) = z * Phi(z)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "fuse"
LEVEL = 2
BATCH, IN_FEATURES, OUT_FEATURES = 512, 1024, 1024
SIZES = {
    "gpu": {"BATCH": 8192, "IN_FEATURES": 8192, "OUT_FEATURES": 8192},
    "small": {"BATCH": 4, "IN_FEATURES": 32, "OUT_FEATURES": 16},
}
# The matmul dominates; the bias + GELU epilogue is ~20 flops per output.
FLOPS = float(2 * BATCH * IN_FEATURES * OUT_FEATURES + 20 * BATCH * OUT_FEATURES)
BYTES_MOVED = float(4 * (BATCH * IN_FEATURES + OUT_FEATURES * IN_FEATURES + OUT_FEATURES + BATCH * OUT_FEATURES))


class Model(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.linear(x))


def get_inputs():
    return [torch.randn(BATCH, IN_FEATURES)]


def get_init_inputs():
    return [IN_FEATURES, OUT_FEATURES]


def get_input_groups():
    # Batches that do not fit any tile (including a single row and extra leading dims), and inputs
    # that push the pre-activations far from the standard-normal range (large, heavy-tailed, shifted).
    return [
        [torch.randn(7, IN_FEATURES)],
        [torch.randn(1, IN_FEATURES)],
        [torch.randn(3, 5, IN_FEATURES)],
        [torch.randn(100, IN_FEATURES) * 8.0],
        [torch.randn(65, IN_FEATURES) ** 3],
        [torch.rand(33, IN_FEATURES) - 2.0],
    ]
