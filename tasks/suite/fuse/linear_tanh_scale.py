"""Linear layer, tanh, and a learned per-feature scale: y = tanh(x @ W^T + b) * s."""

import torch
import torch.nn as nn

CATEGORY = "fuse"
LEVEL = 2
BATCH, IN_FEATURES, OUT_FEATURES = 256, 512, 512
SIZES = {
    "gpu": {"BATCH": 8192, "IN_FEATURES": 8192, "OUT_FEATURES": 8192},
    "small": {"BATCH": 4, "IN_FEATURES": 32, "OUT_FEATURES": 16},
}
# The matmul dominates; the epilogue costs about 18 flops per pre-activation.
FLOPS = float(2 * BATCH * IN_FEATURES * OUT_FEATURES + 18 * BATCH * OUT_FEATURES)
BYTES_MOVED = float(4 * (BATCH * IN_FEATURES + OUT_FEATURES * IN_FEATURES + OUT_FEATURES + BATCH * OUT_FEATURES))
# The fused epilogue follows a length-IN_FEATURES fp32 dot product; another valid summation order moves
# pre-activations by ~1e-4, too close to the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-4}


class Model(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self.scale = nn.Parameter(torch.rand(out_features) * 2.0 - 0.5, requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.linear(x)) * self.scale


def get_inputs():
    return [torch.randn(BATCH, IN_FEATURES)]


def get_init_inputs():
    return [IN_FEATURES, OUT_FEATURES]


def get_input_groups():
    # Batches that fit no tile (odd, a single row, extra leading dims), heavy tails, and large shifted inputs that
    # push the epilogue into its saturating range.
    return [
        [torch.randn(7, IN_FEATURES)],
        [torch.randn(1, IN_FEATURES)],
        [torch.randn(3, 5, IN_FEATURES)],
        [torch.randn(65, IN_FEATURES) ** 3],
        [torch.randn(33, IN_FEATURES) * 4.0 - 2.0],
    ]
