"""Hard-swish (MobileNetV3) over a large activation tensor: y = x * relu6(x + 3) / 6."""

import torch
import torch.nn as nn
import torch.nn.functional as F

CATEGORY = "activation"
LEVEL = 1
BATCH, DIM = 384, 8192
SIZES = {"gpu": {"BATCH": 16384, "DIM": 32768}, "small": {"BATCH": 4, "DIM": 1000}}
# About 5 flops per element; read x, write y.
FLOPS = float(5 * BATCH * DIM)
BYTES_MOVED = float(2 * 4 * BATCH * DIM)


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.hardswish(x)


def get_inputs():
    return [torch.randn(BATCH, DIM)]


def get_init_inputs():
    return []


def get_input_groups():
    # An odd size that fits no vector width, a 3-D tensor, mostly-negative inputs, large magnitudes where the
    # function saturates, and heavy tails, and exact integers that hit the kinks at -3 and 3.
    return [
        [torch.randn(7, 1001)],
        [torch.randn(3, 5, 129)],
        [torch.randn(BATCH, DIM) - 3.0],
        [torch.randn(64, 999) * 10.0],
        [torch.randn(257, 255) ** 3],
        [torch.randint(-4, 5, (33, 65)).float()],
    ]
