"""A deep MLP: four Linear + LayerNorm + GELU layers, then a Linear output layer (a tabular/value network)."""

import torch
import torch.nn as nn

CATEGORY = "arch"
LEVEL = 3
BATCH, IN_FEATURES, HIDDEN, OUT_FEATURES = 256, 256, 512, 64
SIZES = {
    "gpu": {"BATCH": 16384, "IN_FEATURES": 4096, "HIDDEN": 4096, "OUT_FEATURES": 1024},
    "small": {"BATCH": 4, "IN_FEATURES": 16, "HIDDEN": 24, "OUT_FEATURES": 8},
}
FLOPS = float(2 * BATCH * (IN_FEATURES * HIDDEN + 3 * HIDDEN * HIDDEN + HIDDEN * OUT_FEATURES) + 40 * BATCH * HIDDEN)
BYTES_MOVED = float(
    4 * (BATCH * IN_FEATURES + IN_FEATURES * HIDDEN + 3 * HIDDEN * HIDDEN
    + HIDDEN * OUT_FEATURES + BATCH * OUT_FEATURES)
)
# Several layers of fp32 matmuls/convolutions in sequence: rounding differences of another valid summation
# order compound across layers beyond the default atol.
TOLERANCE = {"atol": 1e-3, "rtol": 1e-3}


class Model(nn.Module):
    def __init__(self, in_features: int, hidden: int, out_features: int):
        super().__init__()
        layers: list[nn.Module] = []
        width = in_features
        for _ in range(4):
            layers += [nn.Linear(width, hidden), nn.LayerNorm(hidden), nn.GELU()]
            width = hidden
        layers.append(nn.Linear(hidden, out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def get_inputs():
    return [torch.randn(BATCH, IN_FEATURES)]


def get_init_inputs():
    return [IN_FEATURES, HIDDEN, OUT_FEATURES]


def get_input_groups():
    # An odd batch, a single row, heavy tails, and huge inputs (the first LayerNorm absorbs the scale).
    return [
        [torch.randn(7, IN_FEATURES)],
        [torch.randn(1, IN_FEATURES)],
        [torch.randn(65, IN_FEATURES) ** 3],
        [torch.randn(33, IN_FEATURES) * 100.0],
    ]
